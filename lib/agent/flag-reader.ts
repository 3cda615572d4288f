/**
 * The flag layer under lib/agent/config.ts: the raw parseArgs shape, the documented defaults, host:port syntax,
 * and a reader whose typed accessors parse, range-check, fall back to the default only when the flag is absent,
 * and record every problem under "--name". Pure.
 */
import { Reader } from '../core/check.ts';
import { parseDurationUs, parseQuantity } from '../core/units.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** What node:util parseArgs hands back, untyped: strings, booleans, or string lists for repeatable flags. */
export type RawAgentFlags = Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>;

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

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

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

/** Reads flags by name, records every problem under "--name", and remembers which flags were consumed. */
export class FlagReader {
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
    else if (us / 1000 < minMs || us / 1000 > maxMs)
      this.fail(`--${name}`, `must be between ${fmtMs(minMs)} and ${fmtMs(maxMs)}, got ${text}`);
    else return us / 1000;
    return minMs;
  }

  integer(name: DefaultedFlag, min: number, max: number): number {
    const text = this.#text(name);
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      this.fail(`--${name}`, `must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
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
    if (n === null || n < min || n > max)
      this.fail(
        `--${name}`,
        `must be a quantity such as 1Gi or 10M, between ${min} and ${max}, got ${JSON.stringify(text)}`,
      );
    else return n;
    return min;
  }

  hostPort(name: string, allowEphemeral: boolean): HostPort | null {
    const fallback = (AGENT_FLAG_DEFAULTS as Readonly<Record<string, string>>)[name];
    const text = this.optionalText(name, 300) ?? fallback ?? null;
    if (text === null) return null;
    const hp = parseHostPort(text, allowEphemeral);
    if (hp === null)
      this.fail(
        `--${name}`,
        `must be host:port (IPv6 as [addr]:port, port 1–65535${allowEphemeral ? ' or 0' : ''}), got ${JSON.stringify(text)}`,
      );
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
