/**
 * What the request path needs of one node's report, computed once when the report arrives so that filter and
 * prioritize only read: NVMe pools sorted by free space, the pod-traffic link's speed and load, and RTT by peer.
 */
import type { NodeIds } from './node-ids.ts';
import { linkView, type LinkView, type NodeReport } from '../core/report.ts';

export { linkView, type LinkView };

export interface PoolView {
  readonly name: string;
  readonly freeBytes: number;
  readonly capacityBytes: number;
}

export interface NodeView {
  readonly node: string;
  readonly id: number;
  readonly zone: string | null;
  readonly receivedAtMs: number;
  readonly nvmePools: readonly PoolView[];
  readonly nvmeCapacityBytes: number;
  readonly nvmeFreeBytes: number;
  readonly link: LinkView | null;
  /** p50 round-trip time in microseconds to each measured peer, by peer node id. */
  readonly rttById: ReadonlyMap<number, number>;
  readonly report: NodeReport;
}

export function nodeView(report: NodeReport, receivedAtMs: number, ids: NodeIds): NodeView {
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
  const rttById = new Map<number, number>();
  for (const peer of report.peers) rttById.set(ids.id(peer.node), peer.p50Us);
  return {
    node: report.node,
    id: ids.id(report.node),
    zone: report.zone,
    receivedAtMs,
    nvmePools,
    nvmeCapacityBytes: cap,
    nvmeFreeBytes: free,
    link: linkView(report),
    rttById,
    report,
  };
}
