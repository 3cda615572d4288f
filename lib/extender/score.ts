/**
 * berth's scoring rule. Every term is a number in [0, 1]; the node's score is their weighted mean scaled to
 * kube-scheduler's extender range and rounded to an integer:
 *
 *   capacity  = freeAfter / capacity                 (strategy "spread": prefer the emptiest NVMe)
 *             = 1 − freeAfter / capacity             (strategy "binpack": fill nodes up first)
 *               freeAfter = NVMe free − reserved − this pod's volumes, capacity = NVMe capacity of the node
 *   bandwidth = clamp((headroom − need) / linkSpeed, 0, 1),  headroom = linkSpeed − load;  unknown speed → 0
 *   latency   = 1 − clamp(meanPeerRtt / reference, 0, 1)
 *               reference = the pod's berth.io/max-peer-latency, else --latency-reference;
 *               a peer on the same node counts 0 µs; peers with no measurement are left out of the mean;
 *               no measured peer at all → 0.5 (neutral)
 *
 *   score = round(10 × Σ wᵢ·termᵢ / Σ wᵢ)   over the terms the pod asks for (weights from --weight-*)
 *
 * A term the pod does not ask for is left out, not counted as 0. A pod that asks for nothing gets no score at all.
 * The README's worked examples are checked against this file by test/docs-parity.test.ts.
 */

export const MAX_SCORE = 10; // MaxExtenderPriority, k8s.io/kube-scheduler extender/v1/types.go
export const NEUTRAL = 0.5;

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

export function capacityTerm(freeAfterBytes: number, capacityBytes: number, strategy: CapacityStrategy): number {
  if (capacityBytes <= 0) return 0;
  const freeShare = clamp01(freeAfterBytes / capacityBytes);
  return strategy === 'spread' ? freeShare : 1 - freeShare;
}

export function bandwidthTerm(speedBps: number | null, loadBps: number, needBps: number): number {
  if (speedBps === null || speedBps <= 0) return 0;
  return clamp01((speedBps - loadBps - needBps) / speedBps);
}

export function latencyTerm(meanRttUs: number | null, referenceUs: number): number {
  if (meanRttUs === null) return NEUTRAL;
  return 1 - clamp01(meanRttUs / referenceUs);
}

/** The weighted mean of the present terms, as an integer 0..10; null when no term is present. */
export function combine(terms: Terms, weights: Weights): number | null {
  let num = 0;
  let den = 0;
  if (terms.capacity !== null) {
    num += weights.capacity * terms.capacity;
    den += weights.capacity;
  }
  if (terms.bandwidth !== null) {
    num += weights.bandwidth * terms.bandwidth;
    den += weights.bandwidth;
  }
  if (terms.latency !== null) {
    num += weights.latency * terms.latency;
    den += weights.latency;
  }
  if (den === 0) return null;
  return Math.round((MAX_SCORE * num) / den);
}
