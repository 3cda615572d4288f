import t from 'tap';
import { quantile, RttWindows, summarizeRtts } from '../../../lib/agent/rtt-window.ts';

t.test('nearest-rank quantile', async (t) => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  const cases: { name: string; sorted: number[]; q: number; want: number }[] = [
    { name: 'p50 of 1..100', sorted: hundred, q: 0.5, want: 50 },
    { name: 'p99 of 1..100', sorted: hundred, q: 0.99, want: 99 },
    { name: 'p99 of 3 samples is the max', sorted: [1, 2, 3], q: 0.99, want: 3 },
    { name: 'p50 of 3 samples is the middle', sorted: [1, 2, 3], q: 0.5, want: 2 },
    { name: 'single sample', sorted: [7], q: 0.5, want: 7 },
    { name: 'q = 0 is the min', sorted: [4, 5], q: 0, want: 4 },
  ];
  for (const c of cases) t.equal(quantile(c.sorted, c.q), c.want, c.name);
  t.ok(Number.isNaN(quantile([], 0.5)), 'empty: NaN');
});

t.test('summarizeRtts sorts its input', async (t) => {
  t.same(summarizeRtts('n1', [300, 100, 200]), { node: 'n1', p50Us: 200, p99Us: 300, samples: 3 });
});

t.test('window expiry, per-peer cap, retain, report cap', async (t) => {
  const w = new RttWindows({ windowMs: 1000, maxSamplesPerPeer: 4 });
  for (let i = 0; i < 6; i++) w.record('a', 100 * i, 10 * (i + 1)); // 10..60 µs at t=0..500
  w.record('b', 0, 5);
  w.record('c', 900, 7);
  t.same(
    w.summarize(900, 10),
    [
      { node: 'a', p50Us: 40, p99Us: 60, samples: 4 }, // only the newest 4 samples kept: 30,40,50,60
      { node: 'b', p50Us: 5, p99Us: 5, samples: 1 },
      { node: 'c', p50Us: 7, p99Us: 7, samples: 1 },
    ],
    'everything inside the window',
  );
  t.same(
    w.summarize(1100, 10).map((p) => p.node),
    ['a', 'c'],
    'b (t=0) aged out at t=1100',
  );
  t.same(
    w.summarize(1100, 1).map((p) => p.node),
    ['c'],
    'cap keeps the most recently probed',
  );
  w.retain(new Set(['a']));
  t.same(
    w.summarize(1100, 10).map((p) => p.node),
    ['a'],
    'peers no longer discovered are dropped',
  );
});
