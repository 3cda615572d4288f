import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { ClusterView } from '../../lib/extender/ports.ts';

/** Per-node gauge rows for a scrape, read straight from the store's views. */
export function* nodeRows(
  store: ReportStore,
  cluster: ClusterView,
  ttlMs: number,
  nowMs: number,
): Generator<{
  node: string;
  ageSeconds: number;
  nvmeFree: number;
  nvmeCapacity: number;
  reserved: number;
  linkSpeed: number | null;
  headroom: number | null;
  fresh: boolean;
}> {
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
