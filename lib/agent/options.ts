/**
 * `berth agent`'s options table (lib/core/options.ts): parsing, validation, --help and the flag table in
 * docs/agent.md all come from it. Rules that involve several flags live in lib/agent/config.ts.
 */
import { LOG_LEVEL_OPTION, rules, type OptionSpec, type Rule } from '../core/options.ts';
import { REPORT_LIMITS } from '../core/report.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** An http(s) base URL without query, fragment or credentials; the trailing slash is dropped. */
const extenderUrl: Rule<string> = {
  arg: '<url>',
  fallback: '',
  parse: (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { ok: false, message: `must be an http(s) URL, got ${JSON.stringify(text)}` };
    }
    const clean = url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !clean)
      return {
        ok: false,
        message: `must be an http(s) URL without query, fragment or credentials, got ${JSON.stringify(text)}`,
      };
    return { ok: true, value: url.href.replace(/\/+$/, '') };
  },
};

const IDENTITY = 'Identity';
const PUBLISHING = 'Publishing';
const STORAGE = 'Storage and network';
const LATENCY = 'Latency probing';
const OPERATIONS = 'Operations';

export const AGENT_OPTIONS = Object.freeze({
  node: {
    type: 'string',
    default: '',
    shown: '`$NODE_NAME`, else the lower-cased hostname',
    help: 'node name in the report (DNS-1123 subdomain)',
    rule: rules.text(253, '<name>'),
    group: IDENTITY,
  },
  zone: {
    type: 'string',
    default: '',
    shown: "`$BERTH_ZONE`; with `--kube` the Node's `topology.kubernetes.io/zone` label; else none",
    help: 'topology zone',
    rule: rules.text(REPORT_LIMITS.text, '<zone>'),
    group: IDENTITY,
  },
  kube: {
    type: 'boolean',
    default: false,
    help: "publish the report as this node's `NodeReport` through the API server (server-side apply, field manager `berth-agent`); peers default to the NodeReports. Not together with `--extender` or `--token-file`",
    group: PUBLISHING,
  },
  kubeconfig: {
    type: 'string',
    default: '',
    shown: '`$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account',
    help: 'kubeconfig file; only with `--kube`',
    rule: rules.text(4096, '<path>'),
    group: PUBLISHING,
  },
  extender: {
    type: 'string',
    default: '',
    shown: 'none (required unless `--kube` or `--once --json`)',
    help: 'extender base URL; reports go to `/v1/reports`, peers come from `/v1/peers`',
    rule: extenderUrl,
    group: PUBLISHING,
  },
  'token-file': {
    type: 'string',
    default: '',
    shown: 'none',
    help: 'with `--extender`: bearer token file (projected ServiceAccount token, audience `berth`), re-read when it changes',
    rule: rules.text(4096, '<path>'),
    group: PUBLISHING,
  },
  interval: {
    type: 'string',
    default: '10s',
    help: 'collection round (1 s – 1 h)',
    rule: rules.duration(1_000, HOUR),
    group: PUBLISHING,
  },
  heartbeat: {
    type: 'string',
    default: '20s',
    help: "publish at least this often (≥ `--interval`); keep it well below the extender's `--report-ttl` (180 s by default) so one lost publish never makes the node stale",
    rule: rules.duration(1_000, DAY),
    group: PUBLISHING,
  },
  'change-free': {
    type: 'string',
    default: '1Gi',
    help: "a pool's free bytes moving more than this is significant",
    rule: rules.quantity(0, 2 ** 62, '0 to 4Ei'),
    group: PUBLISHING,
  },
  'change-headroom': {
    type: 'string',
    default: '0.05',
    help: 'a NIC rate moving more than this fraction of link speed is significant',
    rule: rules.fraction(),
    group: PUBLISHING,
  },
  'change-rate-floor': {
    type: 'string',
    default: '10M',
    help: 'NICs without a speed: rate moves below this many bit/s are ignored (above it, the fraction applies to the rate)',
    rule: rules.quantity(0, 1e13, '0 to 10T'),
    group: PUBLISHING,
  },
  'change-rtt': {
    type: 'string',
    default: '0.25',
    help: "a peer's p50 moving by more than this fraction is significant …",
    rule: rules.fraction(),
    group: PUBLISHING,
  },
  'change-rtt-floor': {
    type: 'string',
    default: '100us',
    help: '… and only if it also moved by more than this',
    rule: rules.duration(0, 60_000),
    group: PUBLISHING,
  },
  'publish-timeout': {
    type: 'string',
    default: '5s',
    help: 'per publish (POST, or NodeReport apply) and per peer-list request',
    rule: rules.duration(100, 120_000),
    group: PUBLISHING,
  },
  'retry-base': {
    type: 'string',
    default: '500ms',
    help: 'first retry delay; doubles per consecutive failure',
    rule: rules.duration(10, 600_000),
    group: PUBLISHING,
  },
  'retry-max': {
    type: 'string',
    default: '30s',
    help: 'retry delay cap',
    rule: rules.duration(10, HOUR),
    group: PUBLISHING,
  },
  pool: {
    type: 'string',
    default: '',
    shown: 'none',
    multiple: true,
    arg: '<name=kind:target>',
    help: 'a storage pool `NAME=KIND:TARGET`, repeatable or comma-separated; KIND `mount` (absolute path), `device` (`/dev/…`), `lvm` (VG name)',
    group: STORAGE,
  },
  nic: {
    type: 'string',
    default: '',
    shown: 'the default-route interface',
    multiple: true,
    arg: '<interface>',
    help: 'interfaces carrying pod traffic; repeatable or comma-separated',
    group: STORAGE,
  },
  'inventory-refresh': {
    type: 'string',
    default: '5m',
    help: 're-list block devices and the default route',
    rule: rules.duration(10_000, DAY),
    group: STORAGE,
  },
  'rate-window': {
    type: 'string',
    default: '30s',
    help: 'EWMA time constant τ for NIC rates',
    rule: rules.duration(1_000, HOUR),
    group: STORAGE,
  },
  probe: {
    type: 'boolean',
    default: true,
    help: 'serve and send latency probes (when off: `probe: null`, no `peers`)',
    group: LATENCY,
  },
  'probe-listen': {
    type: 'string',
    default: '0.0.0.0:7070',
    help: 'UDP echo address (`[::]:7070` for IPv6; port 0 = ephemeral)',
    rule: rules.hostPort(true),
    group: LATENCY,
  },
  'probe-advertise': {
    type: 'string',
    default: '',
    shown: 'derived',
    help: "`host:port` peers should probe: else the listen address when specific, or the pod-traffic NIC's address when the listen address is a wildcard",
    rule: rules.hostPort(false),
    group: LATENCY,
  },
  'peer-source': {
    type: 'string',
    default: '',
    shown: '`static` with `--peers`, else `kube` with `--kube`, else `extender`',
    arg: '<source>',
    help: '`static`, `extender` (GET `/v1/peers`), `kube` (list NodeReports) or `none`',
    group: LATENCY,
  },
  peers: {
    type: 'string',
    default: '',
    shown: 'none',
    multiple: true,
    arg: '<node=host:port>',
    help: 'static peer list `node=host:port,…`, repeatable',
    group: LATENCY,
  },
  'peers-refresh': {
    type: 'string',
    default: '60s',
    help: 'how often the peer list is re-fetched (after a failure: next round)',
    rule: rules.duration(1_000, DAY),
    group: LATENCY,
  },
  'probe-zone-peers': {
    type: 'string',
    default: '16',
    help: 'same-zone peers probed per round (rotating when the zone is bigger)',
    rule: rules.integer(0, 1024),
    group: LATENCY,
  },
  'probe-other-peers': {
    type: 'string',
    default: '8',
    help: 'peers from other zones probed per round, rotating',
    rule: rules.integer(0, 1024),
    group: LATENCY,
  },
  'probe-count': {
    type: 'string',
    default: '3',
    help: 'probes per sampled peer per round',
    rule: rules.integer(1, 20),
    group: LATENCY,
  },
  'probe-timeout': {
    type: 'string',
    default: '1s',
    help: 'a probe not answered within this is lost',
    rule: rules.duration(1, 10_000),
    group: LATENCY,
  },
  'probe-window': {
    type: 'string',
    default: '5m',
    help: 'RTT samples older than this are dropped',
    rule: rules.duration(1_000, DAY),
    group: LATENCY,
  },
  'report-peers-max': {
    type: 'string',
    default: '128',
    help: 'peers per report, most recently probed first (keeps a report under ~12 KB)',
    rule: rules.integer(0, REPORT_LIMITS.peers),
    group: LATENCY,
  },
  'metrics-listen': {
    type: 'string',
    default: '',
    shown: 'off',
    help: 'serve Prometheus metrics at `http://HOST:PORT/metrics`',
    rule: rules.hostPort(true),
    group: OPERATIONS,
  },
  'log-level': { ...LOG_LEVEL_OPTION, group: OPERATIONS },
  once: {
    type: 'boolean',
    default: false,
    help: 'one round (two NIC readings 1 s apart), publish once, exit',
    group: OPERATIONS,
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'with `--once`: print the report to stdout instead of publishing',
    group: OPERATIONS,
  },
} satisfies Record<string, OptionSpec>);

export type AgentOptionName = keyof typeof AGENT_OPTIONS;

export const AGENT_SUMMARY =
  "Measures this node's NVMe pools, NIC headroom and peer latency, and publishes reports to the berth extender " +
  "(--extender) or as this node's NodeReport through the Kubernetes API server (--kube).";
