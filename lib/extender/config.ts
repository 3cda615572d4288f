/**
 * The extender's configuration: one table of options (flag, default, help), validated once at start into a frozen
 * object. Invalid values are rejected with the flag named, never replaced by defaults. The README's flag table is
 * checked against OPTIONS by test/docs-parity.test.ts.
 */
import { type Checked, type FieldProblem } from '../core/check.ts';
import type { Policy } from './verdict.ts';
import { parseDurationUs, parseQuantity } from '../core/units.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly default: string | boolean;
  readonly help: string;
}

export const OPTIONS = Object.freeze({
  listen: {
    type: 'string',
    default: '127.0.0.1:8888',
    help: 'host:port for the scheduler verbs (and probes/metrics unless --metrics-listen is set); a non-loopback host requires --tls-cert, --tls-key and --tls-client-ca',
  },
  'metrics-listen': {
    type: 'string',
    default: '',
    help: 'host:port for /metrics, /healthz and /readyz on plain HTTP, apart from the verbs (empty: serve them on --listen)',
  },
  prefix: {
    type: 'string',
    default: '/scheduler',
    help: 'path prefix of the verbs: POST <prefix>/filter and <prefix>/prioritize (the path of urlPrefix in the scheduler configuration)',
  },
  'tls-cert': {
    type: 'string',
    default: '',
    help: 'PEM server certificate; with --tls-key, serves HTTPS (reloaded when the file changes)',
  },
  'tls-key': { type: 'string', default: '', help: 'PEM private key for --tls-cert' },
  'tls-client-ca': {
    type: 'string',
    default: '',
    help: 'PEM CA bundle; when set, clients must present a certificate signed by it (mTLS)',
  },
  'report-ttl': { type: 'string', default: '180s', help: 'age after which a node report is stale (a duration)' },
  'stale-policy': {
    type: 'string',
    default: 'reject',
    help: 'what filter does with a node whose report is stale or missing: reject (FailedAndUnresolvableNodes, reason "report stale") or neutral (pass with score 5)',
  },
  'capacity-strategy': {
    type: 'string',
    default: 'spread',
    help: 'spread (prefer the most free NVMe after placement) or binpack (prefer the least)',
  },
  'weight-capacity': { type: 'string', default: '1', help: 'weight of the NVMe capacity term (0 to 100)' },
  'weight-bandwidth': { type: 'string', default: '1', help: 'weight of the bandwidth headroom term (0 to 100)' },
  'weight-latency': { type: 'string', default: '1', help: 'weight of the peer latency term (0 to 100)' },
  'latency-reference': {
    type: 'string',
    default: '2ms',
    help: 'peer RTT that scores 0 when the pod sets no berth.io/max-peer-latency (a duration)',
  },
  'accept-full-nodes': {
    type: 'boolean',
    default: false,
    help: 'accept nodeCacheCapable: false requests (full v1.NodeList bodies; raises the default --body-limit to 64Mi)',
  },
  'body-limit': {
    type: 'string',
    default: '',
    help: 'largest request body on the scheduler verbs, a quantity (default: 512Ki for the pod plus 67 bytes per --max-nodes name, 839Ki at 5000 nodes; with --accept-full-nodes 512Ki plus 13Ki per node, 64Mi at 5000)',
  },
  'max-nodes': {
    type: 'string',
    default: '5000',
    help: "most candidate nodes accepted in one request (Kubernetes' scalability limit is 5000 nodes)",
  },
  'max-json-depth': {
    type: 'string',
    default: '64',
    help: 'deepest nesting of arrays and objects accepted in a JSON body, checked while the body arrives (a pod nests about 12 levels)',
  },
  'request-timeout': {
    type: 'string',
    default: '10s',
    help: "time a client has to send a whole request, headers and body, counted for a new connection from when it opens (kube-scheduler's whole call times out after 5 s)",
  },
  'handshake-timeout': {
    type: 'string',
    default: '10s',
    help: "time a new connection has to complete its TLS handshake (kube-scheduler's client gives up after 10 s)",
  },
  'keep-alive-timeout': {
    type: 'string',
    default: '120s',
    help: "how long an idle kept-alive connection is held; keep it above 90s, kube-scheduler's own idle timeout, or a call can race the close",
  },
  'max-connections': {
    type: 'string',
    default: '1024',
    help: 'most connections open at once on each listener; more are closed as they arrive (in standalone mode each agent holds one)',
  },
  'reports-push': {
    type: 'boolean',
    default: true,
    help: 'accept node reports on POST /v1/reports; on by default in standalone mode, off by default with --kube, where it needs --push-auth tokenreview',
  },
  'local-agent': {
    type: 'boolean',
    default: false,
    help: 'run a node agent in the same process that reports this machine to this extender (standalone mode)',
  },
  kube: {
    type: 'boolean',
    default: false,
    help: 'run against a Kubernetes API server: NodeReports, pods, PVCs and StorageClasses come from informers (docs/kubernetes.md)',
  },
  kubeconfig: {
    type: 'string',
    default: '',
    help: 'kubeconfig file for --kube (empty: $KUBECONFIG, ~/.kube/config, then the in-cluster service account)',
  },
  'nvme-storage-classes': {
    type: 'string',
    default: '',
    help: 'comma-separated StorageClass names whose unbound claims take local NVMe (with --kube)',
  },
  'nvme-provisioners': {
    type: 'string',
    default: '',
    help: 'comma-separated provisioner names; claims of any StorageClass using one take local NVMe (with --kube)',
  },
  'reservation-ttl': {
    type: 'string',
    default: '5m',
    help: 'how long NVMe stays reserved for a placed claim or pod when no newer report accounts for it (a duration, with --kube)',
  },
  'provisional-ttl': {
    type: 'string',
    default: '15s',
    help: "how long prioritize holds a pod's volumes on its best-scored nodes until its real placement is seen (a duration, 0 turns it off; with --kube)",
  },
  'push-auth': {
    type: 'string',
    default: 'none',
    help: 'how POST /v1/reports authenticates callers: none, or tokenreview (audience "berth", the agent service account, node-name claim = report node; needs --kube)',
  },
  'agent-service-account': {
    type: 'string',
    default: 'berth-agent:berth-agent',
    help: 'namespace:name of the agent service account that --push-auth tokenreview accepts',
  },
  'resync-period': {
    type: 'string',
    default: '10m',
    help: 'how often each informer lists everything again and reconciles its cache (a duration, with --kube)',
  },
  'watchdog-timeout': {
    type: 'string',
    default: '90s',
    help: 'an informer with no event and no watch (re)established for this long is restarted and readiness drops (a duration of at least 35s: quiet watches are renewed every 30 s)',
  },
  'shutdown-delay': {
    type: 'string',
    default: '5s',
    help: 'on SIGTERM, how long /readyz answers 503 before the listener closes',
  },
  'log-level': { type: 'string', default: 'info', help: 'fatal, error, warn, info, debug or trace' },
} satisfies Record<string, OptionSpec>);

