/**
 * Configuration of the node agent (`berth agent`): schema + defaults, validated once, then frozen.
 * Pure: the CLI adapter hands in the parsed flags, the environment and the hostname. Every problem is reported
 * with the flag that caused it ("--interval: must be at least 1s, got 200ms"), all at once; an invalid value is
 * rejected, never replaced by its default.
 */
import { type Checked, Reader } from './check.ts';
import { isNodeName, REPORT_LIMITS } from './report.ts';
import { parseDurationUs, parseQuantity } from './units.ts';

export type AgentPoolSpec =
  | { readonly name: string; readonly kind: 'mount'; readonly path: string }
  | { readonly name: string; readonly kind: 'device'; readonly device: string }
  | { readonly name: string; readonly kind: 'lvm'; readonly vg: string };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface StaticPeer {
  readonly node: string;
  readonly zone: string | null;
  readonly probe: string;
}

export type PeerSourceKind = 'static' | 'extender' | 'none';

export interface AgentConfig {
  readonly node: string;
  readonly zone: string | null;
  readonly extender: string | null; // base URL, no trailing slash
  readonly tokenFile: string | null;
  readonly once: boolean;
  readonly json: boolean;
  readonly intervalMs: number;
  readonly heartbeatMs: number;
  readonly inventoryRefreshMs: number;
  readonly rateWindowMs: number;
  readonly nics: readonly string[]; // empty: the default-route interface
  readonly pools: readonly AgentPoolSpec[];
  readonly probe: {
    readonly enabled: boolean;
    readonly listen: HostPort;
    readonly advertise: string | null; // null: derived at start from the listen address or the NIC
    readonly zonePeers: number;
    readonly otherPeers: number;
    readonly count: number;
    readonly timeoutMs: number;
    readonly windowMs: number;
    readonly reportMax: number;
  };
  readonly peers: { readonly source: PeerSourceKind; readonly list: readonly StaticPeer[]; readonly refreshMs: number };
  readonly change: {
    readonly freeBytes: number;
    readonly headroomFraction: number;
    readonly rateFloorBps: number;
    readonly rttFraction: number;
    readonly rttFloorUs: number;
  };
  readonly publish: { readonly timeoutMs: number; readonly retryBaseMs: number; readonly retryMaxMs: number };
  readonly metricsListen: HostPort | null;
}

/** What node:util parseArgs hands back, untyped: strings, booleans, or string lists for repeatable flags. */
export type RawAgentFlags = Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>;

export interface AgentConfigInput {
  readonly flags: RawAgentFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
}

/** Defaults, as the flags' text, so that `--help` and docs/agent.md show exactly what is parsed. */
export const AGENT_FLAG_DEFAULTS = Object.freeze({
  interval: '10s',
  heartbeat: '20s',
  'inventory-refresh': '5m',
  'rate-window': '30s',
  'probe-listen': '0.0.0.0:7070',
  'probe-zone-peers': '16',
  'probe-other-peers': '8',
  'probe-count': '3',
  'probe-timeout': '1s',
  'probe-window': '5m',
  'report-peers-max': '128',
  'peers-refresh': '60s',
  'change-free': '1Gi',
  'change-headroom': '0.05',
  'change-rate-floor': '10M',
  'change-rtt': '0.25',
  'change-rtt-floor': '100us',
  'publish-timeout': '5s',
  'retry-base': '500ms',
  'retry-max': '30s',
});
type DefaultedFlag = keyof typeof AGENT_FLAG_DEFAULTS;

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/; // IFNAMSIZ is 16 with the NUL; no '/', no spaces
const LVM_VG = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/; // lvm(8) "VALID NAMES"; also keeps shell-free argv safe
const DEV_PATH = /^\/dev\/[A-Za-z0-9_.+/-]+$/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

