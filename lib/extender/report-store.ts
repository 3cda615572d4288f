/**
 * The latest report of every node, as views ready for the request path. The ordering rule is a pure function:
 * within one agent instance a lower or equal sequence is a replay or a late duplicate and is ignored; a new
 * instance (the agent restarted) always wins. Freshness is judged by when berth received a report, not by the
 * agent's clock, so a skewed node clock cannot make its data look fresh.
 */
import { NodeIds } from './node-ids.ts';
import { nodeView, type NodeView } from './node-view.ts';
import type { NodeReport } from '../core/report.ts';

export type IngestOutcome = 'accepted' | 'duplicate';

export function supersedes(current: NodeReport | undefined, incoming: NodeReport): boolean {
  if (current === undefined) return true;
  if (current.agent.instance !== incoming.agent.instance) return true;
  return incoming.agent.sequence > current.agent.sequence;
}

export interface Freshness {
  readonly fresh: number;
  readonly stale: number;
}

export class ReportStore {
  readonly #views = new Map<string, NodeView>();
  readonly ids = new NodeIds();
  #version = 0;

  /** Grows with every change, so a result computed from the store can tell whether it still holds. */
  get version(): number {
    return this.#version;
  }

  /** Applies one report; the caller validated it. */
  ingest(report: NodeReport, receivedAtMs: number): IngestOutcome {
    if (!supersedes(this.#views.get(report.node)?.report, report)) return 'duplicate';
    this.#views.set(report.node, nodeView(report, receivedAtMs, this.ids));
    this.#version++;
    return 'accepted';
  }

  /** Applies reports that were all validated first, so a batch is never half-applied. */
  ingestAll(reports: readonly NodeReport[], receivedAtMs: number): IngestOutcome[] {
    return reports.map((r) => this.ingest(r, receivedAtMs));
  }

  remove(node: string): boolean {
    const removed = this.#views.delete(node);
    if (removed) this.#version++;
    return removed;
  }

  get(node: string): NodeView | undefined {
    return this.#views.get(node);
  }

  get size(): number {
    return this.#views.size;
  }

  views(): IterableIterator<NodeView> {
    return this.#views.values();
  }

  freshness(nowMs: number, ttlMs: number): Freshness {
    let fresh = 0;
    for (const v of this.#views.values()) if (nowMs - v.receivedAtMs <= ttlMs) fresh++;
    return { fresh, stale: this.#views.size - fresh };
  }
}
