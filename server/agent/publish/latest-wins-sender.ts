/**
 * Sends reports through a ReportPublisher, one at a time, so that the newest state always wins:
 *
 *   - offer() replaces whatever is waiting; a report superseded before it was sent is not lost, it is outdated:
 *     the newer one carries the same fields, measured later;
 *   - a failed publish is retried after a capped, jittered backoff (lib/core/jittered-backoff.ts), and the retry
 *     sends the newest report, not the one that failed; new offers never cut a backoff short, so an extender
 *     that is down is not hammered once per round by every node;
 *   - stop() ends the backoff and makes one final attempt if a report is still waiting.
 *
 * Time (sleep) and randomness are injected, so tests drive retries deterministically.
 */
import type { NodeReport } from '../../../lib/core/report.ts';
import { backoffDelayMs } from '../../../lib/core/jittered-backoff.ts';
import type { Sleep } from '../deps.ts';
import type { ReportPublisher } from './publisher.ts';

export interface PublishOutcome {
  readonly ok: boolean;
  readonly report: NodeReport;
  readonly attempt: number; // 1 for a first try, 2+ for retries of the pending state
  readonly error?: unknown;
  readonly retryInMs?: number;
}

export interface LatestWinsSenderOptions {
  readonly publisher: ReportPublisher;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly onOutcome?: (o: PublishOutcome) => void;
}

export class LatestWinsSender {
  readonly #opts: LatestWinsSenderOptions;
  readonly #stopping = new AbortController(); // ends backoff sleeps
  readonly #inflight = new AbortController(); // aborts a publish only if the final attempt times out
  #pending: NodeReport | null = null;
  #loop: Promise<void> | null = null;
  #failures = 0;
  #stopped = false;

  constructor(opts: LatestWinsSenderOptions) {
    this.#opts = opts;
  }

  /** Reports waiting to be sent (0 or 1: only the newest is kept). */
  get pending(): NodeReport | null {
    return this.#pending;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  offer(report: NodeReport): void {
    if (this.#stopped) return;
    this.#pending = report;
    this.#loop ??= this.#run().finally(() => {
      this.#loop = null;
    });
  }

  /** Resolves when nothing is waiting and nothing is in flight (or the sender stopped). */
  async idle(): Promise<void> {
    while (this.#loop !== null) await this.#loop;
  }

  /**
   * Stops retrying. Waits for a publish in flight, then, if a report is still waiting, makes one final attempt.
   * Gives up on both after `timeoutMs`. Resolves true when nothing was left unsent.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping.abort();
    const deadline = new AbortController();
    void this.#opts.sleep(timeoutMs, deadline.signal).then(() => {
      if (!deadline.signal.aborted) this.#inflight.abort();
    });
    try {
      if (this.#loop !== null) await this.#loop;
      this.#stopped = true;
      const last = this.#pending;
      if (last === null) return true;
      this.#pending = null;
      return (await this.#attempt(last, true)) === null;
    } finally {
      deadline.abort();
      this.#stopped = true;
    }
  }

  async #run(): Promise<void> {
    while (this.#pending !== null && !this.#stopping.signal.aborted) {
      const report = this.#pending;
      this.#pending = null;
      const retryInMs = await this.#attempt(report, false);
      if (retryInMs === null) continue;
      // Keep the failed state for the retry unless something newer arrived meanwhile: latest wins.
      this.#pending ??= report;
      await this.#opts.sleep(retryInMs, this.#stopping.signal);
    }
  }

  /** One publish. Resolves null on success, else the backoff before the next try (0 for a final attempt). */
  async #attempt(report: NodeReport, final: boolean): Promise<number | null> {
    const attempt = this.#failures + 1;
    try {
      await this.#opts.publisher.publish(report, this.#inflight.signal);
      this.#failures = 0;
      this.#opts.onOutcome?.({ ok: true, report, attempt });
      return null;
    } catch (error) {
      this.#failures++;
      if (final) {
        this.#opts.onOutcome?.({ ok: false, report, attempt, error });
        return 0;
      }
      const retryInMs = backoffDelayMs(
        this.#failures,
        this.#opts.retryBaseMs,
        this.#opts.retryMaxMs,
        this.#opts.random,
      );
      this.#opts.onOutcome?.({ ok: false, report, attempt, error, retryInMs });
      return retryInMs;
    }
  }
}
