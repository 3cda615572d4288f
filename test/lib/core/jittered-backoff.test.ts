import t from 'tap';
import { backoffDelayMs } from '../../../lib/core/jittered-backoff.ts';

t.test('bounds per attempt: [ceiling/2, ceiling], ceiling = min(max, base·2^(n−1))', async (t) => {
  const cases: { attempt: number; lo: number; hi: number }[] = [
    { attempt: 1, lo: 250, hi: 500 },
    { attempt: 2, lo: 500, hi: 1000 },
    { attempt: 4, lo: 2000, hi: 4000 },
    { attempt: 7, lo: 15_000, hi: 30_000 }, // 500·64 = 32 s, capped at 30 s
    { attempt: 1000, lo: 15_000, hi: 30_000 }, // no overflow for absurd attempt counts
    { attempt: 0, lo: 250, hi: 500 }, // treated as the first attempt
  ];
  for (const c of cases) {
    t.equal(
      backoffDelayMs(c.attempt, 500, 30_000, () => 0),
      c.lo,
      `attempt ${c.attempt}, random 0`,
    );
    t.equal(
      backoffDelayMs(c.attempt, 500, 30_000, () => 1),
      c.hi,
      `attempt ${c.attempt}, random 1`,
    );
  }
});

t.test('jitter spreads delays (seeded generator)', async (t) => {
  let s = 42;
  const rng = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const delays = Array.from({ length: 200 }, () => backoffDelayMs(3, 500, 30_000, rng));
  t.ok(
    delays.every((d) => d >= 1000 && d <= 2000),
    'all inside [1000, 2000]',
  );
  t.ok(new Set(delays.map((d) => Math.round(d / 100))).size >= 8, 'spread over the range, not lock-step');
});