export type OptionName = keyof typeof OPTIONS;
export type RawOptions = Partial<Record<OptionName, string | boolean>>;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The Kubernetes side (--kube). */
export interface KubeOptions {
  readonly kubeconfig: string | null;
  readonly nvmeClasses: { readonly classes: readonly string[]; readonly provisioners: readonly string[] };
  readonly reservationTtlMs: number;
  /** 0: prioritize holds nothing. */
  readonly provisionalTtlMs: number;
  readonly resyncPeriodMs: number;
  readonly watchdogTimeoutMs: number;
}

export interface PushAuth {
  readonly mode: 'none' | 'tokenreview';
  readonly agent: { readonly namespace: string; readonly name: string };
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
  readonly maxJsonDepth: number;
  readonly requestTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly reportsPush: boolean;
  readonly pushAuth: PushAuth;
  readonly kube: KubeOptions | null;
  readonly localAgent: boolean;
  readonly shutdownDelayMs: number;
  readonly logLevel: string;
}

/**
 * The body kube-scheduler sends is one pod and the candidate node names (or, with full nodes, the Node objects).
 * A pod is allowed 512Ki: Kubernetes caps its annotations at 256Ki and kube-scheduler strips managedFields. A
 * name is allowed 67 bytes: 64 characters (a Linux host name's limit, which kubelet's node name follows) with its
 * quotes and comma. A Node object with its image list is typically 5-13Ki.
 */
export const POD_BODY_BYTES = 512 * 2 ** 10;
export const NAME_BODY_BYTES = 67;
export const NODE_OBJECT_BODY_BYTES = 13 * 2 ** 10;

