/**
 * The extender's options, one table: flag, default, help and rule for each (lib/core/options.ts reads it). The
 * README's flag table is generated from it (scripts/flags-table.ts) and checked by test/docs-parity.test.ts.
 */
import { LOG_LEVEL_OPTION, rules, type OptionSpec } from '../core/options.ts';

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PROVISIONER = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,252}[A-Za-z0-9])?$/;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const OPTIONS = Object.freeze({
  listen: {
    type: 'string',
    default: '127.0.0.1:8888',
    help: 'host:port for the scheduler verbs (and probes/metrics unless --metrics-listen is set); a non-loopback host requires --tls-cert, --tls-key and --tls-client-ca',
    rule: rules.hostPort(true),
  },
  'metrics-listen': {
    type: 'string',
    default: '',
    help: 'host:port for /metrics, /healthz and /readyz on plain HTTP, apart from the verbs (empty: serve them on --listen)',
    rule: rules.hostPort(true),
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
  'report-ttl': {
    type: 'string',
    default: '180s',
    help: 'age after which a node report is stale (a duration)',
    rule: rules.duration(1000),
  },
  'report-retention': {
    type: 'string',
    default: '1h',
    help: 'standalone mode: a report nobody has refreshed for this long is forgotten, as if its node never reported (no API server deletes the reports of nodes that are gone); at least --report-ttl',
    rule: rules.duration(1000),
  },
  'stale-policy': {
    type: 'string',
    default: 'reject',
    help: 'what filter does with a node whose report is stale or missing: reject (FailedAndUnresolvableNodes, reason "report stale") or neutral (pass with score 5)',
    rule: rules.oneOf(['reject', 'neutral']),
  },
  'capacity-strategy': {
    type: 'string',
    default: 'spread',
    help: 'spread (prefer the most free NVMe after placement) or binpack (prefer the least)',
    rule: rules.oneOf(['spread', 'binpack']),
  },
  'weight-capacity': {
    type: 'string',
    default: '1',
    help: 'weight of the NVMe capacity term (0 to 100)',
    rule: rules.number(0, 100),
  },
  'weight-bandwidth': {
    type: 'string',
    default: '1',
    help: 'weight of the bandwidth headroom term (0 to 100)',
    rule: rules.number(0, 100),
  },
  'weight-latency': {
    type: 'string',
    default: '1',
    help: 'weight of the peer latency term (0 to 100)',
    rule: rules.number(0, 100),
  },
  'latency-reference': {
    type: 'string',
    default: '2ms',
    help: 'peer RTT that scores 0 when the pod sets no berth.io/max-peer-latency (a duration)',
    rule: rules.duration(0.001),
  },
  'accept-full-nodes': {
    type: 'boolean',
    default: false,
    help: 'accept nodeCacheCapable: false requests (full v1.NodeList bodies; raises the default --body-limit to 13Ki per node)',
  },
  'body-limit': {
    type: 'string',
    default: '',
    help: 'largest request body on the scheduler verbs, a quantity (default: 512Ki for the pod plus 67 bytes per --max-nodes name, 839Ki at 5000 nodes; with --accept-full-nodes 512Ki plus 13Ki per node, 64Mi at 5000)',
    rule: rules.quantity(1024, 2 ** 30, '1Ki to 1Gi'),
  },
  'max-nodes': {
    type: 'string',
    default: '5000',
    help: "most candidate nodes accepted in one request, and most items in any JSON array of a body (Kubernetes' scalability limit is 5000 nodes)",
    rule: rules.integer(1, 1_000_000),
  },
  'max-json-depth': {
    type: 'string',
    default: '64',
    help: 'deepest nesting of arrays and objects accepted in a JSON body, checked while the body arrives (a pod nests about 12 levels)',
    rule: rules.integer(16, 10_000),
  },
  'request-timeout': {
    type: 'string',
    default: '10s',
    help: "time a client has to send a whole request, headers and body, counted for a new connection from when it opens (kube-scheduler's whole call times out after 5 s)",
    rule: rules.duration(1000),
  },
  'handshake-timeout': {
    type: 'string',
    default: '10s',
    help: "time a new connection has to complete its TLS handshake (kube-scheduler's client gives up after 10 s)",
    rule: rules.duration(1000),
  },
  'keep-alive-timeout': {
    type: 'string',
    default: '120s',
    help: "how long an idle kept-alive connection is held; keep it above 90s, kube-scheduler's own idle timeout, or a call can race the close",
    rule: rules.duration(1000),
  },
  'max-connections': {
    type: 'string',
    default: '1024',
    help: 'most connections open at once on each listener; more are closed as they arrive (in standalone mode each agent holds one)',
    rule: rules.integer(1, 1_000_000),
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
    rule: rules.list(DNS_SUBDOMAIN, 'StorageClass names'),
  },
  'nvme-provisioners': {
    type: 'string',
    default: '',
    help: 'comma-separated provisioner names; claims of any StorageClass using one take local NVMe (with --kube)',
    rule: rules.list(PROVISIONER, 'provisioner names'),
  },
  'reservation-ttl': {
    type: 'string',
    default: '5m',
    help: 'how long NVMe stays reserved for a placed claim or pod when no newer report accounts for it (a duration, with --kube)',
    rule: rules.duration(1000),
  },
  'provisional-ttl': {
    type: 'string',
    default: '15s',
    help: "how long prioritize holds a pod's volumes on its best-scored nodes until its real placement is seen (a duration, 0 turns it off; with --kube)",
    rule: rules.duration(0),
  },
  'requeue-rate': {
    type: 'string',
    default: '10',
    help: 'most pods per second berth annotates (berth.io/requeue) so that kube-scheduler retries them when a node report brings the room they were turned away for; 0 turns it off (with --kube)',
    rule: rules.number(0, 1000),
  },
  'requeue-pod-interval': {
    type: 'string',
    default: '30s',
    help: 'after annotating a pod, berth does so again only once kube-scheduler has retried it, or after this long (a duration, with --kube)',
    rule: rules.duration(1000),
  },
  'requeue-max-pods': {
    type: 'string',
    default: '2000',
    help: 'most turned-away pods berth remembers for a retry; beyond it the one turned away longest ago is forgotten (with --kube)',
    rule: rules.integer(1, 100_000),
  },
  'push-auth': {
    type: 'string',
    default: 'none',
    help: 'how POST /v1/reports authenticates callers: none, or tokenreview (audience "berth", the agent service account, node-name claim = report node; needs --kube)',
    rule: rules.oneOf(['none', 'tokenreview']),
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
    rule: rules.duration(60_000),
  },
  'watchdog-timeout': {
    type: 'string',
    default: '90s',
    help: 'an informer with no event and no watch (re)established for this long is restarted and readiness drops (a duration of at least 35s: quiet watches are renewed every 30 s)',
    rule: rules.duration(35_000),
  },
  'shutdown-delay': {
    type: 'string',
    default: '5s',
    help: 'on SIGTERM, how long /readyz answers 503 before the listener closes',
    rule: rules.duration(0),
  },
  'log-level': LOG_LEVEL_OPTION,
} satisfies Record<string, OptionSpec>);

export type OptionName = keyof typeof OPTIONS;
export type RawOptions = Partial<Record<OptionName, string | boolean>>;