export function validateAgentConfig(input: AgentConfigInput): Checked<AgentConfig> {
  const f = new FlagReader(input.flags);
  const once = f.bool('once');
  const json = f.bool('json');
  if (json && !once) f.fail('--json', 'only valid together with --once');
  const node = readNode(f, input);
  const zone = f.optionalText('zone', REPORT_LIMITS.text) ?? nonEmpty(input.env['BERTH_ZONE']);
  const extender = readExtender(f, once && json);
  const tokenFile = f.optionalText('token-file', 4096);
  if (tokenFile !== null && !tokenFile.startsWith('/')) f.fail('--token-file', `must be an absolute path, got ${JSON.stringify(tokenFile)}`);
  const intervalMs = f.duration('interval', 1_000, 3_600_000);
  const heartbeatMs = f.duration('heartbeat', 1_000, 86_400_000);
  if (heartbeatMs < intervalMs) f.fail('--heartbeat', `must be ≥ --interval (${intervalMs / 1000}s), got ${heartbeatMs / 1000}s`);
  const nics = f.list('nic');
  for (const n of nics) if (!IFNAME.test(n)) f.fail('--nic', `not a network interface name: ${JSON.stringify(n)}`);
  const probeEnabled = !f.bool('no-probe');
  const peers = readPeers(f, extender, probeEnabled);
  const config: AgentConfig = {
    node, zone, extender, tokenFile, once, json, intervalMs, heartbeatMs, nics,
    inventoryRefreshMs: f.duration('inventory-refresh', 10_000, 86_400_000),
    rateWindowMs: f.duration('rate-window', 1_000, 3_600_000),
    pools: readPools(f),
    probe: {
      enabled: probeEnabled,
      listen: f.hostPort('probe-listen', true) ?? { host: '0.0.0.0', port: 7070 },
      advertise: readAdvertise(f),
      zonePeers: f.integer('probe-zone-peers', 0, 1024),
      otherPeers: f.integer('probe-other-peers', 0, 1024),
      count: f.integer('probe-count', 1, 20),
      timeoutMs: f.duration('probe-timeout', 1, 10_000),
      windowMs: f.duration('probe-window', 1_000, 86_400_000),
      reportMax: f.integer('report-peers-max', 0, REPORT_LIMITS.peers),
    },
    peers,
    change: {
      freeBytes: f.quantity('change-free', 0, 2 ** 62),
      headroomFraction: f.fraction('change-headroom'),
      rateFloorBps: f.quantity('change-rate-floor', 0, 1e13),
      rttFraction: f.fraction('change-rtt'),
      rttFloorUs: f.duration('change-rtt-floor', 0, 60_000) * 1000,
    },
    publish: {
      timeoutMs: f.duration('publish-timeout', 100, 120_000),
      retryBaseMs: f.duration('retry-base', 10, 600_000),
      retryMaxMs: f.duration('retry-max', 10, 3_600_000),
    },
    metricsListen: f.has('metrics-listen') ? f.hostPort('metrics-listen', true) : null,
  };
  if (config.publish.retryMaxMs < config.publish.retryBaseMs) f.fail('--retry-max', 'must be ≥ --retry-base');
  f.rejectUnknown();
  return f.reader.done(f.reader.problems.length === 0 ? deepFreeze(config) : null);
}

function readNode(f: FlagReader, input: AgentConfigInput): string {
  const given = f.optionalText('node', 253);
  // Without --node, mirror the kubelet: NODE_NAME (downward API) or the lower-cased hostname.
  const node = given ?? nonEmpty(input.env['NODE_NAME']) ?? input.hostname.toLowerCase();
  if (!isNodeName(node)) {
    const from = given !== null ? 'got' : 'not given, and NODE_NAME/hostname is';
    f.fail('--node', `must be a valid node name (DNS-1123 subdomain); ${from} ${JSON.stringify(node)}`);
  }
  return node;
}

function readExtender(f: FlagReader, printOnly: boolean): string | null {
  const text = f.optionalText('extender', 2048);
  if (text === null) {
    if (!printOnly) f.fail('--extender', 'required (the URL reports are POSTed to), unless --once --json');
    return null;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    f.fail('--extender', `must be an http(s) URL, got ${JSON.stringify(text)}`);
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    f.fail('--extender', `must be an http(s) URL without query, fragment or credentials, got ${JSON.stringify(text)}`);
    return null;
  }
  return url.href.replace(/\/+$/, '');
}