export function defaultBodyLimit(maxNodes: number, fullNodes: boolean): number {
  return POD_BODY_BYTES + maxNodes * (fullNodes ? NODE_OBJECT_BODY_BYTES : NAME_BODY_BYTES);
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

  bool(name: OptionName, fallback: boolean = OPTIONS[name].default === true): boolean {
    const v = this.#raw[name] ?? fallback;
    return v === true || v === 'true';
  }

  list(name: OptionName, item: RegExp, what: string): string[] {
    const text = this.str(name).trim();
    if (text === '') return [];
    const items = text.split(',').map((x) => x.trim());
    const bad = items.find((x) => !item.test(x));
    if (bad !== undefined) this.fail(name, `must be a comma-separated list of ${what}, got ${JSON.stringify(bad)}`);
    return items;
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
    if (us === null || us / 1000 < minMs)
      this.fail(name, `must be a duration of at least ${minMs}ms such as 90s, got ${JSON.stringify(v)}`);
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
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix))
    o.fail('prefix', `must be a URL path such as /scheduler, got ${JSON.stringify(o.str('prefix'))}`);
  const cert = o.str('tls-cert');
  const key = o.str('tls-key');
  const clientCa = o.str('tls-client-ca');
  if ((cert === '') !== (key === ''))
    o.fail(cert === '' ? 'tls-cert' : 'tls-key', 'must be set together with --tls-cert and --tls-key');
  if (clientCa !== '' && cert === '') o.fail('tls-client-ca', 'needs --tls-cert and --tls-key (mTLS is TLS first)');
  if (!isLoopback(listen.host) && (cert === '' || clientCa === '')) {
    o.fail(
      'listen',
      `${listen.host} is not a loopback address: scheduling verbs are served off loopback only with mTLS (--tls-cert, --tls-key, --tls-client-ca)`,
    );
  }
  const acceptFullNodes = o.bool('accept-full-nodes');
  const maxNodes = o.number('max-nodes', 1, 1_000_000, true);
  const limitText = o.str('body-limit');
  const bodyLimit = limitText === '' ? defaultBodyLimit(maxNodes, acceptFullNodes) : parseQuantity(limitText);
  if (bodyLimit === null || bodyLimit < 1024 || bodyLimit > 2 ** 30)
    o.fail('body-limit', `must be a quantity from 1Ki to 1Gi such as 1Mi, got ${JSON.stringify(limitText)}`);
  const logLevel = o.str('log-level');
  if (!LOG_LEVELS.includes(logLevel))
    o.fail('log-level', `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const policy: Policy = {
    reportTtlMs: o.durationMs('report-ttl', 1000),
    stalePolicy: o.oneOf('stale-policy', ['reject', 'neutral'] as const),
    strategy: o.oneOf('capacity-strategy', ['spread', 'binpack'] as const),
    weights: {
      capacity: o.number('weight-capacity', 0, 100),
      bandwidth: o.number('weight-bandwidth', 0, 100),
      latency: o.number('weight-latency', 0, 100),
    },
    latencyReferenceUs: o.durationMs('latency-reference', 0.001) * 1000,
  };
  if (policy.weights.capacity + policy.weights.bandwidth + policy.weights.latency === 0)
    o.fail('weight-capacity', 'at least one --weight-* must be above 0');
  const kube = o.bool('kube') ? readKube(o) : null;
  // An unauthenticated write path is not acceptable in a cluster, so push is off there unless asked for.
  const reportsPush = o.bool('reports-push', kube === null);
  if (kube !== null && o.bool('local-agent'))
    o.fail(
      'local-agent',
      'is for standalone mode: with --kube, the agent DaemonSet reports every node through the API server',
    );
  const config: ExtenderConfig = {
    listen,
    metricsListen,
    prefix,
    tls: cert === '' ? null : { cert, key, clientCa: clientCa === '' ? null : clientCa },
    policy,
    acceptFullNodes,
    bodyLimitBytes: bodyLimit ?? 0,
    maxNodes,
    maxJsonDepth: o.number('max-json-depth', 16, 10_000, true),
    requestTimeoutMs: o.durationMs('request-timeout', 1000),
    handshakeTimeoutMs: o.durationMs('handshake-timeout', 1000),
    keepAliveTimeoutMs: o.durationMs('keep-alive-timeout', 1000),
    maxConnections: o.number('max-connections', 1, 1_000_000, true),
    reportsPush,
    pushAuth: readPushAuth(o, kube !== null, reportsPush),
    kube,
    localAgent: o.bool('local-agent'),
    shutdownDelayMs: o.durationMs('shutdown-delay', 0),
    logLevel,
  };
  if (o.problems.length > 0) return { ok: false, problems: o.problems };
  return { ok: true, value: deepFreeze(config) };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PROVISIONER = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,252}[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function readKube(o: OptionReader): KubeOptions {
  const kubeconfig = o.str('kubeconfig');
  const watchdogTimeoutMs = o.durationMs('watchdog-timeout', 35_000);
  const resyncPeriodMs = o.durationMs('resync-period', 60_000);
  return {
    kubeconfig: kubeconfig === '' ? null : kubeconfig,
    nvmeClasses: {
      classes: o.list('nvme-storage-classes', DNS_SUBDOMAIN, 'StorageClass names'),
      provisioners: o.list('nvme-provisioners', PROVISIONER, 'provisioner names'),
    },
    reservationTtlMs: o.durationMs('reservation-ttl', 1000),
    provisionalTtlMs: o.durationMs('provisional-ttl', 0),
    resyncPeriodMs,
    watchdogTimeoutMs,
  };
}

function readPushAuth(o: OptionReader, kube: boolean, reportsPush: boolean): PushAuth {
  const mode = o.oneOf('push-auth', ['none', 'tokenreview'] as const);
  const sa = o.str('agent-service-account');
  const [namespace = '', name = '', ...rest] = sa.split(':');
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name) || rest.length > 0)
    o.fail(
      'agent-service-account',
      `must be namespace:name such as berth-system:berth-agent, got ${JSON.stringify(sa)}`,
    );
  if (mode === 'tokenreview' && !kube) o.fail('push-auth', 'tokenreview needs --kube (it asks the API server)');
  if (kube && reportsPush && mode === 'none')
    o.fail(
      'reports-push',
      'with --kube, pushed reports must be authenticated: add --push-auth tokenreview, or leave push off',
    );
  return { mode, agent: { namespace, name } };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
