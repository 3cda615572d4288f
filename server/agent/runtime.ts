/**
 * Wiring: turns a validated AgentConfig into running parts (collectors, echo socket, prober, publisher, sender,
 * metrics) and back down again. Used by the CLI (`berth agent`), by startAgent() for standalone mode, and by
 * the cost benchmark, so all three run the same code.
 */
import { networkInterfaces } from 'node:os';
import { type AgentConfig, formatHostPort } from '../../lib/agent-config.ts';
import type { CollectorProblem } from '../../lib/report.ts';
import { BearerTokenFile } from './bearer-token.ts';
import { NetworkCollector } from './collectors/network.ts';
import { NvmeDeviceCollector } from './collectors/nvme-devices.ts';
import { StoragePoolCollector } from './collectors/storage-pools.ts';
import { HOST_PATHS, type HostPaths } from './collectors/sysfs.ts';
import { type AgentDeps, errorMessage } from './deps.ts';
import { EchoSocket } from './latency/echo-socket.ts';
import { HttpPeerSource, type PeerSource, StaticPeerSource } from './latency/peer-source.ts';
import { LatencyProber } from './latency/prober.ts';
import { AgentMetrics } from './metrics.ts';
import { HttpReportPublisher } from './publish/http-publisher.ts';
import { ReportCollector } from './report-collector.ts';

export interface AgentParts {
  readonly collector: ReportCollector;
  readonly network: NetworkCollector;
  readonly metrics: AgentMetrics;
  readonly echo: EchoSocket | null;
  readonly probe: string | null; // advertised echo address
  readonly publisher: HttpReportPublisher | null;
  readonly token: BearerTokenFile | null;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** --once: bind the echo socket on an ephemeral port (a daemon may own the real one) and advertise nothing. */
  readonly once: boolean;
  readonly paths?: HostPaths;
}

/** Thrown when the agent cannot start for a reason the operator must fix; `flag` names the culprit. */
export class AgentStartError extends Error {
  readonly flag: string;

  constructor(flag: string, message: string, cause?: unknown) {
    super(`${flag}: ${message}`, { cause });
    this.name = 'AgentStartError';
    this.flag = flag;
  }
}

export async function buildAgentParts(config: AgentConfig, deps: AgentDeps, opts: BuildOptions): Promise<AgentParts> {
  const paths = opts.paths ?? HOST_PATHS;
  const metrics = new AgentMetrics({ defaultMetrics: config.metricsListen !== null && !opts.once });
  const token = config.tokenFile !== null ? new BearerTokenFile(config.tokenFile) : null;
  const network = new NetworkCollector({ nics: config.nics, paths, refreshMs: config.inventoryRefreshMs, rateWindowMs: config.rateWindowMs });
  const nvme = new NvmeDeviceCollector({ paths, refreshMs: config.inventoryRefreshMs, log: deps.log });
  const pools = new StoragePoolCollector({ pools: config.pools, paths });
  const source = peerSource(config, token);
  const needsSocket = config.probe.enabled && (!opts.once || source !== null);
  const echo = needsSocket ? await openEcho(config, deps, opts.once) : null;
  const standing: CollectorProblem[] = [];
  let probe: string | null = null;
  if (echo !== null && !opts.once) {
    probe = config.probe.advertise ?? deriveProbeAddress(config.probe.listen.host, echo.address.port, (await network.selectedNics(deps.clock.monotonicMs()))[0]);
    if (probe === null) standing.push({ collector: 'latency', reason: `cannot derive the probe address from wildcard ${formatHostPort(config.probe.listen)}; pass --probe-advertise` });
  }
  const prober = echo !== null && source !== null
    ? new LatencyProber({
      self: { node: config.node, zone: config.zone }, source, socket: echo, refreshMs: config.peers.refreshMs,
      zonePeers: config.probe.zonePeers, otherPeers: config.probe.otherPeers, count: config.probe.count,
      timeoutMs: config.probe.timeoutMs, windowMs: config.probe.windowMs, reportMax: config.probe.reportMax,
      onRtt: (s) => { metrics.probeRtt.observe(s); },
    })
    : null;
  const collector = new ReportCollector({
    identity: { node: config.node, zone: config.zone, probe },
    sources: {
      devices: (now) => nvme.collect(now),
      pools: () => pools.collect(),
      nics: (now) => network.collect(now),
      peers: prober === null ? null : (now, signal) => prober.collect(now, signal),
    },
    clock: deps.clock, log: deps.log, metrics, instance: deps.randomId(), standingProblems: standing,
  });
  const publisher = config.extender !== null ? new HttpReportPublisher({ extender: config.extender, token, timeoutMs: config.publish.timeoutMs }) : null;
  return { collector, network, metrics, echo, probe, publisher, token, close: async () => { await echo?.close(); } };
}

function peerSource(config: AgentConfig, token: BearerTokenFile | null): PeerSource | null {
  if (!config.probe.enabled) return null;
  switch (config.peers.source) {
    case 'static': return new StaticPeerSource(config.peers.list);
    case 'extender': return config.extender === null ? null : new HttpPeerSource({ extender: config.extender, token, timeoutMs: config.publish.timeoutMs });
    case 'none': return null;
  }
}

async function openEcho(config: AgentConfig, deps: AgentDeps, once: boolean): Promise<EchoSocket> {
  const listen = once ? { host: config.probe.listen.host, port: 0 } : config.probe.listen;
  try {
    return await EchoSocket.open({ listen, monotonicMs: () => deps.clock.monotonicMs(), random: deps.random });
  } catch (err) {
    throw new AgentStartError('--probe-listen', `cannot bind UDP ${formatHostPort(listen)}: ${errorMessage(err)}`, err);
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
