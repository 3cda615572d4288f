/**
 * The agent's heartbeat: collect a report every --interval, and hand it to the sender when it differs
 * significantly from the last one handed over (lib/agent/significant-change.ts) or when --heartbeat has passed since.
 * Rounds are scheduled from the monotonic clock, so a slow round shortens the next sleep instead of drifting.
 */
import type { ChangeThresholds } from '../../lib/agent/significant-change.ts';
import { significantChange } from '../../lib/agent/significant-change.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import type { Logger } from '../common/log.ts';
import type { AgentClock, Sleep } from './deps.ts';
import type { LatestWinsSender } from './publish/latest-wins-sender.ts';
import type { ReportCollector } from './report-collector.ts';

export interface AgentLoopOptions {
  readonly collector: ReportCollector;
  readonly sender: LatestWinsSender;
  readonly intervalMs: number;
  readonly heartbeatMs: number;
  readonly change: ChangeThresholds;
  readonly clock: AgentClock;
  readonly sleep: Sleep;
  readonly log: Logger;
  /** Called before the first round, e.g. to take the first NIC counter reading. */
  readonly prime?: () => Promise<void>;
  /** Pause between prime and the first round: rates need two readings (1 s by default). */
  readonly primeDelayMs?: number;
}

export class AgentLoop {
  readonly #opts: AgentLoopOptions;
  #lastOffered: NodeReport | null = null;
  #lastOfferedAt = Number.NEGATIVE_INFINITY;
  #latest: NodeReport | null = null;

  constructor(opts: AgentLoopOptions) {
    this.#opts = opts;
  }

  /** The newest report collected, offered or not. */
  get latest(): NodeReport | null {
    return this.#latest;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clock, sleep } = this.#opts;
    if (this.#opts.prime) {
      await this.#opts.prime();
      await sleep(this.#opts.primeDelayMs ?? 1000, signal);
    }
    let next = clock.monotonicMs();
    while (!signal.aborted) {
      await this.round(signal);
      next += this.#opts.intervalMs;
      const now = clock.monotonicMs();
      if (next < now) next = now; // fell behind (suspend, very slow round): do not fire a burst to catch up
      await sleep(next - now, signal);
    }
  }

  /** One round: collect, then offer if significant or the heartbeat is due. Returns why it offered, or null. */
  async round(signal: AbortSignal): Promise<string | null> {
    const report = await this.#opts.collector.collect(signal);
    this.#latest = report;
    if (signal.aborted) return null;
    return this.consider(report);
  }

  consider(report: NodeReport): string | null {
    const now = this.#opts.clock.monotonicMs();
    // Half an interval of slack: rounds land on multiples of the interval give or take the collection time, and a
    // heartbeat must not slip a whole round because this round's collection happened to be a little faster.
    const heartbeatDue = now - this.#lastOfferedAt >= this.#opts.heartbeatMs - this.#opts.intervalMs / 2;
    const reason =
      significantChange(this.#lastOffered, report, this.#opts.change) ?? (heartbeatDue ? 'heartbeat' : null);
    if (reason === null) return null;
    this.#lastOffered = report;
    this.#lastOfferedAt = now;
    this.#opts.sender.offer(report);
    this.#opts.log.debug({ sequence: report.agent.sequence, reason }, 'report offered to the sender');
    return reason;
  }
}
