/**
 * Draws docs/bench-scheduler.png from a run of `npm run bench:scheduler` (vega-lite → vega → SVG → resvg, as
 * scripts/render-dashboard.ts does): pods bound over time in every run, the pods/s of each configuration, and
 * quantiles of kube-scheduler's scheduling-attempt and scheduling-algorithm histograms.
 *
 *   node scripts/render-bench-chart.ts [bench/results/scheduler.json] [docs/bench-scheduler.png]
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, specToPng } from './vega-png.ts';
import {
  CONFIGS,
  median,
  summarizeConfig,
  type ConfigName,
  type ConfigSummary,
  type RunResult,
} from '../bench/scheduler/results.ts';

const LABEL: Record<ConfigName, string> = { berth: 'berth', noop: 'no-op extender', none: 'no extender' };
const COLORS = ['#d95f02', '#7570b3', '#1b9e77'];
const color = {
  field: 'config',
  type: 'nominal',
  sort: CONFIGS.map((c) => LABEL[c]),
  scale: { domain: CONFIGS.map((c) => LABEL[c]), range: COLORS },
  legend: { title: null, orient: 'bottom' },
};

function progressPanel(run: RunResult): object {
  const values = run.phases.flatMap((p) =>
    p.throughput.progress.map((s, pct) => ({
      config: LABEL[p.config],
      run: `${LABEL[p.config]} #${String(p.round)}`,
      round: `run ${String(p.round)}`,
      s,
      pods: Math.round((pct / 100) * p.bound),
    })),
  );
  return {
    title: 'Pods bound since the first was created',
    width: 330,
    height: 240,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: { field: 's', type: 'quantitative', title: 'seconds' },
      y: { field: 'pods', type: 'quantitative', title: 'pods bound' },
      color,
      detail: { field: 'run' },
      strokeDash: { field: 'round', type: 'nominal', legend: { title: null, orient: 'bottom' } },
    },
  };
}

function ratePanel(run: RunResult): object {
  const values = run.phases.flatMap((p) => [
    { config: LABEL[p.config], measure: 'first created → last bound', v: p.throughput.podsPerSecond },
    { config: LABEL[p.config], measure: 'steady state (10–90 %)', v: p.throughput.steadyPodsPerSecond },
  ]);
  const medians = CONFIGS.flatMap((c) => {
    const s = summarizeConfig(run.phases, c);
    return [
      { config: LABEL[c], measure: 'first created → last bound', v: s.medianPodsPerSecond ?? 0 },
      { config: LABEL[c], measure: 'steady state (10–90 %)', v: s.medianSteadyPodsPerSecond ?? 0 },
    ];
  });
  const x = {
    field: 'measure',
    type: 'nominal',
    title: null,
    axis: { labelAngle: 0, labelFontSize: 9, labelLimit: 200 },
  };
  const xOffset = { field: 'config', sort: CONFIGS.map((c) => LABEL[c]) };
  return {
    title: 'Pods per second (bars: median; dots: each run)',
    width: 330,
    height: 240,
    layer: [
      {
        data: { values: medians },
        mark: 'bar',
        encoding: { x, xOffset, y: { field: 'v', type: 'quantitative', title: 'pods/s' }, color },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, color: '#222', size: 22 },
        encoding: { x, xOffset, y: { field: 'v', type: 'quantitative' } },
      },
    ],
  };
}

type Quantiles = Pick<ConfigSummary, 'attemptP50Ms' | 'attemptP95Ms' | 'attemptP99Ms'>;

/** p50/p95/p99 per configuration (medians of the runs) of one of kube-scheduler's histograms. */
function latencyPanel(title: string, pick: (c: ConfigName) => Quantiles): object {
  const values = CONFIGS.flatMap((c) => {
    const s = pick(c);
    return [
      { config: LABEL[c], q: 'p50', v: s.attemptP50Ms ?? 0 },
      { config: LABEL[c], q: 'p95', v: s.attemptP95Ms ?? 0 },
      { config: LABEL[c], q: 'p99', v: s.attemptP99Ms ?? 0 },
    ];
  });
  return {
    title,
    width: 330,
    height: 240,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'q', type: 'nominal', title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'config', sort: CONFIGS.map((c) => LABEL[c]) },
      y: { field: 'v', type: 'quantitative', title: 'ms (median of runs)' },
      color,
    },
  };
}

function algorithmQuantiles(run: RunResult, config: ConfigName): Quantiles {
  const mine = run.phases.filter((p) => p.config === config);
  const m = (f: (p: (typeof mine)[number]) => number | null): number | null =>
    median(mine.map(f).filter((v): v is number => v !== null));
  return {
    attemptP50Ms: m((p) => p.scheduler.algorithm.p50Ms),
    attemptP95Ms: m((p) => p.scheduler.algorithm.p95Ms),
    attemptP99Ms: m((p) => p.scheduler.algorithm.p99Ms),
  };
}

function loadRange(run: RunResult): string {
  const loads = run.phases.map((p) => p.loadAverage);
  return `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
}

export async function renderBenchChart(run: RunResult): Promise<Buffer> {
  const m = run.meta;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `kube-scheduler ${m.kubeScheduler}: ${m.nodes.toLocaleString('en')} nodes, ${m.podsPerPhase.toLocaleString('en')} opted-in pods per run`,
      subtitle: [
        `${m.date.slice(0, 10)}, ${m.machine}, load average ${loadRange(run)} at the runs' starts`,
        `Node ${m.node}, berth ${m.berth}`,
      ],
      fontSize: 15,
      anchor: 'start',
    },
    background: 'white',
    padding: 16,
    spacing: 36,
    columns: 2,
    concat: [
      progressPanel(run),
      ratePanel(run),
      latencyPanel('Scheduling attempt: cycle + binding API call', (c) => summarizeConfig(run.phases, c)),
      latencyPanel('Scheduling algorithm: filter + score, extender calls included', (c) => algorithmQuantiles(run, c)),
    ],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
    config: { ...CHART_CONFIG, title: { fontSize: 12 } },
  } as unknown as TopLevelSpec;
  return specToPng(spec);
}

if (import.meta.main) {
  const [input = 'bench/results/scheduler.json', output = 'docs/bench-scheduler.png'] = process.argv.slice(2);
  const run = JSON.parse(await readFile(input, 'utf8')) as RunResult;
  const png = await renderBenchChart(run);
  await writeFile(output, png);
  process.stdout.write(`wrote ${output} (${png.length} bytes)\n`);
}
