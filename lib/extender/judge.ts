/**
 * The engine's inner loop: every candidate judged for one pod, straight from the node table's typed columns into
 * typed result columns (Verdicts). Filter, prioritize and explain all run it, so what explain shows is what the
 * scheduler was told. Everything the loop reads is hoisted into locals first; the per-node work is a few array
 * reads and the arithmetic of score.ts. Only several volumes (placement) or reservations leave the columns.
 *
 * What each node gets, in the order the checks run: no report or a stale one (rejected, or score 5 under
 * --stale-policy neutral); NVMe (the volumes must fit, after reservations); bandwidth (a known link speed with
 * enough headroom); peer latency (no measured peer further than max-peer-latency); then the score. Last, replicas
 * apart: a node that already runs one of the pod's peers is rejected as long as another candidate passes, unless
 * the pod allows co-location. The figures a check computed stay in the columns even when a later check rejects
 * the node, for explain; the best figure among the nodes a check rejected is kept for the shared reason text.
 */
import { LINK_KNOWN } from './node-table.ts';
import { freeAfterPlacement, sum } from './placement.ts';
import {
  bandwidthTerm,
  capacityTerm,
  headroomBps,
  latencyReferenceUs,
  latencyTerm,
  NEUTRAL_SCORE,
  weightedScore,
} from './score.ts';
import type { RequestContext } from './verdict.ts';

/** Verdict codes: 0 passed; otherwise 1 + the index of the reason in REASON_CODES (verdict.ts). */
export const PASSED = 0;
export const NO_REPORT = 1;
export const REPORT_STALE = 2;
export const NO_NVME = 3;
export const NVME_CAPACITY = 4;
export const LINK_UNKNOWN = 5;
export const BANDWIDTH = 6;
export const PEER_LATENCY = 7;
export const INVALID_NEEDS = 8;
export const PEER_ON_NODE = 9;

/** The results of one request, by candidate index. NaN marks a figure that was not computed. */
export class Verdicts {
  code = new Uint8Array(0);
  /** Integer 0..10; -1: no score (rejected, or no scored term asked for). */
  score = new Int8Array(0);
  capacity = new Float64Array(0);
  bandwidth = new Float64Array(0);
  latency = new Float64Array(0);
  reservedBytes = new Float64Array(0);
  freeAfter = new Float64Array(0);
  headroom = new Float64Array(0);
  meanRtt = new Float64Array(0);
  worstRtt = new Float64Array(0);
  /** Index into the request's peer refs of the furthest measured peer; -1: none measured. */
  worstPeer = new Int16Array(0);
  /**
   * The best figure any candidate rejected for a cause offered, for the reason all of them share: the most free
   * NVMe in one pool (after reservations), the most bandwidth headroom, the nearest furthest-peer RTT.
   */
  bestNvmeFree = -1;
  bestHeadroom = -1;
  bestWorstRtt = Number.POSITIVE_INFINITY;

  /** Room for `n` candidates (the columns are reused from request to request). */
  ensure(n: number): void {
    this.bestNvmeFree = -1;
    this.bestHeadroom = -1;
    this.bestWorstRtt = Number.POSITIVE_INFINITY;
    if (this.code.length >= n) return;
    const size = Math.max(n, this.code.length * 2, 64);
    this.code = new Uint8Array(size);
    this.score = new Int8Array(size);
    this.capacity = new Float64Array(size);
    this.bandwidth = new Float64Array(size);
    this.latency = new Float64Array(size);
    this.reservedBytes = new Float64Array(size);
    this.freeAfter = new Float64Array(size);
    this.headroom = new Float64Array(size);
    this.meanRtt = new Float64Array(size);
    this.worstRtt = new Float64Array(size);
    this.worstPeer = new Int16Array(size);
  }
}

const NONE: readonly number[] = Object.freeze([]);

/**
 * Judges the candidates in `slots[0..n)` (-1: berth holds nothing about the name) into `v`: always the code and
 * score; the figures behind them for rejected candidates (their reasons need them) and, with `detail`, for all.
 */
