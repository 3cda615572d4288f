/**
 * The round-trip times between a pod's peers and every candidate node, gathered once per request so that the
 * judging loop reads one entry per candidate instead of looking up each peer.
 *
 *   1. For each distinct peer node P, the RTTs P's agent measured and the RTTs other agents measured to P
 *      (rtt-index.ts) are spread into a lane: a slot-indexed array stamped with the request's epoch. P's own
 *      measurement wins over the candidate's, as it always has.
 *   2. The lanes are folded, peer by peer in the pod's order, into per-candidate totals: the sum and count of the
 *      RTTs that count (score.ts peerRttUs: measured, and not a peer on the candidate itself), the furthest and
 *      which peer it is. Adding in the peers' order keeps the sums exactly what a per-candidate loop would give.
 *   3. The nodes that run a peer are marked, for keeping replicas apart (judge.ts).
 *
 * Only the entries the peers' lists touch are written (a few hundred per peer), and everything is stamped with the
 * epoch, so nothing is cleared between requests. The arrays are scratch owned by the store and reused by every
 * request; requests are judged synchronously, so one request never sees another's.
 */
import type { NodeTable } from './node-table.ts';
import type { RttIndex } from './rtt-index.ts';
import { peerRttUs } from './score.ts';

/** One of the pod's peers: a node name, its slot (-1: berth holds nothing about it) and its lane (-1: none). */
export interface PeerRef {
  readonly node: string;
  readonly slot: number;
  readonly lane: number;
}

interface Lane {
  values: Float64Array;
  stamps: Int32Array;
  /** The slots this request wrote, in order; `length` of them are valid. */
  touched: Int32Array;
  length: number;
}

/** Per-candidate totals over the pod's peers, valid where `stamp` equals the request's epoch. */
export interface PeerTotals {
  readonly stamp: Int32Array;
  readonly sum: Float64Array;
  readonly count: Int32Array;
  readonly worst: Float64Array;
  /** Index into the refs of the furthest peer. */
  readonly worstRef: Int16Array;
  /** Stamped with the epoch where the node runs one of the peers. */
  readonly hostsPeer: Int32Array;
}

export class PeerLanes {
  #lanes: Lane[] = [];
  #totals: PeerTotals = totalsOf(0);
  #epoch = 0;

  /** A new epoch: every old entry becomes invisible at once. */
  nextEpoch(): number {
    if (this.#epoch >= 0x7fffffff) {
      for (const l of this.#lanes) l.stamps.fill(0);
      for (const a of [this.#totals.stamp, this.#totals.hostsPeer]) a.fill(0);
      this.#epoch = 0;
    }
    return ++this.#epoch;
  }

  lane(i: number, capacity: number): Lane {
    let lane = this.#lanes[i];
    if (lane === undefined || lane.values.length < capacity) {
      const size = Math.max(64, capacity * 2);
      lane = { values: new Float64Array(size), stamps: new Int32Array(size), touched: new Int32Array(64), length: 0 };
      this.#lanes[i] = lane;
    }
    lane.length = 0;
    return lane;
  }

  totals(capacity: number): PeerTotals {
    if (this.#totals.stamp.length < capacity) this.#totals = totalsOf(Math.max(64, capacity * 2));
    return this.#totals;
  }
}

function totalsOf(size: number): PeerTotals {
  return {
    stamp: new Int32Array(size),
    sum: new Float64Array(size),
    count: new Int32Array(size),
    worst: new Float64Array(size),
    worstRef: new Int16Array(size),
    hostsPeer: new Int32Array(size),
  };
}

export class PeerLatency {
  readonly refs: readonly PeerRef[];
  /** Entries of `totals` are this request's iff their stamp equals the epoch (-1: no peers, nothing is). */
  readonly epoch: number;
  readonly totals: PeerTotals;
  readonly #lanes: Lane[] = [];

  constructor(table: NodeTable, rtts: RttIndex, lanes: PeerLanes, peerNodes: readonly string[]) {
    this.epoch = peerNodes.length === 0 ? -1 : lanes.nextEpoch();
    this.totals = lanes.totals(table.capacity);
    const laneOf = new Map<number, number>();
    this.refs = peerNodes.map((node) => {
      const slot = table.slot(node);
      // A peer's node berth knows nothing about has no RTTs. One without a report of its own (its agent down)
      // still has the RTTs other agents measured to it.
      if (slot < 0) return { node, slot, lane: -1 };
      this.totals.hostsPeer[slot] = this.epoch;
      let lane = laneOf.get(slot);
      if (lane === undefined) {
        lane = laneOf.size;
        laneOf.set(slot, lane);
        this.#lanes[lane] = fill(lanes.lane(lane, table.capacity), slot, rtts, this.epoch);
      }
      return { node, slot, lane };
    });
    this.#fold();
  }

  /** The RTT (µs) between peer `ref` and the node in `slot`, or undefined when neither side measured it. */
  measured(ref: PeerRef, slot: number): number | undefined {
    const lane = this.#lanes[ref.lane];
    return lane !== undefined && lane.stamps[slot] === this.epoch ? lane.values[slot] : undefined;
  }

  #fold(): void {
    const { stamp, sum, count, worst, worstRef } = this.totals;
    const epoch = this.epoch;
    for (let k = 0; k < this.refs.length; k++) {
      const ref = this.refs[k] as PeerRef;
      const lane = this.#lanes[ref.lane];
      if (lane === undefined) continue;
      for (let j = 0; j < lane.length; j++) {
        const c = lane.touched[j] ?? 0;
        const rtt = peerRttUs(c === ref.slot, lane.values[c] ?? Number.NaN);
        if (Number.isNaN(rtt)) continue;
        if (stamp[c] !== epoch) {
          stamp[c] = epoch;
          sum[c] = 0;
          count[c] = 0;
          worst[c] = 0;
          worstRef[c] = -1;
        }
        sum[c] = (sum[c] ?? 0) + rtt;
        count[c] = (count[c] ?? 0) + 1;
        if ((worstRef[c] ?? -1) < 0 || rtt > (worst[c] ?? 0)) {
          worst[c] = rtt;
          worstRef[c] = k;
        }
      }
    }
  }
}

function touch(lane: Lane, slot: number): void {
  if (lane.length === lane.touched.length) {
    const grown = new Int32Array(lane.touched.length * 2);
    grown.set(lane.touched);
    lane.touched = grown;
  }
  lane.touched[lane.length++] = slot;
}

function fill(lane: Lane, peer: number, rtts: RttIndex, epoch: number): Lane {
  const { values, stamps } = lane;
  const own = rtts.measuredFrom(peer);
  for (let j = 0; j < own.slots.length; j++) {
    const c = own.slots[j] ?? 0;
    values[c] = own.rtts[j] ?? 0;
    stamps[c] = epoch;
    touch(lane, c);
  }
  for (const [c, rtt] of rtts.measuredBy(peer) ?? []) {
    if (stamps[c] === epoch) continue;
    values[c] = rtt;
    stamps[c] = epoch;
    touch(lane, c);
  }
  return lane;
}
