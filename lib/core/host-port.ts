/**
 * host:port, the one parser both commands use for listen, advertise and peer addresses. A host is an IPv4 address,
 * a bracketed IPv6 address ([::1]) or a DNS name (RFC 1123 labels); the port is 1–65535, and 0 ("any free port")
 * only where the caller binds a socket. Linear in the input, which is bounded to MAX_HOST_PORT characters. Pure.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type HostPortCheck =
  { readonly ok: true; readonly value: HostPort } | { readonly ok: false; readonly reason: string };

/** A bracketed IPv6 address with a port is at most 47 characters; a DNS name at most 253. */
export const MAX_HOST_PORT = 300;

const DNS_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
const DOTTED_NUMBERS = /^[0-9.]+$/;
const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Why `text` is not host:port, or the address. `ephemeral` admits port 0. */
export function checkHostPort(text: string, ephemeral: boolean): HostPortCheck {
  if (text.length > MAX_HOST_PORT) return { ok: false, reason: `longer than ${MAX_HOST_PORT} characters` };
  const colon = text.lastIndexOf(':');
  const portText = colon < 0 ? '' : text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: 'no :port at the end' };
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !ephemeral))
    return { ok: false, reason: `port ${portText} is not in ${ephemeral ? '0' : '1'}–65535` };
  const rawHost = text.slice(0, colon);
  if (rawHost.startsWith('[') && rawHost.endsWith(']')) {
    const host = rawHost.slice(1, -1);
    return isIPv6(host)
      ? { ok: true, value: { host, port } }
      : { ok: false, reason: `[${host}] is not an IPv6 address` };
  }
  if (rawHost.includes(':')) return { ok: false, reason: 'an IPv6 address goes in brackets, as in [::1]:7070' };
  if (!isIPv4(rawHost) && !isDnsName(rawHost))
    return { ok: false, reason: `${JSON.stringify(rawHost)} is not an IP address or a DNS name` };
  return { ok: true, value: { host: rawHost, port } };
}

/** The address, or null: for callers that only need to know whether it is one. */
export function parseHostPort(text: string, ephemeral: boolean): HostPort | null {
  const r = checkHostPort(text, ephemeral);
  return r.ok ? r.value : null;
}

/** The inverse of parseHostPort: IPv6 hosts in brackets. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p));
}

/** RFC 4291 text form: eight hex groups, one "::" standing for one or more zero groups, an IPv4 tail allowed. */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const all = groups.flat();
  const last = all.at(-1) ?? '';
  // An IPv4 tail counts as two groups and may only end the address.
  const tail = last.includes('.') ? (isIPv4(last) && s.endsWith(last) ? 2 : -1) : 0;
  if (tail < 0) return false;
  const hex = tail > 0 ? all.slice(0, -1) : all;
  if (!hex.every((g) => HEX_GROUP.test(g))) return false;
  const count = hex.length + tail;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function isDnsName(s: string): boolean {
  // All digits and dots but not an IPv4 address (1.2.3, 300.1.1.1) is a typo, not a host name (RFC 1123 §2.1).
  if (s.length === 0 || s.length > 253 || DOTTED_NUMBERS.test(s)) return false;
  return s.split('.').every((label) => DNS_LABEL.test(label));
}
