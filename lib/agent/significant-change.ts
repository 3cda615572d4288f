/**
 * Whether a new report differs enough from the last published one to publish it before the heartbeat is due.
 * Pure. The answer is a short reason for logs, or null. "Significant" means a change the extender would decide
 * differently on:
 *
 *   - identity: zone or probe address changed;
 *   - inventory: the set of NVMe devices (name, size), pools (name, kind, device, nvme, capacity) or NICs
 *     (name, link speed) changed;
 *   - capacity: a pool's free bytes moved by more than `freeBytes`;
 *   - bandwidth: a NIC's rx or tx rate moved by more than `headroomFraction` of its link speed (so headroom =
 *     speed − rate moved by that fraction); a NIC without a speed uses the fraction of the larger of the two rates,
 *     ignoring moves below `rateFloorBps`;
 *   - latency: a peer present in both reports moved its p50 by more than `rttFraction` *and* by more than
 *     `rttFloorUs` (tiny loopback RTTs jitter by large fractions and mean nothing). Peers appearing or ageing out
 *     are not significant on their own: sampling rotates through the cluster, and the heartbeat carries them;
 *   - health: the set of problems (collector + reason) changed.
 */
import type { NodeReport } from '../core/report.ts';

export interface ChangeThresholds {
  readonly freeBytes: number;
  readonly headroomFraction: number;
  readonly rateFloorBps: number;
  readonly rttFraction: number;
  readonly rttFloorUs: number;
}

export type ReportContent = Omit<NodeReport, 'takenAt' | 'agent'>;

export function significantChange(prev: ReportContent | null, next: ReportContent, t: ChangeThresholds): string | null {
  if (prev === null) return 'first report';
  return (
    identityChange(prev, next) ??
    inventoryChange(prev, next) ??
    poolFreeChange(prev, next, t) ??
    nicRateChange(prev, next, t) ??
    peerRttChange(prev, next, t) ??
    problemsChange(prev, next)
  );
}

function identityChange(prev: ReportContent, next: ReportContent): string | null {
  if (prev.node !== next.node) return 'node name changed';
  if (prev.zone !== next.zone) return `zone ${String(prev.zone)} → ${String(next.zone)}`;
  if (prev.probe !== next.probe) return `probe address ${String(prev.probe)} → ${String(next.probe)}`;
  return null;
}

function inventoryChange(prev: ReportContent, next: ReportContent): string | null {
  const devices = (r: ReportContent): string[] => r.devices.map((d) => `${d.name}/${d.sizeBytes}`);
  const pools = (r: ReportContent): string[] =>
    r.pools.map((p) => `${p.name}/${p.kind}/${String(p.device)}/${p.nvme}/${p.capacityBytes}`);
  const nics = (r: ReportContent): string[] => r.nics.map((n) => `${n.name}/${String(n.speedBps)}`);
  if (!sameSet(devices(prev), devices(next))) return 'NVMe device set changed';
  if (!sameSet(pools(prev), pools(next))) return 'pool set or capacity changed';
  if (!sameSet(nics(prev), nics(next))) return 'NIC set or link speed changed';
  return null;
}

function poolFreeChange(prev: ReportContent, next: ReportContent, t: ChangeThresholds): string | null {
  for (const p of next.pools) {
    const old = prev.pools.find((q) => q.name === p.name);
    if (old && Math.abs(p.freeBytes - old.freeBytes) > t.freeBytes)
      return `pool ${p.name} free bytes moved by ${Math.abs(p.freeBytes - old.freeBytes)}`;
  }
  return null;
}

function nicRateChange(prev: ReportContent, next: ReportContent, t: ChangeThresholds): string | null {
  for (const n of next.nics) {
    const old = prev.nics.find((m) => m.name === n.name);
    if (!old) continue;
    const moved = Math.max(Math.abs(n.rxBps - old.rxBps), Math.abs(n.txBps - old.txBps));
    const limit =
      n.speedBps !== null && n.speedBps > 0
        ? t.headroomFraction * n.speedBps
        : Math.max(t.rateFloorBps, t.headroomFraction * Math.max(n.rxBps, n.txBps, old.rxBps, old.txBps));
    if (moved > limit) return `NIC ${n.name} rate moved by ${Math.round(moved)} bit/s`;
  }
  return null;
}

function peerRttChange(prev: ReportContent, next: ReportContent, t: ChangeThresholds): string | null {
  const before = new Map(prev.peers.map((p) => [p.node, p.p50Us]));
  for (const p of next.peers) {
    const old = before.get(p.node);
    if (old === undefined) continue;
    const moved = Math.abs(p.p50Us - old);
    if (moved > t.rttFloorUs && moved > t.rttFraction * old) return `peer ${p.node} p50 ${old}us → ${p.p50Us}us`;
  }
  return null;
}

function problemsChange(prev: ReportContent, next: ReportContent): string | null {
  const key = (r: ReportContent): string[] => r.problems.map((p) => `${p.collector}: ${p.reason}`);
  return sameSet(key(prev), key(next)) ? null : 'problems changed';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((v, i) => v === sb[i]);
}
