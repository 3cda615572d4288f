/**
 * The extender's configuration: one table of options (flag, default, help), validated once at start into a frozen
 * object. Invalid values are rejected with the flag named, never replaced by defaults. The README's flag table is
 * checked against OPTIONS by test/docs-parity.test.ts.
 */
import { type Checked, type FieldProblem } from './check.ts';
import type { Policy } from './verdict.ts';
import { parseDurationUs, parseQuantity } from './units.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly default: string | boolean;
  readonly help: string;
}

export const OPTIONS = Object.freeze({
  listen: { type: 'string', default: '127.0.0.1:8888', help: 'host:port for the scheduler verbs (and probes/metrics unless --metrics-listen is set); a non-loopback host requires --tls-cert, --tls-key and --tls-client-ca' },
  'metrics-listen': { type: 'string', default: '', help: 'host:port for /metrics, /healthz and /readyz on plain HTTP, apart from the verbs (empty: serve them on --listen)' },
  prefix: { type: 'string', default: '/scheduler', help: 'path prefix of the verbs: POST <prefix>/filter and <prefix>/prioritize (the path of urlPrefix in the scheduler configuration)' },
  'tls-cert': { type: 'string', default: '', help: 'PEM server certificate; with --tls-key, serves HTTPS (reloaded when the file changes)' },
  'tls-key': { type: 'string', default: '', help: 'PEM private key for --tls-cert' },
  'tls-client-ca': { type: 'string', default: '', help: 'PEM CA bundle; when set, clients must present a certificate signed by it (mTLS)' },
  'report-ttl': { type: 'string', default: '180s', help: 'age after which a node report is stale (a duration)' },
  'stale-policy': { type: 'string', default: 'reject', help: 'what filter does with a node whose report is stale or missing: reject (FailedAndUnresolvableNodes, reason "report stale") or neutral (pass with score 5)' },
  'capacity-strategy': { type: 'string', default: 'spread', help: 'spread (prefer the most free NVMe after placement) or binpack (prefer the least)' },
  'weight-capacity': { type: 'string', default: '1', help: 'weight of the NVMe capacity term (0 to 100)' },
  'weight-bandwidth': { type: 'string', default: '1', help: 'weight of the bandwidth headroom term (0 to 100)' },
  'weight-latency': { type: 'string', default: '1', help: 'weight of the peer latency term (0 to 100)' },
  'latency-reference': { type: 'string', default: '2ms', help: 'peer RTT that scores 0 when the pod sets no berth.io/max-peer-latency (a duration)' },
  'accept-full-nodes': { type: 'boolean', default: false, help: 'accept nodeCacheCapable: false requests (full v1.NodeList bodies; raises the default --body-limit to 64Mi)' },
  'body-limit': { type: 'string', default: '', help: 'largest request body, a quantity (default 2Mi, or 64Mi with --accept-full-nodes)' },
  'max-nodes': { type: 'string', default: '20000', help: 'most candidate nodes accepted in one request' },
  'reports-push': { type: 'boolean', default: true, help: 'accept node reports on POST /v1/reports (standalone mode); turn off in a cluster unless callers are authenticated' },
  'local-agent': { type: 'boolean', default: false, help: 'run a node agent in the same process that reports this machine to this extender (standalone mode)' },
  'shutdown-delay': { type: 'string', default: '5s', help: 'on SIGTERM, how long /readyz answers 503 before the listener closes' },
  'log-level': { type: 'string', default: 'info', help: 'fatal, error, warn, info, debug or trace' },
} satisfies Record<string, OptionSpec>);

export type OptionName = keyof typeof OPTIONS;
export type RawOptions = Partial<Record<OptionName, string | boolean>>;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ExtenderConfig {
  readonly listen: HostPort;
  readonly metricsListen: HostPort | null;
  readonly prefix: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly clientCa: string | null } | null;
  readonly policy: Policy;
  readonly acceptFullNodes: boolean;
  readonly bodyLimitBytes: number;
  readonly maxNodes: number;
  readonly reportsPush: boolean;
  readonly localAgent: boolean;
  readonly shutdownDelayMs: number;
  readonly logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function parseHostPort(text: string): HostPort | null {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  const host = m[1] ?? '';
  return host !== '' && port <= 65535 ? { host, port } : null;
}

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

class OptionReader {
  readonly problems: FieldProblem[] = [];
  readonly #raw: RawOptions;

  constructor(raw: RawOptions) {
    this.#raw = raw;
  }