function readPools(f: FlagReader): AgentPoolSpec[] {
  const pools: AgentPoolSpec[] = [];
  for (const spec of f.list('pool')) {
    const m = /^([^=]+)=(mount|device|lvm):(.+)$/.exec(spec);
    const [, name = '', kind = '', target = ''] = m ?? [];
    if (!m) f.fail('--pool', `must be name=mount:/path, name=device:/dev/x or name=lvm:vg, got ${JSON.stringify(spec)}`);
    else if (!isNodeName(name)) f.fail('--pool', `pool name must be a DNS-1123 subdomain, got ${JSON.stringify(name)}`);
    else if (pools.some((p) => p.name === name)) f.fail('--pool', `pool name ${JSON.stringify(name)} given twice`);
    else if (kind === 'mount' && !target.startsWith('/')) f.fail('--pool', `${name}: mount path must be absolute, got ${JSON.stringify(target)}`);
    else if (kind === 'device' && !DEV_PATH.test(target)) f.fail('--pool', `${name}: device must be a /dev/ path, got ${JSON.stringify(target)}`);
    else if (kind === 'lvm' && !LVM_VG.test(target)) f.fail('--pool', `${name}: not a valid LVM volume group name: ${JSON.stringify(target)}`);
    else if (kind === 'mount') pools.push({ name, kind, path: target });
    else if (kind === 'device') pools.push({ name, kind, device: target });
    else pools.push({ name, kind: 'lvm', vg: target });
  }
  if (pools.length > REPORT_LIMITS.pools) f.fail('--pool', `at most ${REPORT_LIMITS.pools} pools`);
  return pools;
}

function readAdvertise(f: FlagReader): string | null {
  if (!f.has('probe-advertise')) return null;
  const hp = f.hostPort('probe-advertise', false);
  return hp === null ? null : formatHostPort(hp);
}

function readPeers(f: FlagReader, extender: string | null, probeEnabled: boolean): AgentConfig['peers'] {
  const refreshMs = f.duration('peers-refresh', 1_000, 86_400_000);
  const list: StaticPeer[] = [];
  for (const entry of f.list('peers')) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    const node = m?.[1] ?? '';
    const hp = m ? parseHostPort(m[2] ?? '', false) : null;
    if (!m || !isNodeName(node) || hp === null) f.fail('--peers', `entries must be node=host:port, got ${JSON.stringify(entry)}`);
    else list.push({ node, zone: null, probe: formatHostPort(hp) });
  }
  const explicit = f.optionalText('peer-source', 16);
  const source: PeerSourceKind = explicit === null ? (list.length > 0 ? 'static' : extender !== null ? 'extender' : 'none') : (explicit as PeerSourceKind);
  if (explicit !== null && !['static', 'extender', 'none'].includes(explicit)) f.fail('--peer-source', `must be static, extender or none, got ${JSON.stringify(explicit)}`);
  else if (source === 'static' && list.length === 0) f.fail('--peer-source', 'static needs --peers node=host:port,...');
  else if (source === 'extender' && extender === null) f.fail('--peer-source', 'extender needs --extender');
  else if (source !== 'static' && list.length > 0) f.fail('--peers', `given, but --peer-source is ${source}`);
  if (!probeEnabled && source !== 'none' && explicit !== null) f.fail('--peer-source', 'probing is off (--no-probe)');
  return { source: probeEnabled ? source : 'none', list, refreshMs };
}

