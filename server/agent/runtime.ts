/**
 * Wiring: turns a validated AgentConfig into running parts (collectors, echo socket, prober, publisher, sender,
 * metrics) and back down again. Used by the CLI (`berth agent`), by startAgent() for standalone mode, and by
 * the cost benchmark, so all three run the same code.
 *
 * With --kube the publisher and the peer source talk to the API server. @kubernetes/client-node is loaded only
 * then (loadClientNode): it costs ~400 ms and several MB, which the standalone agent must not pay.
 */
import { withDeadline } from './deadline.ts';
import { networkInterfaces } from 'node:os';
import type { AgentConfig, AgentKubeConfig } from '../../lib/agent/config.ts';
import { formatHostPort } from '../../lib/core/host-port.ts';
import { BerthError } from '../../lib/core/errors.ts';
import { backoffDelayMs } from '../../lib/core/jittered-backoff.ts';
import type { CollectorProblem } from '../../lib/core/report.ts';
import { errorText, type K8s, type KubeConfig, loadClientNode, loadKubeConfig } from '../common/client-node.ts';
import { BearerTokenFile } from './bearer-token.ts';
import { NetworkCollector } from './collectors/network.ts';
import { NvmeDeviceCollector } from './collectors/nvme-devices.ts';
import { StoragePoolCollector } from './collectors/storage-pools.ts';
import { HOST_PATHS, type HostPaths } from './collectors/sysfs.ts';
import { type AgentDeps, errorMessage } from './deps.ts';
import { EchoSocket } from './latency/echo-socket.ts';
import { HttpPeerSource, type PeerSource, StaticPeerSource } from './latency/peer-source.ts';
import { LatencyProber } from './latency/prober.ts';
import { KubePeerSource } from './kube-peer-source.ts';
import { AgentMetrics } from './metrics.ts';
import { KubeReportPublisher } from './publish-kube.ts';
import { HttpReportPublisher } from './publish/http-publisher.ts';
import type { ReportPublisher } from './publish/publisher.ts';
import { ReportCollector } from './report-collector.ts';

/** The well-known label the kubelet (or the cloud provider) sets on a Node. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Reading the Node's zone at start: a few tries (API server restarting, token not yet valid), then give up. */
const ZONE_READ_ATTEMPTS = 5;

export interface AgentParts {
  readonly collector: ReportCollector;
  readonly network: NetworkCollector;
  readonly metrics: AgentMetrics;
  readonly echo: EchoSocket | null;
  readonly probe: string | null; // advertised echo address
  /** The zone reports carry: config.zone, or with --kube and no --zone, the Node's label (null if it has none). */
  readonly zone: string | null;
  readonly publisher: ReportPublisher | null;
  readonly token: BearerTokenFile | null;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** --once: bind the echo socket on an ephemeral port (a daemon may own the real one) and advertise nothing. */
  readonly once: boolean;
  readonly paths?: HostPaths;
}

/** The agent cannot start for a reason the operator must fix; the message names the flag (`berth agent` exits 2). */
export function startError(flag: string, message: string, cause?: unknown): BerthError {
  return new BerthError('BERTH_ERR_START', `${flag}: ${message}`, { cause });
}

export async function buildAgentParts(config: AgentConfig, deps: AgentDeps, opts: BuildOptions): Promise<AgentParts> {
  const paths = opts.paths ?? HOST_PATHS;
  const metrics = new AgentMetrics({ defaultMetrics: config.metricsListen !== null && !opts.once });
  const token = config.tokenFile !== null ? new BearerTokenFile(config.tokenFile) : null;
  const kube = config.kube !== null ? await connectKube(config, config.kube, deps) : null;
  const zone = kube !== null ? kube.zone : config.zone;
  const network = new NetworkCollector({
    nics: config.nics,
    paths,
    refreshMs: config.inventoryRefreshMs,
    rateWindowMs: config.rateWindowMs,
  });
  const nvme = new NvmeDeviceCollector({ paths, refreshMs: config.inventoryRefreshMs, log: deps.log });
  const pools = new StoragePoolCollector({ pools: config.pools, paths });
  const source = peerSource(config, token, kube);
  const needsSocket = config.probe.enabled && (!opts.once || source !== null);
  const echo = needsSocket ? await openEcho(config, deps, opts.once) : null;
  const standing: CollectorProblem[] = [];
  let probe: string | null = null;
  if (echo !== null && !opts.once) {
    probe =
      config.probe.advertise ??
      deriveProbeAddress(
        config.probe.listen.host,
        echo.address.port,
        (await network.selectedNics(deps.clock.monotonicMs()))[0],
      );
    if (probe === null)
      standing.push({
        collector: 'latency',
        reason: `cannot derive the probe address from wildcard ${formatHostPort(config.probe.listen)}; pass --probe-advertise`,
      });
  }
  const prober =
    echo !== null && source !== null
      ? new LatencyProber({
          self: { node: config.node, zone },
          source,
          socket: echo,
          refreshMs: config.peers.refreshMs,
          zonePeers: config.probe.zonePeers,
          otherPeers: config.probe.otherPeers,
          count: config.probe.count,
          timeoutMs: config.probe.timeoutMs,
          windowMs: config.probe.windowMs,
          reportMax: config.probe.reportMax,
          onRtt: (s) => {
            metrics.probeRtt.observe(s);
          },
        })
      : null;
  const collector = new ReportCollector({
    identity: { node: config.node, zone, probe },
    sources: {
      devices: (now) => nvme.collect(now),
      pools: () => pools.collect(),
      nics: (now) => network.collect(now),
      peers: prober === null ? null : (now, signal) => prober.collect(now, signal),
    },
    clock: deps.clock,
    log: deps.log,
    metrics,
    instance: deps.randomId(),
    standingProblems: standing,
  });
  const timeoutMs = config.publish.timeoutMs;
  const publisher: ReportPublisher | null =
    kube !== null
      ? new KubeReportPublisher({ k8s: kube.k8s, kc: kube.kc, node: config.node, timeoutMs })
      : config.extender !== null
        ? new HttpReportPublisher({ extender: config.extender, token, timeoutMs })
        : null;
  return {
    collector,
    network,
    metrics,
    echo,
    probe,
    zone,
    publisher,
    token,
    close: async () => {
      await echo?.close();
    },
  };
}

