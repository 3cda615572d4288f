/**
 * What the agent takes from the outside world instead of reaching for globals: clocks, sleep, randomness, logging.
 * Tests pass a manual clock and a seeded generator, so smoothing, backoff and heartbeat logic are deterministic,
 * and a logger whose lines they read (the same pino logger the extender uses: server/common/log.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isBerthError } from '../../lib/core/errors.ts';
import type { Logger } from '../common/log.ts';

export interface AgentClock {
  /** Wall clock, milliseconds since the epoch: only for the report's informational takenAt. */
  nowMs(): number;
  /** Monotonic milliseconds (sub-ms resolution): intervals, rates, heartbeats, RTTs. */
  monotonicMs(): number;
}

/** Resolves after `ms`, or early (without throwing) once `signal` aborts: loops check `signal.aborted` after it. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface AgentDeps {
  readonly clock: AgentClock;
  readonly sleep: Sleep;
  readonly random: () => number; // [0, 1)
  readonly randomId: () => string;
  readonly log: Logger;
}

export const systemClock: AgentClock = Object.freeze({
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
});

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });

export function realDeps(log: Logger): AgentDeps {
  return { clock: systemClock, sleep: realSleep, random: Math.random, randomId: randomUUID, log };
}

export function errorMessage(err: unknown): string {
  // berth's own errors say it all: their BERTH_ERR_* code goes into log lines as a field, not into reasons.
  if (isBerthError(err)) return err.message;
  if (err instanceof Error) {
    // An errno code (ECONNREFUSED) is worth prefixing when the message does not carry it.
    const raw: unknown = (err as NodeJS.ErrnoException).code;
    const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
    return code !== '' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
