/**
 * The one wait helper for every test: poll a condition until it holds, with a timeout that only bounds a failure.
 * Never a fixed sleep: a test waits for what it needs, so it is as fast as the machine allows and no slower.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** How long before giving up (a failure bound, not an expected duration). Default 30 s. */
  timeoutMs?: number;
  /** A fixed poll interval; by default polls start at 10 ms and back off to 200 ms, quick for in-process
   * conditions and light on an API server for slow ones. */
  intervalMs?: number;
  /** What is being waited for; goes into the timeout error. */
  description?: string;
}

type NotYet = undefined | null | false;

/**
 * Polls `check` until it returns something other than undefined, null or false, and returns that. Errors thrown
 * by `check` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 30_000, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let interval = options.intervalMs ?? 10;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`, { cause: lastError });
    }
    await sleep(interval);
    if (options.intervalMs === undefined) interval = Math.min(200, interval * 2);
  }
}
