/**
 * Round-trip times between nodes, by slot, both ways round: what each node measured (from its own report) and who
 * measured each node. An agent probes a bounded sample of peers, so for a pod's peer P and a candidate C the pair
 * is usually measured by one side only; with both directions indexed, the RTTs between P and every candidate are
 * read from P's two short lists once per request (lib/extender/peer-latency.ts) instead of from 5,000 maps.
 *
 * Each report holds a reference on every peer name it measured (lib/extender/node-table.ts), released when the
 * report is replaced or removed.
 */
import type { PeerRtt } from '../core/report.ts';
import type { NodeTable } from './node-table.ts';

const NO_SLOTS = new Int32Array(0);
const NO_RTTS = new Float64Array(0);

export class RttIndex {
  readonly #table: NodeTable;
  #peerSlots: Int32Array[] = [];
  #peerRtts: Float64Array[] = [];
  #measuredBy: (Map<number, number> | undefined)[] = [];

  constructor(table: NodeTable) {
    this.#table = table;
  }

  /** Replaces what `slot`'s report measured. A peer named twice keeps its last figure. */
  replace(slot: number, peers: readonly PeerRtt[]): void {
    // New references first, so a peer named before and now keeps its slot.
    const bySlot = new Map<number, number>();
    for (const p of peers) {
      let peer = this.#table.slot(p.node);
      if (peer < 0 || !bySlot.has(peer)) peer = this.#table.acquire(p.node);
      bySlot.set(peer, p.p50Us);
    }
    this.clear(slot);
    const slots = new Int32Array(bySlot.size);
    const rtts = new Float64Array(bySlot.size);
    let i = 0;
    for (const [peer, rtt] of bySlot) {
      slots[i] = peer;
      rtts[i++] = rtt;
      let by = this.#measuredBy[peer];
      if (by === undefined) this.#measuredBy[peer] = by = new Map();
      by.set(slot, rtt);
    }
    this.#peerSlots[slot] = slots;
    this.#peerRtts[slot] = rtts;
  }

  /** Forgets what `slot` measured and releases the peers' names. */
  clear(slot: number): void {
    const slots = this.#peerSlots[slot] ?? NO_SLOTS;
    for (const peer of slots) {
      const by = this.#measuredBy[peer];
      by?.delete(slot);
      if (by?.size === 0) this.#measuredBy[peer] = undefined;
      this.#table.release(peer);
    }
    this.#peerSlots[slot] = NO_SLOTS;
    this.#peerRtts[slot] = NO_RTTS;
  }

  /** How many peers `slot`'s report measured. */
  measuredCount(slot: number): number {
    return this.#peerSlots[slot]?.length ?? 0;
  }

  /** Peers `slot` measured and their p50 RTTs (µs), aligned. */
  measuredFrom(slot: number): { readonly slots: Int32Array; readonly rtts: Float64Array } {
    return { slots: this.#peerSlots[slot] ?? NO_SLOTS, rtts: this.#peerRtts[slot] ?? NO_RTTS };
  }

  /** Nodes whose reports measured `slot`, with their p50 RTTs (µs). */
  measuredBy(slot: number): ReadonlyMap<number, number> | undefined {
    return this.#measuredBy[slot];
  }
}
