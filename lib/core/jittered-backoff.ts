/**
 * Capped exponential backoff with jitter, for retrying a publish. Pure: randomness is passed in.
 *
 * Attempt n (1-based) has the ceiling c = min(max, base·2^(n−1)); the delay is uniform in [c/2, c]. Half of the
 * ceiling is kept so that a retry never fires immediately after a failure, and the other half is spread so that
 * thousands of agents that lost the extender at the same moment do not come back in lock-step.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 52));
  const r = Math.min(1, Math.max(0, random()));
  return ceiling / 2 + (r * ceiling) / 2;
}
