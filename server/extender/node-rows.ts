import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { ClusterView } from '../../lib/extender/ports.ts';
import type { NodeRow } from '../http/metrics.ts';

/** One row per node for a scrape (totals and top-N gauges), read straight from the store's views. */
export function* nodeRows(store: ReportStore, cluster: ClusterView, ttlMs: number, nowMs: number): Generator<NodeRow> {
  const reservations = cluster.reservations();
  for (const v of store.views()) {
    let reserved = 0;
    for (const b of reservations.get(v.node) ?? []) reserved += b;
    const speed = v.link?.speedBps ?? null;
    yield {
      node: v.node,
      ageSeconds: (nowMs - v.receivedAtMs) / 1000,
      nvmeFree: v.nvmeFreeBytes,
      nvmeCapacity: v.nvmeCapacityBytes,
      reserved,
      linkSpeed: speed,
      headroom: speed === null || v.link === null ? null : Math.max(0, speed - v.link.loadBps),
      fresh: nowMs - v.receivedAtMs <= ttlMs,
    };
  }
}
