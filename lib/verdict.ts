/**
 * One node judged for one pod: whether it passes and, if so, its terms and score. Filter, prioritize and explain
 * all read the same verdict, so what explain shows is what the scheduler was told.
 */
import { totalNvme, type Needs } from './needs.ts';
import type { NodeView } from './node-view.ts';
import { placeVolumes, sum } from './placement.ts';
import { bandwidthTerm, capacityTerm, combine, latencyTerm, MAX_SCORE, NEUTRAL, type CapacityStrategy, type Terms, type Weights } from './score.ts';
import { formatBitRate, formatBytes, formatDurationUs } from './units.ts';

/** Closed set of reasons a node is rejected; the `reason` label of berth_filter_rejections_total. */
export const REASON_CODES = ['no_report', 'report_stale', 'no_nvme', 'nvme_capacity', 'link_unknown', 'bandwidth', 'peer_latency', 'invalid_needs'] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Rejection {
  readonly code: ReasonCode;
  readonly message: string;
  /** true: preemption cannot help (FailedAndUnresolvableNodes); false: FailedNodes. */
  readonly unresolvable: boolean;
}

export interface Policy {
  readonly reportTtlMs: number;
  readonly stalePolicy: 'reject' | 'neutral';
  readonly strategy: CapacityStrategy;
  readonly weights: Weights;
  readonly latencyReferenceUs: number;
}

export interface RequestContext {
  readonly nowMs: number;
  readonly policy: Policy;
  readonly needs: Needs;
  readonly view: (node: string) => NodeView | undefined;
  readonly reserved: (node: string) => readonly number[];
  /** Nodes where the pod's peers already run (with repeats when several peers share a node). */
  readonly peerNodes: readonly string[];
}

export interface Facts {
  readonly nvmeFreeBytes: number | null;
  readonly reservedBytes: number;
  readonly freeAfterBytes: number | null;
  readonly headroomBps: number | null;
  readonly meanPeerRttUs: number | null;
  readonly worstPeer: { readonly node: string; readonly rttUs: number } | null;
}

export interface NodeVerdict {
  readonly node: string;
  readonly rejection: Rejection | null;
  readonly terms: Terms;
  /** Integer 0..10, or null when the pod asked for no scored term. */
  readonly score: number | null;
  readonly facts: Facts;
}

const NO_TERMS: Terms = Object.freeze({ capacity: null, bandwidth: null, latency: null });
const NO_FACTS: Facts = Object.freeze({ nvmeFreeBytes: null, reservedBytes: 0, freeAfterBytes: null, headroomBps: null, meanPeerRttUs: null, worstPeer: null });

function reject(node: string, code: ReasonCode, message: string, unresolvable: boolean, facts: Facts = NO_FACTS): NodeVerdict {
  return { node, rejection: { code, message, unresolvable }, terms: NO_TERMS, score: null, facts };
}

/** A node berth cannot vouch for: rejected, or passed with a neutral score, as the stale policy says. */
function unknownNode(node: string, ctx: RequestContext, code: 'no_report' | 'report_stale'): NodeVerdict {
  if (ctx.policy.stalePolicy === 'neutral') return { node, rejection: null, terms: NO_TERMS, score: Math.round(MAX_SCORE * NEUTRAL), facts: NO_FACTS };
  const message = code === 'no_report' ? 'no report from berth agent' : `report stale (older than ${formatDurationUs(ctx.policy.reportTtlMs * 1000)})`;
  return reject(node, code, message, true);
}

function peerRtt(ctx: RequestContext, view: NodeView, peer: string): number | undefined {
  if (peer === view.node) return 0;
  return view.rttUs.get(peer) ?? ctx.view(peer)?.rttUs.get(view.node);
}

function peerLatency(ctx: RequestContext, view: NodeView): { mean: number | null; worst: Facts['worstPeer'] } {
  let total = 0;
  let count = 0;
  let worst: Facts['worstPeer'] = null;
  for (const peer of ctx.peerNodes) {
    const rtt = peerRtt(ctx, view, peer);
    if (rtt === undefined) continue;
    total += rtt;
    count++;
    if (worst === null || rtt > worst.rttUs) worst = { node: peer, rttUs: rtt };
  }
  return { mean: count === 0 ? null : total / count, worst };
}

