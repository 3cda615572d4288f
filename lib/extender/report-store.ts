/**
 * The latest report of every node, kept as the request path reads it: typed columns by slot (node-table.ts), RTTs
 * both ways (rtt-index.ts) and a small view per node for reasons and listings (node-view.ts). The ordering rule is
 * a pure function: within one agent instance a lower or equal sequence is a replay or a late duplicate and is
 * ignored; a new instance (the agent restarted) always wins. Freshness is judged by when berth received a report,
 * not by the agent's clock, so a skewed node clock cannot make its data look fresh.
 *
 * Memory follows what is live: a node's slot and its name go when no report holds or mentions it, and in
 * standalone mode, where no API server deletes reports of nodes that are gone, `evictReceivedBefore` drops reports
 * nobody has refreshed for the retention period.
 */
import type { NodeReport } from '../core/report.ts';
import { LINK_KNOWN, LINK_NONE, LINK_SPEED_UNKNOWN, NodeTable } from './node-table.ts';
import { nodeView, type NodeView } from './node-view.ts';
import { Verdicts } from './judge.ts';
import { PeerLanes } from './peer-latency.ts';
import { RttIndex } from './rtt-index.ts';

export type IngestOutcome = 'accepted' | 'duplicate';

export function supersedes(current: NodeReport['agent'] | undefined, incoming: NodeReport['agent']): boolean {
  if (current === undefined) return true;
  if (current.instance !== incoming.instance) return true;
  return incoming.sequence > current.sequence;
}

export interface Freshness {
  readonly fresh: number;
  readonly stale: number;
}

export class ReportStore {
  readonly table = new NodeTable();
  readonly rtts = new RttIndex(this.table);
  /**
   * Scratch the request path reuses instead of allocating per request: peer RTT lanes (peer-latency.ts), the
   * candidates' slots and their verdicts (judge.ts). Requests are judged synchronously, one at a time.
   */
  readonly peerLanes = new PeerLanes();
  readonly verdicts = new Verdicts();
  #slots = new Int32Array(64);

  /** The candidates' slots, resolved into scratch that lives until the next request. */
  resolve(names: readonly string[]): Int32Array {
    if (this.#slots.length < names.length) this.#slots = new Int32Array(Math.max(names.length, this.#slots.length * 2));
    this.table.resolve(names, this.#slots);
    return this.#slots;
  }
  #views: (NodeView | undefined)[] = [];
  #reports = 0;
  #version = 0;

  /** Grows with every change, so a result computed from the store can tell whether it still holds. */
  get version(): number {
    return this.#version;
  }

  /** Applies one report; the caller validated it. */
  ingest(report: NodeReport, receivedAtMs: number): IngestOutcome {
    const known = this.table.slot(report.node);
    const current = known >= 0 ? this.#views[known] : undefined;
    if (!supersedes(current?.agent, report.agent)) return 'duplicate';
    const slot = current === undefined ? this.table.acquire(report.node) : known;
    if (current === undefined) this.#reports++;
    const view = nodeView(report, receivedAtMs);
    this.#views[slot] = view;
    this.#writeColumns(slot, view);
    this.rtts.replace(slot, report.peers);
    this.#version++;
    return 'accepted';
  }

  /** Applies reports that were all validated first, so a batch is never half-applied. */
  ingestAll(reports: readonly NodeReport[], receivedAtMs: number): IngestOutcome[] {
    return reports.map((r) => this.ingest(r, receivedAtMs));
  }

  remove(node: string): boolean {
    const slot = this.table.slot(node);
    if (slot < 0 || this.#views[slot] === undefined) return false;
    this.#views[slot] = undefined;
    this.#reports--;
    this.rtts.clear(slot);
    this.table.clearColumns(slot);
    this.table.release(slot);
    this.#version++;
    return true;
  }

  /** Removes every report received before `cutoffMs`; returns the nodes dropped. */
  evictReceivedBefore(cutoffMs: number): string[] {
    const gone: string[] = [];
    for (const v of this.views()) if (v.receivedAtMs < cutoffMs) gone.push(v.node);
    for (const node of gone) this.remove(node);
    return gone;
  }

  get(node: string): NodeView | undefined {
    const slot = this.table.slot(node);
    return slot < 0 ? undefined : this.#views[slot];
  }

  viewAt(slot: number): NodeView | undefined {
    return slot < 0 ? undefined : this.#views[slot];
  }

  /** Reports held. */
  get size(): number {
    return this.#reports;
  }

  *views(): IterableIterator<NodeView> {
    for (const v of this.#views) if (v !== undefined) yield v;
  }

  freshness(nowMs: number, ttlMs: number): Freshness {
    let fresh = 0;
    for (const v of this.#views) if (v !== undefined && nowMs - v.receivedAtMs <= ttlMs) fresh++;
    return { fresh, stale: this.#reports - fresh };
  }

  #writeColumns(slot: number, view: NodeView): void {
    const t = this.table;
    t.receivedAtMs[slot] = view.receivedAtMs;
    t.nvmeCapacity[slot] = view.nvmeCapacityBytes;
    t.nvmeFree[slot] = view.nvmeFreeBytes;
    t.topPoolFree[slot] = view.nvmePools[0]?.freeBytes ?? 0;
    t.nvmePools[slot] = Math.min(255, view.nvmePools.length);
    const link = view.link;
    t.linkState[slot] = link === null ? LINK_NONE : link.speedBps === null ? LINK_SPEED_UNKNOWN : LINK_KNOWN;
    t.linkSpeed[slot] = link?.speedBps ?? 0;
    t.linkLoad[slot] = link?.loadBps ?? 0;
  }
}
