/**
 * The health of one supervised informer as pure transitions (time passed in), and the readiness rule over all of
 * them. client-node's informer stops for good on any error but 410 and can hang without an error (a LIST has no
 * timeout; a watch through a stalled connection is re-tried every 30 s forever), so berth tracks two things:
 *
 *   phase      starting (never synced) → synced ⇄ down; down from an error or a stall until a new LIST succeeds;
 *   liveness   the last time the API server was heard from: an object event, a LIST, or a watch established.
 *              A quiet resource is still re-watched every 30 s (client-node's inactivity timeout), so liveness
 *              older than the watchdog timeout (≥ 35 s) means the connection is stuck, not that nothing changed.
 *
 * Restarts back off: attempt n waits uniformly in [c/2, c] with c = min(30 s, 1 s · 2^(n−1)) (jittered-backoff.ts),
 * so a cluster's worth of extender replicas does not relist in lock-step after an API server restart.
 */
import { backoffDelayMs } from '../core/jittered-backoff.ts';

export type InformerPhase = 'starting' | 'synced' | 'down';

export interface InformerHealth {
  readonly phase: InformerPhase;
  readonly lastAliveMs: number;
  /** Consecutive failed starts, for the backoff; 0 once synced. */
  readonly failures: number;
  /** Restarts after an error or a stall (periodic relists are not restarts). */
  readonly restarts: number;
  readonly relists: number;
  readonly reason: string | null;
}

export const RESTART_BASE_MS = 1_000;
export const RESTART_MAX_MS = 30_000;

export function initialHealth(nowMs: number): InformerHealth {
  return {
    phase: 'starting',
    lastAliveMs: nowMs,
    failures: 0,
    restarts: 0,
    relists: 0,
    reason: 'initial list not done yet',
  };
}

export function heardFrom(h: InformerHealth, nowMs: number): InformerHealth {
  return { ...h, lastAliveMs: nowMs };
}

/** A (re)start's LIST succeeded and its watch is established. */
export function synced(h: InformerHealth, nowMs: number): InformerHealth {
  return { ...h, phase: 'synced', lastAliveMs: nowMs, failures: 0, reason: null };
}

/** The informer stopped (error) or was found stuck (stall); it will be restarted after `restartDelayMs`. */
export function failed(h: InformerHealth, reason: string): InformerHealth {
  return {
    ...h,
    phase: h.phase === 'starting' ? 'starting' : 'down',
    failures: h.failures + 1,
    restarts: h.restarts + 1,
    reason,
  };
}

export function relisting(h: InformerHealth): InformerHealth {
  return { ...h, relists: h.relists + 1 };
}

export function restartDelayMs(h: InformerHealth, random: () => number): number {
  return backoffDelayMs(h.failures, RESTART_BASE_MS, RESTART_MAX_MS, random);
}

export function isStalled(h: InformerHealth, nowMs: number, watchdogTimeoutMs: number): boolean {
  return nowMs - h.lastAliveMs > watchdogTimeoutMs;
}

/** Ready only when every informer has synced and none is down; the reason names the first that is not. */
export function informersReadiness(healths: ReadonlyMap<string, InformerHealth>): { ready: boolean; reason: string } {
  for (const [resource, h] of healths) {
    if (h.phase === 'starting')
      return { ready: false, reason: `${resource} informer not synced yet${h.reason === null ? '' : `: ${h.reason}`}` };
    if (h.phase === 'down') return { ready: false, reason: `${resource} informer down: ${h.reason ?? 'restarting'}` };
  }
  return { ready: true, reason: 'informers synced' };
}