export function evaluateNode(node: string, ctx: RequestContext): NodeVerdict {
  const view = ctx.view(node);
  if (view === undefined) return unknownNode(node, ctx, 'no_report');
  if (ctx.nowMs - view.receivedAtMs > ctx.policy.reportTtlMs) return unknownNode(node, ctx, 'report_stale');
  const { needs, policy } = ctx;
  const reserved = ctx.reserved(node);
  const reservedBytes = sum(reserved);
  let capacity: number | null = null;
  let freeAfterBytes: number | null = null;
  if (needs.nvmeVolumes.length > 0) {
    const want = formatBytes(totalNvme(needs)) + (needs.nvmeVolumes.length > 1 ? ` in ${needs.nvmeVolumes.length} volumes` : '');
    if (view.nvmePools.length === 0) return reject(node, 'no_nvme', `needs ${want} NVMe, node reports no NVMe pool`, true);
    const placed = placeVolumes(view.nvmePools, reserved, needs.nvmeVolumes);
    if (!placed.fits) {
      const top = view.nvmePools[0];
      const free = Math.max(0, (top?.freeBytes ?? 0) - (view.nvmePools.length === 1 ? reservedBytes : 0));
      const held = reservedBytes > 0 ? ` (${formatBytes(reservedBytes)} reserved for pods in flight)` : '';
      const facts = { ...NO_FACTS, nvmeFreeBytes: view.nvmeFreeBytes, reservedBytes };
      return reject(node, 'nvme_capacity', `needs ${want} NVMe, ${formatBytes(free)} free in pool ${top?.name ?? '?'}${held}`, true, facts);
    }
    freeAfterBytes = sum(placed.freeAfter);
    capacity = capacityTerm(freeAfterBytes, view.nvmeCapacityBytes, policy.strategy);
  }
  let bandwidth: number | null = null;
  let headroomBps: number | null = null;
  if (needs.minBandwidthBps !== null) {
    const need = formatBitRate(needs.minBandwidthBps);
    const link = view.link;
    if (link === null) return reject(node, 'link_unknown', `needs ${need} bandwidth, node reports no network interface`, false);
    if (link.speedBps === null) return reject(node, 'link_unknown', `needs ${need} bandwidth, link speed of ${link.name} unknown`, false);
    headroomBps = Math.max(0, link.speedBps - link.loadBps);
    if (headroomBps < needs.minBandwidthBps) {
      return reject(node, 'bandwidth', `needs ${need} bandwidth, ${formatBitRate(headroomBps)} headroom on ${link.name}`, false, { ...NO_FACTS, headroomBps });
    }
    bandwidth = bandwidthTerm(link.speedBps, link.loadBps, needs.minBandwidthBps);
  }
  let latency: number | null = null;
  let lat: ReturnType<typeof peerLatency> = { mean: null, worst: null };
  if (needs.peers !== null && ctx.peerNodes.length > 0) {
    lat = peerLatency(ctx, view);
    const max = needs.maxPeerLatencyUs;
    if (max !== null && lat.worst !== null && lat.worst.rttUs > max) {
      const msg = `needs ≤ ${formatDurationUs(max)} to peers, ${formatDurationUs(lat.worst.rttUs)} to ${lat.worst.node}`;
      return reject(node, 'peer_latency', msg, true, { ...NO_FACTS, meanPeerRttUs: lat.mean, worstPeer: lat.worst });
    }
    latency = latencyTerm(lat.mean, max ?? policy.latencyReferenceUs);
  }
  const terms: Terms = { capacity, bandwidth, latency };
  const facts: Facts = { nvmeFreeBytes: view.nvmeFreeBytes, reservedBytes, freeAfterBytes, headroomBps, meanPeerRttUs: lat.mean, worstPeer: lat.worst };
  return { node, rejection: null, terms, score: combine(terms, policy.weights), facts };
}
