/**
 * One node judged for one pod: whether it passes and, if so, its terms and score. Filter, prioritize and explain
 * all run assessNode, so what explain shows is what the scheduler was told. assessNode writes into a scratch
 * object the caller reuses across the nodes of a request: the hot path allocates only for rejected nodes.
 */
import { totalNvme, type Needs } from './needs.ts';
import type { NodeView } from './node-view.ts';
import { freeAfterPlacement, sum } from './placement.ts';
import {
  bandwidthTerm,
  capacityTerm,
  combine,
  latencyTerm,
  MAX_SCORE,
  NEUTRAL,
  type CapacityStrategy,
  type Terms,
  type Weights,
} from './score.ts';
import { formatBitRate, formatBytes, formatDurationUs } from '../core/units.ts';

/** Closed set of reasons a node is rejected; the `reason` label of berth_filter_rejections_total. */
export const REASON_CODES = [
  'no_report',
  'report_stale',
  'no_nvme',
  'nvme_capacity',
  'link_unknown',
  'bandwidth',
  'peer_latency',
  'invalid_needs',
] as const;
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

export interface PeerRef {
  readonly node: string;
  /** Node id in the report store; -1 for a node that never reported. */
  readonly id: number;
  readonly view: NodeView | undefined;
}

export interface RequestContext {
  readonly nowMs: number;
  readonly policy: Policy;
  readonly needs: Needs;
  readonly view: (node: string) => NodeView | undefined;
  readonly reserved: (node: string) => readonly number[];
  /** Where the pod's peers already run (with repeats when several peers share a node), resolved once per request. */
  readonly peers: readonly PeerRef[];
}

export function peerRefs(nodes: readonly string[], view: (node: string) => NodeView | undefined): PeerRef[] {
  return nodes.map((node) => {
    const v = view(node);
    return { node, id: v?.id ?? -1, view: v };
  });
}

/** What assessNode found out about a passing node; reused across nodes, so copy anything kept. */
export interface Assessment {
  terms: { capacity: number | null; bandwidth: number | null; latency: number | null };
  score: number | null;
  nvmeFreeBytes: number | null;
  reservedBytes: number;
  freeAfterBytes: number | null;
  headroomBps: number | null;
  meanPeerRttUs: number | null;
  worstPeerNode: string | null;
  worstPeerRttUs: number;
}

export function newAssessment(): Assessment {
  return {
    terms: { capacity: null, bandwidth: null, latency: null },
    score: null,
    nvmeFreeBytes: null,
    reservedBytes: 0,
    freeAfterBytes: null,
    headroomBps: null,
    meanPeerRttUs: null,
    worstPeerNode: null,
    worstPeerRttUs: 0,
  };
}

function reset(a: Assessment): void {
  a.terms.capacity = null;
  a.terms.bandwidth = null;
  a.terms.latency = null;
  a.score = null;
  a.nvmeFreeBytes = null;
  a.reservedBytes = 0;
  a.freeAfterBytes = null;
  a.headroomBps = null;
  a.meanPeerRttUs = null;
  a.worstPeerNode = null;
  a.worstPeerRttUs = 0;
}

function unknownNode(ctx: RequestContext, a: Assessment, code: 'no_report' | 'report_stale'): Rejection | null {
  if (ctx.policy.stalePolicy === 'neutral') {
    a.score = Math.round(MAX_SCORE * NEUTRAL);
    return null;
  }
  const message =
    code === 'no_report'
      ? 'no report from berth agent'
      : `report stale (older than ${formatDurationUs(ctx.policy.reportTtlMs * 1000)})`;
  return { code, message, unresolvable: true };
}

function nvmeShortfall(view: NodeView, needs: Needs, reservedBytes: number): Rejection {
  const want =
    formatBytes(totalNvme(needs)) + (needs.nvmeVolumes.length > 1 ? ` in ${needs.nvmeVolumes.length} volumes` : '');
  const top = view.nvmePools[0];
  if (top === undefined)
    return { code: 'no_nvme', message: `needs ${want} NVMe, node reports no NVMe pool`, unresolvable: true };
  const free = Math.max(0, top.freeBytes - (view.nvmePools.length === 1 ? reservedBytes : 0));
  const held = reservedBytes > 0 ? ` (${formatBytes(reservedBytes)} reserved for pods in flight)` : '';
  return {
    code: 'nvme_capacity',
    message: `needs ${want} NVMe, ${formatBytes(free)} free in pool ${top.name}${held}`,
    unresolvable: true,
  };
}

