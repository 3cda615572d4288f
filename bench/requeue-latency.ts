/**
 * `node bench/requeue-latency.ts [--runs N]`: how long a pod refused for NVMe waits once a NodeReport shows room,
 * on the real control plane of the e2e tests (test/e2e/scenarios/requeue-setup.ts; needs the binaries built by
 * `npm run e2e:build`). Two series in the same run, alternating so both see the same machine load:
 *
 *   berth     default flags; the report is the only thing that happens: berth patches berth.io/requeue and
 *             kube-scheduler retries the pod.
 *   baseline  --requeue-rate 0 (as before the retry existed), and an unrelated pod is created right after the
 *             report: the cluster event a pod used to wait for (or kube-scheduler's 5-minute flush, without one).
 *
 * Both measure from the moment the report write is sent until the pod is seen bound (polled every 20 ms). Writes
 * bench/results/requeue-latency.json and prints a Markdown table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { binariesAvailable } from '../test/e2e/harness/control-plane.ts';
import { NODES, RoomAppears, percentile } from '../test/e2e/scenarios/requeue-setup.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');

const found = binariesAvailable();
if (!found.ok) {
  process.stderr.write(`requeue-latency: ${found.why}\n`);
  process.exit(1);
}

const teardowns: (() => unknown)[] = [];
const lifecycle = { teardown: (fn: () => unknown) => teardowns.push(fn), passing: () => true };

async function series(setup: RoomAppears, args: string[], nudge: boolean, runs: number[], berthMs: number[]) {
  await setup.startBerth(args);
  for (let i = 0; i < RUNS / 2; i++) {
    const node = NODES[runs.length % NODES.length] ?? 'nvme-a';
    const name = await setup.refusedPod();
    const run = await setup.roomAppears(name, node, nudge);
    runs.push(run.boundMs);
    if (run.annotatedMs !== null) berthMs.push(run.annotatedMs);
    await setup.reset(node);
  }
}

function summary(values: number[]): { p50: number; p95: number; max: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v);
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    max: round(sorted.at(-1) ?? NaN),
    n: sorted.length,
  };
}

try {
  const setup = await RoomAppears.start(lifecycle);
  const berth: number[] = [];
  const annotated: number[] = [];
  const baseline: number[] = [];
  // Two halves each, alternating, so that a burst of load elsewhere on the machine hits both series.
  for (let half = 0; half < 2; half++) {
    await series(setup, [], false, berth, annotated);
    await series(setup, ['--requeue-rate', '0'], true, baseline, []);
  }
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    runs: RUNS,
    berth: summary(berth),
    berthAnnotated: summary(annotated),
    baseline: summary(baseline),
    ratioP50: Number(
      (
        percentile(
          [...berth].sort((a, b) => a - b),
          50,
        ) /
        percentile(
          [...baseline].sort((a, b) => a - b),
          50,
        )
      ).toFixed(2),
    ),
    samples: { berth, baseline, annotated },
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'requeue-latency.json'), `${JSON.stringify(result, null, 2)}\n`);
  const row = (name: string, s: ReturnType<typeof summary>): string =>
    `| ${name} | ${s.n} | ${s.p50} | ${s.p95} | ${s.max} |`;
  process.stdout.write(
    [
      `report → pod bound, ms (${result.date}, ${result.machine}, Node ${result.node})`,
      '',
      '| series | runs | p50 | p95 | max |',
      '|---|---|---|---|---|',
      row('berth (report only)', result.berth),
      row('… of which report → berth.io/requeue written', result.berthAnnotated),
      row('baseline (report + an unrelated pod)', result.baseline),
      '',
      `p50 ratio berth / baseline: ${result.ratioP50}`,
      '',
    ].join('\n'),
  );
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