export function parseHostPort(text: string, allowEphemeral: boolean): HostPort | null {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const rawHost = m[1] ?? '';
  const port = Number(m[2]);
  if (port > 65535 || (port === 0 && !allowEphemeral)) return null;
  if (!HOST.test(rawHost)) return null;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function nonEmpty(s: string | undefined): string | null {
  return s === undefined || s.trim() === '' ? null : s.trim();
}

/** Reads flags by name, records every problem under "--name", and remembers which flags were consumed. */
class FlagReader {
  readonly reader = new Reader();
  readonly #flags: RawAgentFlags;
  readonly #seen = new Set<string>(['help']);

  constructor(flags: RawAgentFlags) {
    this.#flags = flags;
  }

  fail(path: string, message: string): void {
    this.reader.fail(path, message);
  }

  has(name: string): boolean {
    this.#seen.add(name);
    return this.#flags[name] !== undefined;
  }

  bool(name: string): boolean {
    const v = this.#raw(name);
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    this.fail(`--${name}`, 'is a switch and takes no value');
    return false;
  }

  optionalText(name: string, maxLength: number): string | null {
    const v = this.#raw(name);
    if (v === undefined) return null;
    const s = typeof v === 'string' ? v : null;
    if (s === null) this.fail(`--${name}`, 'needs a value');
    else if (s.trim() === '') this.fail(`--${name}`, 'must not be empty');
    else if (s.length > maxLength) this.fail(`--${name}`, `must be at most ${maxLength} characters`);
    else return s.trim();
    return null;
  }

  /** Repeatable and comma-separated: --nic a --nic b,c. */
  list(name: string): string[] {
    const v = this.#raw(name);
    if (v === undefined) return [];
    const items = typeof v === 'string' ? [v] : typeof v === 'boolean' ? [v] : [...v];
    if (items.some((s) => typeof s !== 'string')) this.fail(`--${name}`, 'needs a value');
    const parts = items.flatMap((s) => (typeof s === 'string' ? s.split(',') : []));
    return parts.map((s) => s.trim()).filter((s) => s !== '');
  }

  duration(name: DefaultedFlag, minMs: number, maxMs: number): number {
    const text = this.#text(name);
    const us = parseDurationUs(text);
    if (us === null) this.fail(`--${name}`, `must be a duration such as 500ms, 10s or 5m, got ${JSON.stringify(text)}`);
    else if (us / 1000 < minMs || us / 1000 > maxMs) this.fail(`--${name}`, `must be between ${fmtMs(minMs)} and ${fmtMs(maxMs)}, got ${text}`);
    else return us / 1000;
    return minMs;
  }

  integer(name: DefaultedFlag, min: number, max: number): number {
    const text = this.#text(name);
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) this.fail(`--${name}`, `must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    else return n;
    return min;
  }

  fraction(name: DefaultedFlag): number {
    const text = this.#text(name);
    const n = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
    if (!(n > 0 && n <= 1)) this.fail(`--${name}`, `must be a fraction in (0, 1], got ${JSON.stringify(text)}`);
    else return n;
    return 1;
  }

  quantity(name: DefaultedFlag, min: number, max: number): number {
    const text = this.#text(name);
    const n = parseQuantity(text);
    if (n === null || n < min || n > max) this.fail(`--${name}`, `must be a quantity such as 1Gi or 10M, between ${min} and ${max}, got ${JSON.stringify(text)}`);
    else return n;
    return min;
  }

  hostPort(name: string, allowEphemeral: boolean): HostPort | null {
    const fallback = (AGENT_FLAG_DEFAULTS as Readonly<Record<string, string>>)[name];
    const text = this.optionalText(name, 300) ?? fallback ?? null;
    if (text === null) return null;
    const hp = parseHostPort(text, allowEphemeral);
    if (hp === null) this.fail(`--${name}`, `must be host:port (IPv6 as [addr]:port, port 1–65535${allowEphemeral ? ' or 0' : ''}), got ${JSON.stringify(text)}`);
    return hp;
  }

  /** Flags that parseArgs accepted but no rule consumed are a programming error in the adapter: name them. */
  rejectUnknown(): void {
    for (const [k, v] of Object.entries(this.#flags)) {
      if (v !== undefined && !this.#seen.has(k)) this.fail(`--${k}`, 'unknown flag');
    }
  }

  #text(name: DefaultedFlag): string {
    return this.optionalText(name, 64) ?? AGENT_FLAG_DEFAULTS[name];
  }

  #raw(name: string): RawAgentFlags[string] {
    this.#seen.add(name);
    return this.#flags[name];
  }
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
