/**
 * Per-peer RTT samples over a sliding time window, summarised as p50/p99 for the report. Pure: the caller passes
 * the time. Memory is bounded twice: by the window and by `maxSamplesPerPeer` (oldest dropped first).
 */
import type { PeerRtt } from '../core/report.ts';

interface Sample {
  readonly atMs: number;
  readonly rttUs: number;
}

export interface RttWindowOptions {
  readonly windowMs: number;
  readonly maxSamplesPerPeer: number;
}

export class RttWindows {
  readonly #opts: RttWindowOptions;
  readonly #byPeer = new Map<string, Sample[]>();

  constructor(opts: RttWindowOptions) {
    this.#opts = opts;
  }

  record(node: string, atMs: number, rttUs: number): void {
    let samples = this.#byPeer.get(node);
    if (!samples) {
      samples = [];
      this.#byPeer.set(node, samples);
    }
    samples.push({ atMs, rttUs });
    if (samples.length > this.#opts.maxSamplesPerPeer) samples.splice(0, samples.length - this.#opts.maxSamplesPerPeer);
  }

  /** Drops peers that discovery no longer lists (node deleted, agent gone). */
  retain(nodes: ReadonlySet<string>): void {
    for (const node of this.#byPeer.keys()) if (!nodes.has(node)) this.#byPeer.delete(node);
  }

  /**
   * The report's peer list: peers with samples inside the window, most recently probed first (same-zone peers are
   * probed every round, so they come first), at most `maxPeers`, then sorted by name for a stable report.
   */
  summarize(nowMs: number, maxPeers: number): PeerRtt[] {
    const horizon = nowMs - this.#opts.windowMs;
    const live: { node: string; last: number; rtts: number[] }[] = [];
    for (const [node, samples] of this.#byPeer) {
      const firstLive = samples.findIndex((s) => s.atMs >= horizon);
      if (firstLive < 0) {
        this.#byPeer.delete(node);
        continue;
      }
      if (firstLive > 0) samples.splice(0, firstLive);
      live.push({ node, last: samples[samples.length - 1]?.atMs ?? 0, rtts: samples.map((s) => s.rttUs) });
    }
    live.sort((a, b) => b.last - a.last || compare(a.node, b.node));
    return live
      .slice(0, Math.max(0, maxPeers))
      .map((p) => summarizeRtts(p.node, p.rtts))
      .sort((a, b) => compare(a.node, b.node));
  }
}

export function summarizeRtts(node: string, rttsUs: readonly number[]): PeerRtt {
  const sorted = [...rttsUs].sort((a, b) => a - b);
  return { node, p50Us: quantile(sorted, 0.5), p99Us: quantile(sorted, 0.99), samples: sorted.length };
}

/**
 * Nearest-rank quantile of an ascending list: the smallest sample with at least q of the samples at or below it.
 * With fewer than 100 samples p99 is the maximum, which is the honest answer for a tail estimate.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
