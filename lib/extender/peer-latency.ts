/**
 * The round-trip times between a pod's peers and every candidate node, gathered once per request. For each
 * distinct peer node P, the RTTs P's agent measured and the RTTs other agents measured to P (rtt-index.ts) are
 * spread into a lane: a slot-indexed array stamped with the request's epoch, so that a candidate's RTT to P is one
 * typed-array read and nothing is cleared between requests. P's own measurement wins over the candidate's, as it
 * always has.
 *
 * The lanes are scratch memory owned by the store and reused by every request; requests are judged synchronously,
 * so one request never sees another's lanes.
 */
import type { NodeTable } from './node-table.ts';
import type { RttIndex } from './rtt-index.ts';

/** One of the pod's peers: a node name, its slot (-1: berth holds nothing about it) and its lane (-1: none). */
export interface PeerRef {
  readonly node: string;
  readonly slot: number;
  readonly lane: number;
}

export class PeerLanes {
  #values: Float64Array[] = [];
  #stamps: Int32Array[] = [];
  #epoch = 0;

  /** A new epoch: every lane's old contents become invisible at once. */
  nextEpoch(): number {
    if (this.#epoch >= 0x7fffffff) {
      for (const s of this.#stamps) s.fill(0);
      this.#epoch = 0;
    }
    return ++this.#epoch;
  }

  lane(i: number, capacity: number): { readonly values: Float64Array; readonly stamps: Int32Array } {
    let values = this.#values[i];
    let stamps = this.#stamps[i];
    if (values === undefined || stamps === undefined || values.length < capacity) {
      const length = Math.max(64, capacity * 2);
      values = this.#values[i] = new Float64Array(length);
      stamps = this.#stamps[i] = new Int32Array(length);
    }
    return { values, stamps };
  }
}

export class PeerLatency {
  readonly refs: readonly PeerRef[];
  /** Per ref, aligned with `refs`: its node's slot, and its lane (undefined: nothing to look up). */
  readonly slots: Int32Array;
  readonly values: (Float64Array | undefined)[];
  readonly stamps: (Int32Array | undefined)[];
  /** An entry of a lane is valid for this request iff its stamp equals the epoch. */
  readonly epoch: number;
  readonly #values: Float64Array[] = [];
  readonly #stamps: Int32Array[] = [];

  constructor(table: NodeTable, rtts: RttIndex, lanes: PeerLanes, peerNodes: readonly string[]) {
    this.epoch = peerNodes.length === 0 ? 0 : lanes.nextEpoch();
    const laneOf = new Map<number, number>();
    this.refs = peerNodes.map((node) => {
      const slot = table.slot(node);
      // A peer's node berth knows nothing about has no RTTs. One without a report of its own (its agent down)
      // still has the RTTs other agents measured to it.
      if (slot < 0) return { node, slot, lane: -1 };
      let lane = laneOf.get(slot);
      if (lane === undefined) {
        lane = laneOf.size;
        laneOf.set(slot, lane);
        this.#fill(lane, slot, table, rtts, lanes);
      }
      return { node, slot, lane };
    });
    this.slots = Int32Array.from(this.refs, (r) => r.slot);
    this.values = this.refs.map((r) => this.#values[r.lane]);
    this.stamps = this.refs.map((r) => this.#stamps[r.lane]);
  }

  /** The RTT (µs) between peer `ref` and the node in `slot`, or undefined when neither side measured it. */
  measured(ref: PeerRef, slot: number): number | undefined {
    if (ref.lane < 0) return undefined;
    const stamps = this.#stamps[ref.lane];
    return stamps !== undefined && stamps[slot] === this.epoch ? this.#values[ref.lane]?.[slot] : undefined;
  }

  #fill(lane: number, peer: number, table: NodeTable, rtts: RttIndex, lanes: PeerLanes): void {
    const { values, stamps } = lanes.lane(lane, table.capacity);
    this.#values[lane] = values;
    this.#stamps[lane] = stamps;
    const epoch = this.epoch;
    const own = rtts.measuredFrom(peer);
    for (let j = 0; j < own.slots.length; j++) {
      const c = own.slots[j] ?? 0;
      values[c] = own.rtts[j] ?? 0;
      stamps[c] = epoch;
    }
    for (const [c, rtt] of rtts.measuredBy(peer) ?? []) {
      if (stamps[c] === epoch) continue;
      values[c] = rtt;
      stamps[c] = epoch;
    }
  }
}