  str(name: OptionName): string {
    const v = this.#raw[name] ?? OPTIONS[name].default;
    return typeof v === 'string' ? v : String(v);
  }

  bool(name: OptionName): boolean {
    const v = this.#raw[name] ?? OPTIONS[name].default;
    return v === true || v === 'true';
  }

  fail(name: OptionName, message: string): void {
    this.problems.push({ path: `--${name}`, message });
  }

  oneOf<T extends string>(name: OptionName, allowed: readonly T[]): T {
    const v = this.str(name);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.fail(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return allowed[0] as T;
  }

  durationMs(name: OptionName, minMs: number): number {
    const v = this.str(name);
    const us = parseDurationUs(v);
    if (us === null || us / 1000 < minMs) this.fail(name, `must be a duration of at least ${minMs}ms such as 90s, got ${JSON.stringify(v)}`);
    return (us ?? 0) / 1000;
  }

  number(name: OptionName, min: number, max: number, integer = false): number {
    const v = this.str(name);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      this.fail(name, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  }

  hostPort(name: OptionName): HostPort | null {
    const v = this.str(name);
    if (v === '') return null;
    const hp = parseHostPort(v);
    if (hp === null) this.fail(name, `must be host:port such as 127.0.0.1:8888, got ${JSON.stringify(v)}`);
    return hp;
  }
}

export function parseExtenderConfig(raw: RawOptions): Checked<ExtenderConfig> {
  const o = new OptionReader(raw);
  const listen = o.hostPort('listen') ?? { host: '127.0.0.1', port: 0 };
  const metricsListen = o.hostPort('metrics-listen');
  const prefix = o.str('prefix').replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) o.fail('prefix', `must be a URL path such as /scheduler, got ${JSON.stringify(o.str('prefix'))}`);
  const cert = o.str('tls-cert');
  const key = o.str('tls-key');
  const clientCa = o.str('tls-client-ca');
  if ((cert === '') !== (key === '')) o.fail(cert === '' ? 'tls-cert' : 'tls-key', 'must be set together with --tls-cert and --tls-key');
  if (clientCa !== '' && cert === '') o.fail('tls-client-ca', 'needs --tls-cert and --tls-key (mTLS is TLS first)');
  if (!isLoopback(listen.host) && (cert === '' || clientCa === '')) {
    o.fail('listen', `${listen.host} is not a loopback address: scheduling verbs are served off loopback only with mTLS (--tls-cert, --tls-key, --tls-client-ca)`);
  }
  const acceptFullNodes = o.bool('accept-full-nodes');
  const limitText = o.str('body-limit');
  const bodyLimit = limitText === '' ? (acceptFullNodes ? 64 * 2 ** 20 : 2 * 2 ** 20) : parseQuantity(limitText);
  if (bodyLimit === null || bodyLimit < 1024 || bodyLimit > 2 ** 30) o.fail('body-limit', `must be a quantity from 1Ki to 1Gi such as 2Mi, got ${JSON.stringify(limitText)}`);
  const logLevel = o.str('log-level');
  if (!LOG_LEVELS.includes(logLevel)) o.fail('log-level', `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const policy: Policy = {
    reportTtlMs: o.durationMs('report-ttl', 1000),
    stalePolicy: o.oneOf('stale-policy', ['reject', 'neutral'] as const),
    strategy: o.oneOf('capacity-strategy', ['spread', 'binpack'] as const),
    weights: { capacity: o.number('weight-capacity', 0, 100), bandwidth: o.number('weight-bandwidth', 0, 100), latency: o.number('weight-latency', 0, 100) },
    latencyReferenceUs: o.durationMs('latency-reference', 0.001) * 1000,
  };
  if (policy.weights.capacity + policy.weights.bandwidth + policy.weights.latency === 0) o.fail('weight-capacity', 'at least one --weight-* must be above 0');
  const config: ExtenderConfig = {
    listen, metricsListen, prefix,
    tls: cert === '' ? null : { cert, key, clientCa: clientCa === '' ? null : clientCa },
    policy, acceptFullNodes, bodyLimitBytes: bodyLimit ?? 0,
    maxNodes: o.number('max-nodes', 1, 1_000_000, true),
    reportsPush: o.bool('reports-push'), localAgent: o.bool('local-agent'),
    shutdownDelayMs: o.durationMs('shutdown-delay', 0),
    logLevel,
  };
  if (o.problems.length > 0) return { ok: false, problems: o.problems };
  return { ok: true, value: deepFreeze(config) };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
