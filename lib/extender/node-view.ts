/**
 * What berth keeps of one node's report besides the typed columns of the node table: the few fields that reasons,
 * explain, the reports listing, peer discovery and metrics read. The rest of the report (devices, the peer list,
 * which lives on in the RTT index) is dropped on arrival: memory follows what berth reads.
 */
import { linkView, type CollectorProblem, type LinkView, type NodeReport } from '../core/report.ts';

export { linkView, type LinkView };

export interface PoolView {
  readonly name: string;
  readonly freeBytes: number;
  readonly capacityBytes: number;
}

export interface NodeView {
  readonly node: string;
  readonly zone: string | null;
  readonly receivedAtMs: number;
  /** NVMe pools, most free first (ties by name): a single volume fits iff it fits in the first. */
  readonly nvmePools: readonly PoolView[];
  readonly nvmeCapacityBytes: number;
  readonly nvmeFreeBytes: number;
  readonly link: LinkView | null;
  readonly agent: NodeReport['agent'];
  readonly probe: string | null;
  readonly takenAt: string;
  readonly problems: readonly CollectorProblem[];
  /** How many peers the node's agent measured (the RTTs themselves are in the RTT index). */
  readonly peersMeasured: number;
}

export function nodeView(report: NodeReport, receivedAtMs: number): NodeView {
  const nvmePools = report.pools
    .filter((p) => p.nvme)
    .map((p) => ({ name: p.name, freeBytes: p.freeBytes, capacityBytes: p.capacityBytes }))
    .sort((a, b) => b.freeBytes - a.freeBytes || (a.name < b.name ? -1 : 1));
  let cap = 0;
  let free = 0;
  for (const p of nvmePools) {
    cap += p.capacityBytes;
    free += p.freeBytes;
  }
  return {
    node: report.node,
    zone: report.zone,
    receivedAtMs,
    nvmePools,
    nvmeCapacityBytes: cap,
    nvmeFreeBytes: free,
    link: linkView(report),
    agent: report.agent,
    probe: report.probe,
    takenAt: report.takenAt,
    problems: report.problems,
    peersMeasured: new Set(report.peers.map((p) => p.node)).size,
  };
}