function bandwidthShortfall(view: NodeView, needBps: number): Rejection | null {
  const link = view.link;
  const need = (): string => formatBitRate(needBps);
  if (link === null)
    return {
      code: 'link_unknown',
      message: `needs ${need()} bandwidth, node reports no network interface`,
      unresolvable: false,
    };
  if (link.speedBps === null)
    return {
      code: 'link_unknown',
      message: `needs ${need()} bandwidth, link speed of ${link.name} unknown`,
      unresolvable: false,
    };
  const headroom = Math.max(0, link.speedBps - link.loadBps);
  return headroom >= needBps
    ? null
    : {
        code: 'bandwidth',
        message: `needs ${need()} bandwidth, ${formatBitRate(headroom)} headroom on ${link.name}`,
        unresolvable: false,
      };
}

/**
 * Mean and worst RTT from this node to the pod's peers; a peer on the node is 0 µs. The peer's own report is read
 * first: the few peer maps stay in cache across all candidates, where each candidate's map would be a cache miss.
 */
function measurePeers(view: NodeView, peers: readonly PeerRef[], a: Assessment): void {
  let total = 0;
  let count = 0;
  for (const peer of peers) {
    const rtt = peer.id === view.id ? 0 : (peer.view?.rttById.get(view.id) ?? view.rttById.get(peer.id));
    if (rtt === undefined) continue;
    total += rtt;
    count++;
    if (a.worstPeerNode === null || rtt > a.worstPeerRttUs) {
      a.worstPeerRttUs = rtt;
      a.worstPeerNode = peer.node;
    }
  }
  a.meanPeerRttUs = count === 0 ? null : total / count;
}

/** Judges one node: a Rejection, or null with the node's terms and score written into `a`. */
export function assessNode(node: string, ctx: RequestContext, a: Assessment): Rejection | null {
  reset(a);
  const view = ctx.view(node);
  if (view === undefined) return unknownNode(ctx, a, 'no_report');
  if (ctx.nowMs - view.receivedAtMs > ctx.policy.reportTtlMs) return unknownNode(ctx, a, 'report_stale');
  const { needs, policy } = ctx;
  if (needs.nvmeVolumes.length > 0) {
    const reserved = ctx.reserved(node);
    a.reservedBytes = reserved.length === 0 ? 0 : sum(reserved);
    a.nvmeFreeBytes = view.nvmeFreeBytes;
    const freeAfter =
      view.nvmePools.length === 0
        ? -1
        : freeAfterPlacement(view.nvmePools, view.nvmeFreeBytes, reserved, needs.nvmeVolumes);
    if (freeAfter < 0) return nvmeShortfall(view, needs, a.reservedBytes);
    a.freeAfterBytes = freeAfter;
    a.terms.capacity = capacityTerm(freeAfter, view.nvmeCapacityBytes, policy.strategy);
  }
  if (needs.minBandwidthBps !== null) {
    const short = bandwidthShortfall(view, needs.minBandwidthBps);
    if (short !== null) return short;
    const link = view.link;
    if (link !== null && link.speedBps !== null) {
      a.headroomBps = Math.max(0, link.speedBps - link.loadBps);
      a.terms.bandwidth = bandwidthTerm(link.speedBps, link.loadBps, needs.minBandwidthBps);
    }
  }
  if (needs.peers !== null && ctx.peers.length > 0) {
    measurePeers(view, ctx.peers, a);
    const max = needs.maxPeerLatencyUs;
    if (max !== null && a.worstPeerNode !== null && a.worstPeerRttUs > max) {
      return {
        code: 'peer_latency',
        message: `needs ≤ ${formatDurationUs(max)} to peers, ${formatDurationUs(a.worstPeerRttUs)} to ${a.worstPeerNode}`,
        unresolvable: true,
      };
    }
    a.terms.latency = latencyTerm(a.meanPeerRttUs, max ?? policy.latencyReferenceUs);
  }
  a.score = combine(a.terms, policy.weights);
  return null;
}

export interface NodeVerdict {
  readonly node: string;
  readonly rejection: Rejection | null;
  readonly terms: Terms;
  /** Integer 0..10, or null when the pod asked for no scored term. */
  readonly score: number | null;
  readonly facts: Omit<Assessment, 'terms' | 'score'>;
}

/** A self-contained verdict (allocates): for explain and tests, not for the per-node hot path. */
export function evaluateNode(node: string, ctx: RequestContext): NodeVerdict {
  const a = newAssessment();
  const rejection = assessNode(node, ctx, a);
  const { terms, score, ...facts } = a;
  return { node, rejection, terms: { ...terms }, score: rejection === null ? score : null, facts };
}