function peerSource(config: AgentConfig, token: BearerTokenFile | null, kube: KubeLink | null): PeerSource | null {
  if (!config.probe.enabled) return null;
  const timeoutMs = config.publish.timeoutMs;
  switch (config.peers.source) {
    case 'static':
      return new StaticPeerSource(config.peers.list);
    case 'extender':
      return config.extender === null ? null : new HttpPeerSource({ extender: config.extender, token, timeoutMs });
    case 'kube': {
      if (kube === null) return null;
      // The generated client takes no AbortSignal: bound the LIST here, or a hung API server would stall the round.
      const inner = new KubePeerSource(kube.k8s, kube.kc);
      return {
        list: (signal) =>
          withDeadline(
            inner.list(signal),
            timeoutMs,
            signal,
            (why) => new BerthError('BERTH_ERR_PEERS', `list NodeReports: ${why}`),
          ),
      };
    }
    case 'none':
      return null;
  }
}

interface KubeLink {
  readonly k8s: K8s;
  readonly kc: KubeConfig;
  readonly zone: string | null;
}

async function connectKube(config: AgentConfig, kube: AgentKubeConfig, deps: AgentDeps): Promise<KubeLink> {
  const k8s = await loadClientNode();
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(k8s, kube.kubeconfig);
  } catch (err) {
    throw startError(
      kube.kubeconfig === null ? '--kube' : '--kubeconfig',
      `cannot load the Kubernetes client configuration: ${errorMessage(err)}`,
      err,
    );
  }
  const zone = kube.zoneFromNode ? await nodeZone(k8s, kc, config, deps) : config.zone;
  return { k8s, kc, zone };
}

/**
 * The zone from this node's own Node object, read once: a node does not change zones while it runs. A Node
 * without the label has no zone (single-zone clusters). Failing to read it at all fails the start rather than
 * publishing zone-less reports: a wrong zone changes peer sampling and placement silently, a crash-looping pod
 * is visible, and --zone skips the read.
 */
async function nodeZone(k8s: K8s, kc: KubeConfig, config: AgentConfig, deps: AgentDeps): Promise<string | null> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const never = new AbortController().signal;
  for (let attempt = 1; ; attempt++) {
    try {
      const node = await withDeadline(
        core.readNode({ name: config.node }),
        config.publish.timeoutMs,
        never,
        (why) => new BerthError('BERTH_ERR_API', `read Node ${config.node}: ${why}`),
      );
      const zone = node.metadata?.labels?.[ZONE_LABEL]?.trim() ?? '';
      deps.log.info(
        {
          node: config.node,
          label: ZONE_LABEL,
          zone: zone === '' ? null : zone,
        },
        'zone from the Node label',
      );
      return zone === '' ? null : zone;
    } catch (err) {
      const reason = apiReason(err);
      if (attempt >= ZONE_READ_ATTEMPTS)
        throw new BerthError(
          'BERTH_ERR_API',
          `cannot read Node ${config.node} for its ${ZONE_LABEL} label (pass --zone to skip this): ${reason}`,
          { cause: err },
        );
      deps.log.warn({ node: config.node, attempt, reason }, 'reading the Node for its zone failed');
      await deps.sleep(
        backoffDelayMs(attempt, config.publish.retryBaseMs, config.publish.retryMaxMs, deps.random),
        never,
      );
    }
  }
}

/** The API server's own words (its Status message) when there are some: "HTTP-Code: 403" alone says little. */
function apiReason(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const code = (err as { code?: unknown }).code;
  try {
    const message = (JSON.parse(typeof body === 'string' ? body : '') as { message?: unknown }).message;
    if (typeof message === 'string') return typeof code === 'number' ? `${code} ${message}` : message;
  } catch {
    // not a Status body: fall through
  }
  return errorText(err);
}

async function openEcho(config: AgentConfig, deps: AgentDeps, once: boolean): Promise<EchoSocket> {
  const listen = once ? { host: config.probe.listen.host, port: 0 } : config.probe.listen;
  try {
    return await EchoSocket.open({ listen, monotonicMs: () => deps.clock.monotonicMs(), random: deps.random });
  } catch (err) {
    throw startError('--probe-listen', `cannot bind UDP ${formatHostPort(listen)}: ${errorMessage(err)}`, err);
  }
}

/**
 * The address peers should probe: the listen host when it is specific, otherwise the first address of the
 * pod-traffic NIC in the listen socket's family (os.networkInterfaces() is a syscall, not a shell).
 */
export function deriveProbeAddress(listenHost: string, port: number, nic: string | undefined): string | null {
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return formatHostPort({ host: listenHost, port });
  const family = listenHost === '::' ? 'IPv6' : 'IPv4';
  const addrs = nic !== undefined ? (networkInterfaces()[nic] ?? []) : [];
  const addr = addrs.find((a) => a.family === family && !a.internal && !a.address.startsWith('fe80:'));
  return addr ? formatHostPort({ host: addr.address, port }) : null;
}
