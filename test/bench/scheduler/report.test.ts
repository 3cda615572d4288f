import t from 'tap';
import {
  extenderShareMs,
  markdown,
  README_END,
  README_START,
  replaceReadmeBlock,
} from '../../../bench/scheduler/report.ts';
import type { LatencySummary } from '../../../bench/scheduler/prom.ts';
import type { ConfigName, PhaseResult, RunResult } from '../../../bench/scheduler/results.ts';

const latency = (mean: number): LatencySummary => ({
  count: 10,
  meanMs: mean,
  p50Ms: mean,
  p95Ms: mean * 2,
  p99Ms: mean * 3,
});

function phase(config: ConfigName, round: number, podsPerSecond: number): PhaseResult {
  return {
    config,
    round,
    pods: 1000,
    bound: 1000,
    createSeconds: 3,
    throughput: {
      podsPerSecond,
      steadyPodsPerSecond: podsPerSecond + 10,
      elapsedSeconds: 1000 / podsPerSecond,
      progress: [],
    },
    attempts: { scheduled: 1000, unschedulable: 0, error: 0 },
    scheduler: {
      attempt: latency(20),
      algorithm: latency(config === 'none' ? 2 : 9),
      extensionPoints: {
        PreFilter: latency(0.1),
        Filter: latency(1),
        PreScore: latency(0.2),
        Score: latency(0.7),
        Bind: latency(12),
      },
    },
    extender:
      config === 'berth'
        ? { filter: latency(3), prioritize: latency(1.5), nodesPerFilter: 420.4, nodesPerPrioritize: 400 }
        : null,
    watchResumes: 0,
    watchRelists: 0,
    clientRateLimitSeconds: round / 1000,
    cpuSeconds: { scheduler: 4, apiserver: 6, etcd: 1, extender: config === 'none' ? 0 : 3 },
    loadAverage: round,
  };
}

function run(berthRate: number): RunResult {
  return {
    meta: {
      date: '2026-12-01T10:00:00.000Z',
      machine: '2 cores (Test CPU), 24 GiB',
      cpus: 2,
      node: 'v24.21.0',
      kubeScheduler: 'v1.36.3',
      berth: '0.1.0 (abc1234)',
      nodes: 1000,
      podsPerPhase: 1000,
      warmupPodsPerPhase: 100,
      schedulerQps: 5000,
      schedulerBurst: 10000,
      order: ['berth', 'noop', 'none', 'berth', 'noop', 'none'],
      wallSeconds: 540,
      notes: ['Provisional: other work shared the machine.'],
    },
    phases: [1, 2].flatMap((r) => [phase('berth', r, berthRate), phase('noop', r, 100), phase('none', r, 200)]),
  };
}

t.test('the README block: versions, both tables, the ratio against the goal and the chart', async (t) => {
  const text = markdown(run(90));
  t.match(text, /^Run of 2026-12-01 on 2 cores \(Test CPU\), 24 GiB; Node v24\.21\.0, kube-scheduler v1\.36\.3/);
  t.match(
    text,
    /berth 0\.1\.0 \(abc1234\)\. 1,000 nodes, 1,000 fresh pods per run \(after 100 warm-up pods, not counted\)/,
  );
  t.match(text, /qps 5000 \/ burst 10000; order berth, noop, none, berth, noop, none; 9\.0 min in all/);
  t.match(text, /load average 1\.0–2\.0/);
  t.match(text, /\nProvisional: other work shared the machine\.\n/);
  t.match(
    text,
    /\| berth \| 90\.0, 90\.0 → \*\*90\.0\*\* \| 100\.0, 100\.0 → \*\*100\.0\*\* \| 20 \/ 40 \/ 60 \| 333 \|/,
  );
  t.match(text, /\| no extender \| 200\.0, 200\.0 → \*\*200\.0\*\*/);
  t.match(text, /berth \/ no-op extender: \*\*0\.90×\*\* first created → last bound, \*\*0\.91×\*\* steady state/);
  t.match(
    text,
    /goal ≥ 0\.95×: \*\*not met\*\*\)\. kube-scheduler's API requests waited 0\.00 s in all, at most, per run/,
  );
  t.match(
    text,
    /\| berth \| 9\.0 \/ 27 \| 1\.0 \/ 0\.7 \| 7\.0 \| 12 \| 3\.0 \/ 9\.0, 1\.5 \/ 4\.5 \| 420 \| 4\.0 \/ 6\.0 \/ 1\.0 \/ 3\.0 \|/,
  );
  t.match(
    text,
    /\| no extender \| 2\.0 \/ 6\.0 \| 1\.0 \/ 0\.7 \| 0\.0 \| 12 \| – \| – \| 4\.0 \/ 6\.0 \/ 1\.0 \/ – \|/,
  );
  t.match(text, /!\[[^\]]+\]\(docs\/bench-scheduler\.png\)$/);
  t.match(markdown(run(96)), /goal ≥ 0\.95×: met\)/);
  const withoutBerth = { ...run(90), phases: run(90).phases.filter((p) => p.config !== 'berth') };
  t.match(markdown(withoutBerth), /berth and the no-op extender were not both measured in this run\./);
});

t.test('time outside the in-tree plugins: algorithm minus PreFilter, Filter, PreScore and Score', async (t) => {
  t.equal(extenderShareMs(phase('berth', 1, 90)), 7);
  t.equal(extenderShareMs(phase('none', 1, 200)), 0, 'never negative');
});

t.test('the README update replaces the marked block and nothing else', async (t) => {
  const readme = `# x\n\n## Benchmarks\nper-call\n\n${README_START}\nold\n${README_END}\n\n## Limits\n`;
  t.equal(
    replaceReadmeBlock(readme, 'new table'),
    `# x\n\n## Benchmarks\nper-call\n\n${README_START}\nnew table\n${README_END}\n\n## Limits\n`,
  );
  t.throws(() => replaceReadmeBlock('# no markers\n', 'x'), /no <!-- bench-scheduler:start -->/);
});

t.test('a run whose bindings watch was relisted says so', async (t) => {
  const clean = run(90);
  t.notMatch(markdown(clean), /relist/);
  const phases = clean.phases.map((p, i) => (i === 1 ? { ...p, watchRelists: 1 } : p));
  t.match(markdown({ ...clean, phases }), /expired the bindings watch in no-op extender #1: bindings seen on a relist/);
});
