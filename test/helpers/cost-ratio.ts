/**
 * Relative cost of functions measured in the same run, for tests that prove a bound without an absolute time:
 * each function is timed in batches long enough for the clock, the batches alternate between the functions so
 * that load on a shared machine slows them alike, and the best batch counts (load only ever adds time).
 */
import { performance } from 'node:perf_hooks';

function batchSize(fn: () => unknown, minBatchMs: number): number {
  for (let n = 1; ; n *= 2) {
    const start = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - start >= minBatchMs || n >= 1 << 20) return n;
  }
}

/** Best per-call time of each function, in milliseconds. */
export function bestTimes(
  fns: readonly (() => unknown)[],
  opts: { batches?: number; minBatchMs?: number } = {},
): number[] {
  const batches = opts.batches ?? 41;
  const minBatchMs = opts.minBatchMs ?? 1;
  for (const fn of fns) fn(); // compile before timing
  const sizes = fns.map((fn) => batchSize(fn, minBatchMs));
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let b = 0; b < batches; b++) {
    fns.forEach((fn, k) => {
      const n = sizes[k] ?? 1;
      const start = performance.now();
      for (let i = 0; i < n; i++) fn();
      best[k] = Math.min(best[k] ?? Number.POSITIVE_INFINITY, (performance.now() - start) / n);
    });
  }
  return best;
}

/** Best time of an async call (one call per sample), in milliseconds, alternating like bestTimes. */
export async function bestAsyncTimes(fns: readonly (() => Promise<unknown>)[], samples = 41): Promise<number[]> {
  for (const fn of fns) await fn();
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let s = 0; s < samples; s++) {
    for (let k = 0; k < fns.length; k++) {
      const start = performance.now();
      await fns[k]?.();
      best[k] = Math.min(best[k] ?? Number.POSITIVE_INFINITY, performance.now() - start);
    }
  }
  return best;
}

export const KiB = 1024;
