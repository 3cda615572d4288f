import t from 'tap';
import {
  berthRatio,
  median,
  summarizeConfig,
  throughput,
  type ConfigName,
  type PhaseResult,
} from '../../../bench/scheduler/results.ts';
import type { LatencySummary } from '../../../bench/scheduler/prom.ts';

t.test('throughput: first create to last binding, and the 10–90 % steady state', async (t) => {
  // Ten pods bound one per second from t = 1 s; the first create request was sent at t = 0.
  const bound = [5, 1, 2, 3, 4, 6, 7, 8, 9, 10].map((s) => 1000 + s * 1000);
  const r = throughput(1000, bound);
  t.equal(r.elapsedSeconds, 10);
  t.equal(r.podsPerSecond, 1);
  t.equal(r.steadyPodsPerSecond, 1, 'pods 1 to 10 are one second apart');
  t.equal(r.progress.length, 101);
  t.equal(r.progress[0], 1, '0 %: the first binding');
  t.equal(r.progress[50], 5, '50 %: the fifth of ten');
  t.equal(r.progress[100], 10);

  // A slow start (the first pod after 5 s) lowers the overall rate but not the steady state.
  const slow = throughput(0, [5000, ...Array.from({ length: 99 }, (_, i) => 5000 + (i + 1) * 10)]);
  t.equal(Math.round(slow.podsPerSecond), 17, '100 pods in 5.99 s');
  t.equal(Math.round(slow.steadyPodsPerSecond), 100, 'but 100 pods/s once running');
  t.throws(() => throughput(0, [1]), /at least two/);
});

t.test('median', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 2, 3]), 2.5);
  t.equal(median([]), null);
  t.equal(median([Infinity, 1]), 1, 'non-finite values are left out');
});

const latency = (p50: number): LatencySummary => ({
  count: 1,
  meanMs: p50,
  p50Ms: p50,
  p95Ms: p50 * 2,
  p99Ms: p50 * 3,
});

function phase(config: ConfigName, round: number, podsPerSecond: number, steady: number, p50: number): PhaseResult {
  return {
    config,
    round,
    pods: 100,
    bound: 100,
    createSeconds: 1,
    throughput: { podsPerSecond, steadyPodsPerSecond: steady, elapsedSeconds: 100 / podsPerSecond, progress: [] },
    attempts: { scheduled: 100, unschedulable: 0, error: 0 },
    scheduler: { attempt: latency(p50), algorithm: latency(p50 / 2), extensionPoints: {} },
    extender: null,
    watchResumes: 0,
    watchRelists: 0,
    clientRateLimitSeconds: round / 1000,
    cpuSeconds: {},
    loadAverage: 1,
  };
}

const phases = [
  phase('berth', 1, 90, 100, 10),
  phase('noop', 1, 100, 110, 8),
  phase('none', 1, 200, 220, 4),
  phase('berth', 2, 94, 104, 12),
  phase('noop', 2, 100, 110, 9),
  phase('none', 2, 210, 230, 5),
];

t.test('per configuration: each run and the median of the runs', async (t) => {
  const berth = summarizeConfig(phases, 'berth');
  t.same(berth.podsPerSecond, [90, 94]);
  t.equal(berth.medianPodsPerSecond, 92);
  t.equal(berth.medianSteadyPodsPerSecond, 102);
  t.equal(berth.attemptP50Ms, 11);
  t.equal(berth.attemptP99Ms, 33);
  t.equal(summarizeConfig([], 'noop').medianPodsPerSecond, null);
});

t.test('berth over the no-op, by medians', async (t) => {
  const r = berthRatio(phases);
  t.equal(r.overall, 0.92);
  t.equal(Math.round((r.steady ?? 0) * 1000) / 1000, 0.927);
  t.same(
    berthRatio(phases.filter((p) => p.config !== 'noop')),
    { overall: null, steady: null },
    'no ratio without no-op runs',
  );
});
