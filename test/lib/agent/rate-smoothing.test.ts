import t from 'tap';
import { readFile } from 'node:fs/promises';
import { counterRate, ewmaUpdate, NicRateSmoother } from '../../../lib/agent/rate-smoothing.ts';

interface Reading {
  atMs: number;
  nic: string;
  rxBytes: number;
  txBytes: number;
}
const recorded = JSON.parse(
  await readFile(new URL('../../fixtures/agent/nic-counters.json', import.meta.url), 'utf8'),
) as Reading[];

t.test('counterRate', async (t) => {
  const cases = [
    { name: 'normal', prev: [0, 0, 0], next: [500, 1000, 2000], want: { rxBytesPerSec: 2000, txBytesPerSec: 4000 } },
    { name: 'time did not advance', prev: [10, 0, 0], next: [10, 5, 5], want: null },
    { name: 'time went backwards', prev: [10, 0, 0], next: [5, 5, 5], want: null },
    { name: 'rx counter reset', prev: [0, 1000, 0], next: [1000, 10, 10], want: null },
    { name: 'tx counter reset', prev: [0, 0, 1000], next: [1000, 10, 10], want: null },
    { name: 'idle link', prev: [0, 7, 7], next: [1000, 7, 7], want: { rxBytesPerSec: 0, txBytesPerSec: 0 } },
  ];
  for (const c of cases) {
    const [pa = 0, prx = 0, ptx = 0] = c.prev;
    const [na = 0, nrx = 0, ntx = 0] = c.next;
    t.same(
      counterRate({ atMs: pa, rxBytes: prx, txBytes: ptx }, { atMs: na, rxBytes: nrx, txBytes: ntx }),
      c.want,
      c.name,
    );
  }
});

t.test('ewmaUpdate', async (t) => {
  t.same(ewmaUpdate(null, 42, 5, 1000), { value: 42, atMs: 5 }, 'first sample initialises');
  const oneTau = ewmaUpdate({ value: 0, atMs: 0 }, 100, 1000, 1000);
  t.equal(
    Math.round(oneTau.value * 1000) / 1000,
    Math.round((1 - Math.exp(-1)) * 100 * 1000) / 1000,
    'after one τ: 63.2 % of a step',
  );
  const twoHalves = ewmaUpdate(ewmaUpdate({ value: 0, atMs: 0 }, 100, 500, 1000), 100, 1000, 1000);
  t.ok(Math.abs(twoHalves.value - oneTau.value) < 1e-9, 'irregular spacing: two half-steps equal one step');
  t.equal(ewmaUpdate({ value: 10, atMs: 0 }, 100, 0, 1000).value, 10, 'Δt = 0 leaves the average alone');
  t.equal(ewmaUpdate({ value: 10, atMs: 0 }, 100, 5, 0).value, 100, 'τ = 0 is no smoothing');
});

t.test('recorded loopback counters: bits/s, smoothing follows a step', async (t) => {
  const lo = recorded.filter((r) => r.nic === 'lo');
  t.ok(lo.length >= 10, `${lo.length} recorded readings`);
  const raw = (i: number): number => {
    const a = lo[i - 1];
    const b = lo[i];
    return a && b ? ((b.rxBytes - a.rxBytes) * 8 * 1000) / (b.atMs - a.atMs) : Number.NaN;
  };
  const unsmoothed = new NicRateSmoother(0);
  t.equal(unsmoothed.observe(lo[0] as Reading), null, 'one reading: no rate yet');
  for (let i = 1; i < lo.length; i++) {
    const r = unsmoothed.observe(lo[i] as Reading);
    t.ok(
      r !== null && Math.abs(r.rxBps - raw(i)) < 1e-6,
      `τ=0 reproduces the raw rate at reading ${i} (${Math.round(raw(i) / 1e6)} Mbit/s)`,
    );
  }
  // The recorded load steps up at some reading; find it from the raw rates rather than hard-coding it.
  const rates = lo.map((_, i) => (i === 0 ? Number.NaN : raw(i)));
  const step = rates.findIndex((r, i) => i > 1 && r > 2 * (rates[i - 1] ?? Number.POSITIVE_INFINITY));
  t.ok(step > 1, `load step found at reading ${step}`);
  const smoother = new NicRateSmoother(2000);
  const smoothed = lo.map((s) => smoother.observe(s)?.rxBps ?? Number.NaN);
  const before = rates[step - 1] ?? 0;
  const after = rates[step] ?? 0;
  const atStep = smoothed[step] ?? 0;
  t.ok(
    atStep > before && atStep < after,
    `smoothed value at the step lies between old and new level (${Math.round(atStep / 1e6)} Mbit/s)`,
  );
  for (let i = step + 1; i < lo.length - 1; i++)
    t.ok((smoothed[i] ?? 0) > (smoothed[i - 1] ?? 0) * 0.97, `still converging at reading ${i}`);
  const last = smoothed[lo.length - 1] ?? 0;
  t.ok(
    Math.abs(last - (rates[lo.length - 1] ?? 0)) / last < 0.25,
    'about 2τ after the step: within 25 % of the new level (1 − e^−2 ≈ 86 % converged)',
  );
});

t.test('recorded idle virtio NIC: zero, not null, once two readings exist', async (t) => {
  const eth = recorded.filter((r) => r.nic === 'eth0');
  const s = new NicRateSmoother(30_000);
  const out = eth.map((r) => s.observe(r));
  t.equal(out[0], null);
  t.ok(
    out.slice(1).every((r) => r !== null && r.rxBps >= 0 && r.txBps >= 0),
    'non-negative rates',
  );
});

t.test('a counter reset is skipped, the average kept', async (t) => {
  const s = new NicRateSmoother(1000);
  s.observe({ atMs: 0, rxBytes: 0, txBytes: 0 });
  const before = s.observe({ atMs: 1000, rxBytes: 1000, txBytes: 1000 });
  const afterReset = s.observe({ atMs: 2000, rxBytes: 5, txBytes: 5 });
  t.same(afterReset, before, 'reset interval ignored');
  const next = s.observe({ atMs: 3000, rxBytes: 1005, txBytes: 1005 });
  t.ok(next !== null && next.rxBps > 0, 'resumes from the new baseline');
});
