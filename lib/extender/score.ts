/**
 * berth's scoring rule, all of it. Every term is a number in [0, 1]; the node's score is their weighted mean
 * scaled to kube-scheduler's extender range and rounded to an integer:
 *
 *   capacity  = freeAfter / capacity                 (strategy "spread": prefer the emptiest NVMe)
 *             = 1 − freeAfter / capacity             (strategy "binpack": fill nodes up first)
 *               freeAfter = NVMe free − reserved − this pod's volumes, capacity = NVMe capacity of the node
 *   bandwidth = clamp((headroom − need) / linkSpeed, 0, 1),  headroom = max(0, linkSpeed − load);
 *               unknown speed → 0
 *   latency   = 1 − clamp(meanPeerRtt / reference, 0, 1)
 *               reference = the pod's berth.io/max-peer-latency, else --latency-reference;
 *               meanPeerRtt is over the peers on other nodes that an agent measured: a peer on the candidate
 *               node itself is not a network peer, so it counts neither here nor against max-peer-latency
 *               (sharing a node is never the best latency by itself); no measured peer at all → 0.5 (neutral)
 *
 *   score = round(10 × Σ wᵢ·termᵢ / Σ wᵢ)   over the terms the pod asks for (weights from --weight-*)
 *
 * A term the pod does not ask for is left out, not counted as 0. A pod that asks for nothing gets no score at all.
 * A node with no report, or a stale one, scores round(10 × 0.5) = 5 under --stale-policy neutral.
 * Replicas apart: a node running one of the pod's peers is not scored while another candidate qualifies
 * (filter rejects it, judge.ts), unless the pod sets berth.io/co-location: allow.
 * The README's worked examples are checked against this file by test/docs-parity.test.ts.
 *
 * These functions run for every candidate node of every request, so they take plain numbers: NaN stands for a
 * figure that is absent (no measured peer, a term the pod did not ask for), and the strategy comes in as a
 * boolean computed once per request.
 */

export const MAX_SCORE = 10; // MaxExtenderPriority, k8s.io/kube-scheduler extender/v1/types.go
export const NEUTRAL = 0.5;
/** The score of a node berth knows nothing current about, under --stale-policy neutral. */
export const NEUTRAL_SCORE = Math.round(MAX_SCORE * NEUTRAL);

export type CapacityStrategy = 'spread' | 'binpack';

export interface Weights {
  readonly capacity: number;
  readonly bandwidth: number;
  readonly latency: number;
}

export interface Terms {
  readonly capacity: number | null;
  readonly bandwidth: number | null;
  readonly latency: number | null;
}

export function clamp01(x: number): number {
  return x <= 0 || Number.isNaN(x) ? 0 : x >= 1 ? 1 : x;
}

/** `spread`: the strategy is spread (prefer free space), else binpack. */
export function capacityTerm(freeAfterBytes: number, capacityBytes: number, spread: boolean): number {
  if (capacityBytes <= 0) return 0;
  const freeShare = clamp01(freeAfterBytes / capacityBytes);
  return spread ? freeShare : 1 - freeShare;
}

/** What the link can still carry: its speed minus the busier direction's load, never below 0. */
export function headroomBps(speedBps: number, loadBps: number): number {
  return Math.max(0, speedBps - loadBps);
}

export function bandwidthTerm(speedBps: number | null, loadBps: number, needBps: number): number {
  if (speedBps === null || speedBps <= 0) return 0;
  return clamp01((speedBps - loadBps - needBps) / speedBps);
}

/** The RTT that scores 0: the pod's own limit when it sets one, else the configured reference. */
export function latencyReferenceUs(maxPeerLatencyUs: number | null, configuredUs: number): number {
  return maxPeerLatencyUs ?? configuredUs;
}

/**
 * How one peer counts towards the mean and the max-peer-latency check: its measured RTT, or NaN (left out) when
 * no agent measured the pair or when the peer runs on the candidate node itself.
 */
export function peerRttUs(onSameNode: boolean, measuredUs: number): number {
  return onSameNode ? Number.NaN : measuredUs;
}

/** `meanRttUs` NaN: no peer measured at all. */
export function latencyTerm(meanRttUs: number, referenceUs: number): number {
  if (Number.isNaN(meanRttUs)) return NEUTRAL;
  return 1 - clamp01(meanRttUs / referenceUs);
}

/** The weighted mean of the present terms, as an integer 0..10; null when no term is present. */
export function combine(terms: Terms, weights: Weights): number | null {
  const score = weightedScore(
    terms.capacity ?? Number.NaN,
    terms.bandwidth ?? Number.NaN,
    terms.latency ?? Number.NaN,
    weights,
  );
  return score < 0 ? null : score;
}

/** combine() for the hot path: a term that is NaN is absent; -1 when no term is present. */
export function weightedScore(capacity: number, bandwidth: number, latency: number, weights: Weights): number {
  let num = 0;
  let den = 0;
  if (!Number.isNaN(capacity)) {
    num += weights.capacity * capacity;
    den += weights.capacity;
  }
  if (!Number.isNaN(bandwidth)) {
    num += weights.bandwidth * bandwidth;
    den += weights.bandwidth;
  }
  if (!Number.isNaN(latency)) {
    num += weights.latency * latency;
    den += weights.latency;
  }
  return den === 0 ? -1 : Math.round((MAX_SCORE * num) / den);
}
