/**
 * The CLI adapter for `berth agent`: argv → raw flag values with node:util parseArgs. No rules live here;
 * lib/agent/config.ts validates, applies defaults and names the flag in every error.
 */
import { parseArgs } from 'node:util';
import { AGENT_FLAG_DEFAULTS, type RawAgentFlags } from '../../lib/agent/config.ts';

const STRING_FLAGS = [
  'node',
  'zone',
  'extender',
  'kubeconfig',
  'token-file',
  'interval',
  'heartbeat',
  'inventory-refresh',
  'rate-window',
  'probe-listen',
  'probe-advertise',
  'probe-zone-peers',
  'probe-other-peers',
  'probe-count',
  'probe-timeout',
  'probe-window',
  'report-peers-max',
  'peer-source',
  'peers-refresh',
  'change-free',
  'change-headroom',
  'change-rate-floor',
  'change-rtt',
  'change-rtt-floor',
  'publish-timeout',
  'retry-base',
  'retry-max',
  'metrics-listen',
] as const;
const LIST_FLAGS = ['nic', 'pool', 'peers'] as const;
const BOOLEAN_FLAGS = ['kube', 'once', 'json', 'no-probe', 'help'] as const;
/** Every flag `berth agent` accepts (docs/agent.md lists each; a test keeps them in step). */
export const AGENT_FLAG_NAMES: readonly string[] = [...STRING_FLAGS, ...LIST_FLAGS, ...BOOLEAN_FLAGS];

/** Throws parseArgs' own TypeError (code ERR_PARSE_ARGS_*) on an unknown flag or a missing value. */
export function parseAgentFlags(argv: readonly string[]): RawAgentFlags {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const f of STRING_FLAGS) options[f] = { type: 'string' };
  for (const f of LIST_FLAGS) options[f] = { type: 'string', multiple: true };
  for (const f of BOOLEAN_FLAGS) options[f] = { type: 'boolean' };
  options['help'] = { type: 'boolean', short: 'h' };
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  return values;
}

const d = AGENT_FLAG_DEFAULTS;
export const AGENT_HELP = `Usage: berth agent [flags]

Measures this node's NVMe pools, NIC headroom and peer latency, and publishes reports to the berth extender
(--extender) or as this node's NodeReport through the Kubernetes API server (--kube).

Identity
  --node NAME              node name (default: $NODE_NAME, else the lower-cased hostname)
  --zone ZONE              topology zone (default: $BERTH_ZONE; with --kube the Node's topology.kubernetes.io/zone
                           label, read once at start; else none)
Publishing
  --kube                   publish this node's NodeReport through the API server (server-side apply)
  --kubeconfig PATH        with --kube (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account)
  --extender URL           extender base URL; reports go to URL/v1/reports (required unless --kube or --once --json)
  --token-file PATH        bearer token file, re-read when it changes (default: none)
  --interval D             collection round (default ${d.interval})
  --heartbeat D            publish at least this often even without a significant change (default ${d.heartbeat})
  --change-free Q          pool free bytes move that counts as significant (default ${d['change-free']})
  --change-headroom F      NIC rate move, as a fraction of link speed, that counts (default ${d['change-headroom']})
  --change-rate-floor Q    for NICs without a speed: ignore rate moves below this many bit/s (default ${d['change-rate-floor']})
  --change-rtt F           peer p50 move, as a fraction, that counts (default ${d['change-rtt']})
  --change-rtt-floor D     ...and only when it also exceeds this (default ${d['change-rtt-floor']})
  --publish-timeout D      per publish request (default ${d['publish-timeout']})
  --retry-base D           first retry delay; doubles per failure, jittered (default ${d['retry-base']})
  --retry-max D            retry delay cap (default ${d['retry-max']})
Storage and network
  --pool NAME=KIND:TARGET  repeatable; KIND is mount (a path), device (/dev/...) or lvm (a volume group)
  --nic IF                 repeatable; interfaces carrying pod traffic (default: the default-route interface)
  --inventory-refresh D    re-list block devices and the default route (default ${d['inventory-refresh']})
  --rate-window D          EWMA time constant for NIC rates (default ${d['rate-window']})
Latency probing
  --no-probe               do not serve or send latency probes
  --probe-listen H:P       UDP echo address (default ${d['probe-listen']})
  --probe-advertise H:P    address peers should probe (default: listen address, or the NIC's IP when wildcard)
  --peer-source S          static | extender | kube | none (default: static with --peers, else kube with --kube,
                           else extender)
  --peers N=H:P,...        static peer list
  --peers-refresh D        how often to re-fetch the peer list (default ${d['peers-refresh']})
  --probe-zone-peers N     same-zone peers probed per round (default ${d['probe-zone-peers']})
  --probe-other-peers N    other peers probed per round, rotating (default ${d['probe-other-peers']})
  --probe-count N          probes per peer per round (default ${d['probe-count']})
  --probe-timeout D        probe timeout (default ${d['probe-timeout']})
  --probe-window D         RTT samples older than this are dropped (default ${d['probe-window']})
  --report-peers-max N     peers per report, most recently probed first (default ${d['report-peers-max']})
Operations
  --metrics-listen H:P     serve Prometheus metrics on http://H:P/metrics (default: off)
  --once                   collect one report (two NIC readings 1 s apart), publish it once, exit
  --json                   with --once: print the report to stdout instead of publishing
  -h, --help               this text

D is a duration (500ms, 10s, 5m), Q a quantity (1Gi, 10M), F a fraction in (0, 1].
Exit codes: 0 ok, 1 runtime failure, 2 bad flags.
`;