export function judgeSlots(ctx: RequestContext, slots: Int32Array, n: number, v: Verdicts, detail = false): void {
  v.ensure(n);
  const { needs, policy, store } = ctx;
  const t = store.table;
  const received = t.receivedAtMs;
  const topFree = t.topPoolFree;
  const free = t.nvmeFree;
  const capacity = t.nvmeCapacity;
  const pools = t.nvmePools;
  const linkState = t.linkState;
  const linkSpeed = t.linkSpeed;
  const linkLoad = t.linkLoad;
  const nowMs = ctx.nowMs;
  const ttlMs = policy.reportTtlMs;
  const neutral = policy.stalePolicy === 'neutral';
  const spread = policy.strategy === 'spread';
  const weights = policy.weights;
  const volumes = needs.nvmeVolumes;
  const wantNvme = volumes.length > 0;
  const oneVolume = volumes.length === 1 ? (volumes[0] ?? 0) : -1;
  const reserved = ctx.reserved;
  const anyReserved = reserved.size > 0;
  const needBps = needs.minBandwidthBps ?? 0;
  const wantBandwidth = needs.minBandwidthBps !== null;
  const peers = ctx.peers;
  const { stamp: peerStamp, sum: peerSum, count: peerCount, worst: peerWorst, worstRef, hostsPeer } = peers.totals;
  const epoch = peers.epoch;
  const refCount = peers.refs.length;
  const wantLatency = needs.latency && refCount > 0;
  const avoidPeers = !needs.coLocate && refCount > 0;
  let bestNvmeFree = -1;
  let bestHeadroom = -1;
  let bestWorstRtt = Number.POSITIVE_INFINITY;
  let sharing = 0;
  let apart = 0;
  const maxRtt = needs.maxPeerLatencyUs ?? Number.POSITIVE_INFINITY;
  const reference = latencyReferenceUs(needs.maxPeerLatencyUs, policy.latencyReferenceUs);
  const codes = v.code;
  const scores = v.score;
  for (let i = 0; i < n; i++) {
    const s = slots[i] ?? -1;
    let code = PASSED;
    let score = -1;
    let cTerm = Number.NaN;
    let bTerm = Number.NaN;
    let lTerm = Number.NaN;
    let held = 0;
    let after = Number.NaN;
    let headroom = Number.NaN;
    let mean = Number.NaN;
    let worst = 0;
    let worstPeer = -1;
    judge: {
      const at = s < 0 ? Number.NaN : (received[s] ?? Number.NaN);
      if (Number.isNaN(at) || nowMs - at > ttlMs) {
        if (neutral) score = NEUTRAL_SCORE;
        else code = Number.isNaN(at) ? NO_REPORT : REPORT_STALE;
        break judge;
      }
      if (wantNvme) {
        const hold = anyReserved ? (reserved.get(s) ?? NONE) : NONE;
        held = hold.length === 0 ? 0 : sum(hold);
        let left: number;
        if (pools[s] === 0) left = -1;
        else if (hold.length === 0 && oneVolume >= 0)
          left = (topFree[s] ?? -1) >= oneVolume ? (free[s] ?? 0) - oneVolume : -1;
        else {
          const view = store.viewAt(s);
          left = view === undefined ? -1 : freeAfterPlacement(view.nvmePools, view.nvmeFreeBytes, hold, volumes);
        }
        if (left < 0) {
          code = pools[s] === 0 ? NO_NVME : NVME_CAPACITY;
          const top = topFree[s] ?? 0;
          const usable = pools[s] === 1 ? Math.max(0, top - held) : top;
          if (code === NVME_CAPACITY && usable > bestNvmeFree) bestNvmeFree = usable;
          break judge;
        }
        after = left;
        cTerm = capacityTerm(left, capacity[s] ?? 0, spread);
      }
      if (wantBandwidth) {
        const speed = linkSpeed[s] ?? 0;
        const load = linkLoad[s] ?? 0;
        if (linkState[s] !== LINK_KNOWN) {
          code = LINK_UNKNOWN;
          break judge;
        }
        if (headroomBps(speed, load) < needBps) {
          code = BANDWIDTH;
          if (headroomBps(speed, load) > bestHeadroom) bestHeadroom = headroomBps(speed, load);
          break judge;
        }
        headroom = headroomBps(speed, load);
        bTerm = bandwidthTerm(speed, load, needBps);
      }
      if (wantLatency) {
        // The peers' RTTs to this node, folded once per request (peer-latency.ts).
        if (peerStamp[s] === epoch) {
          mean = (peerSum[s] ?? 0) / (peerCount[s] ?? 1);
          worst = peerWorst[s] ?? 0;
          worstPeer = worstRef[s] ?? -1;
        }
        if (worstPeer >= 0 && worst > maxRtt) {
          code = PEER_LATENCY;
          if (worst < bestWorstRtt) bestWorstRtt = worst;
          break judge;
        }
        lTerm = latencyTerm(mean, reference);
      }
      score = weightedScore(cTerm, bTerm, lTerm, weights);
      if (avoidPeers) {
        if (hostsPeer[s] === epoch) {
          code = PEER_ON_NODE;
          sharing++;
        } else apart++;
      }
    }
    codes[i] = code;
    scores[i] = score;
    if (!detail && code === PASSED) continue;
    v.capacity[i] = cTerm;
    v.bandwidth[i] = bTerm;
    v.latency[i] = lTerm;
    v.reservedBytes[i] = held;
    v.freeAfter[i] = after;
    v.headroom[i] = headroom;
    v.meanRtt[i] = mean;
    v.worstRtt[i] = worst;
    v.worstPeer[i] = worstPeer;
  }
  v.bestNvmeFree = bestNvmeFree;
  v.bestHeadroom = bestHeadroom;
  v.bestWorstRtt = bestWorstRtt;
  // Replicas on distinct nodes: a candidate running a peer passes only when no other candidate does.
  if (sharing > 0 && apart === 0) for (let i = 0; i < n; i++) if (codes[i] === PEER_ON_NODE) codes[i] = PASSED;
}
