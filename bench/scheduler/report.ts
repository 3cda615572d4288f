/**
 * The Markdown the README shows for a run of `npm run bench:scheduler`, and the README update: the block between
 * `<!-- bench-scheduler:start -->` and `<!-- bench-scheduler:end -->` is replaced, nothing else.
 *
 *   node bench/scheduler/report.ts [bench/results/scheduler.json] [--readme]   prints it (and updates README.md)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LatencySummary } from './prom.ts';
import {
  berthRatio,
  CONFIGS,
  median,
  summarizeConfig,
  type ConfigName,
  type PhaseResult,
  type RunResult,
} from './results.ts';

export const README_START = '<!-- bench-scheduler:start -->';
export const README_END = '<!-- bench-scheduler:end -->';
export const CHART_PATH = 'docs/bench-scheduler.png';
export const RESULTS_PATH = 'bench/results/scheduler.json';

const NAMES: Record<ConfigName, string> = {
  berth: 'berth',
  noop: 'no-op extender',
  none: 'no extender',
};

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return v < 10 ? v.toFixed(1) : String(Math.round(v));
}

const rate = (v: number | null): string => (v === null ? '–' : v.toFixed(1));

function medianOf(phases: readonly PhaseResult[], f: (p: PhaseResult) => number | null | undefined): number | null {
  return median(phases.map(f).filter((v): v is number => typeof v === 'number'));
}

/** Mean ms per attempt outside the in-tree plugins: algorithm minus PreFilter, Filter, PreScore and Score. */
export function extenderShareMs(p: PhaseResult): number | null {
  const points = p.scheduler.extensionPoints;
  const mean = (s: LatencySummary | undefined): number => s?.meanMs ?? 0;
  const algorithm = p.scheduler.algorithm.meanMs;
  if (algorithm === null) return null;
  const inTree = mean(points['PreFilter']) + mean(points['Filter']) + mean(points['PreScore']) + mean(points['Score']);
  return Math.max(0, algorithm - inTree);
}

function throughputTable(run: RunResult): string[] {
  const rows = [
    '| configuration | pods/s, first created → last bound (each run → median) | pods/s, steady state (10–90 % bound) | scheduling attempt p50 / p95 / p99 (ms) | pods created/s |',
    '|---|---|---|---|---|',
  ];
  for (const config of CONFIGS) {
    const s = summarizeConfig(run.phases, config);
    if (s.rounds === 0) continue;
    const created = medianOf(
      run.phases.filter((p) => p.config === config),
      (p) => (p.createSeconds > 0 ? p.pods / p.createSeconds : null),
    );
    rows.push(
      `| ${NAMES[config]} | ${s.podsPerSecond.map(rate).join(', ')} → **${rate(s.medianPodsPerSecond)}** | ` +
        `${s.steadyPodsPerSecond.map(rate).join(', ')} → **${rate(s.medianSteadyPodsPerSecond)}** | ` +
        `${ms(s.attemptP50Ms)} / ${ms(s.attemptP95Ms)} / ${ms(s.attemptP99Ms)} | ${created === null ? '–' : String(Math.round(created))} |`,
    );
  }
  return rows;
}

function whereTimeGoes(run: RunResult): string[] {
  const rows = [
    '| configuration | algorithm p50 / p99 (ms) | in-tree Filter p50 / Score p50 (ms) | mean ms per attempt outside the in-tree plugins | Bind p50 (ms) | berth filter, prioritize p50 / p99 on its own clock (ms) | nodes per filter call | CPU s: kube-scheduler / kube-apiserver / etcd / extender |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const config of CONFIGS) {
    const ph = run.phases.filter((p) => p.config === config);
    if (ph.length === 0) continue;
    const m = (f: (p: PhaseResult) => number | null | undefined): string => ms(medianOf(ph, f));
    const cpu = (name: string): string => {
      const v = medianOf(ph, (p) => p.cpuSeconds[name]);
      return v === null || (name === 'extender' && config === 'none') ? '–' : v.toFixed(1);
    };
    const berth =
      config === 'berth'
        ? `${m((p) => p.extender?.filter.p50Ms)} / ${m((p) => p.extender?.filter.p99Ms)}, ` +
          `${m((p) => p.extender?.prioritize.p50Ms)} / ${m((p) => p.extender?.prioritize.p99Ms)}`
        : '–';
    const nodes = config === 'berth' ? String(Math.round(medianOf(ph, (p) => p.extender?.nodesPerFilter) ?? 0)) : '–';
    rows.push(
      `| ${NAMES[config]} | ${m((p) => p.scheduler.algorithm.p50Ms)} / ${m((p) => p.scheduler.algorithm.p99Ms)} | ` +
        `${m((p) => p.scheduler.extensionPoints['Filter']?.p50Ms)} / ${m((p) => p.scheduler.extensionPoints['Score']?.p50Ms)} | ` +
        `${m(extenderShareMs)} | ${m((p) => p.scheduler.extensionPoints['Bind']?.p50Ms)} | ${berth} | ${nodes} | ` +
        `${cpu('scheduler')} / ${cpu('apiserver')} / ${cpu('etcd')} / ${cpu('extender')} |`,
    );
  }
  return rows;
}

/** Said only when it happened: a relisted watch sees some bindings late, which lowers that run's pods/s. */
function relistNote(run: RunResult): string[] {
  const relisted = run.phases.filter((p) => p.watchRelists > 0);
  if (relisted.length === 0) return [];
  const which = relisted.map((p) => `${NAMES[p.config]} #${String(p.round)}`).join(', ');
  return [`The API server expired the bindings watch in ${which}: bindings seen on a relist count as bound then.`];
}

function ratioLine(run: RunResult): string {
  const ratio = berthRatio(run.phases);
  const x = (v: number | null): string => (v === null ? '–' : `${v.toFixed(2)}×`);
  const met = ratio.overall !== null && ratio.steady !== null && ratio.overall >= 0.95 && ratio.steady >= 0.95;
  const waited = Math.max(...run.phases.map((p) => p.clientRateLimitSeconds));
  const limiter =
    `kube-scheduler's API requests waited ${waited < 10 ? waited.toFixed(2) : String(Math.round(waited))} s ` +
    `in all, at most, per run on its client's rate limiter (\`rest_client_rate_limiter_duration_seconds\`).`;
  if (ratio.overall === null) return `berth and the no-op extender were not both measured in this run. ${limiter}`;
  return (
    `berth / no-op extender: **${x(ratio.overall)}** first created → last bound, **${x(ratio.steady)}** steady ` +
    `state (goal ≥ 0.95×: ${met ? 'met' : '**not met**'}). ${limiter}`
  );
}

/** The README block: what was run, the two tables, the ratio against the goal, and the chart. */
export function markdown(run: RunResult): string {
  const { meta } = run;
  const loads = run.phases.map((p) => p.loadAverage);
  return [
    `Run of ${meta.date.slice(0, 10)} on ${meta.machine}; Node ${meta.node}, kube-scheduler ${meta.kubeScheduler}, ` +
      `berth ${meta.berth}. ${meta.nodes.toLocaleString('en')} nodes, ${meta.podsPerPhase.toLocaleString('en')} ` +
      `fresh pods per run (after ${meta.warmupPodsPerPhase} warm-up pods, not counted), kube-scheduler ` +
      `\`clientConnection\` qps ${meta.schedulerQps} / burst ` +
      `${meta.schedulerBurst}; order ${meta.order.join(', ')}; ${(meta.wallSeconds / 60).toFixed(1)} min in all ` +
      `(load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the phases' starts).`,
    ...meta.notes,
    ...relistNote(run),
    '',
    ...throughputTable(run),
    '',
    ratioLine(run),
    '',
    ...whereTimeGoes(run),
    '',
    `![kube-scheduler with berth, a no-op extender and no extender](${CHART_PATH})`,
  ].join('\n');
}

export function replaceReadmeBlock(readme: string, block: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} ... ${README_END} block`);
  return `${readme.slice(0, start + README_START.length)}\n${block}\n${readme.slice(end)}`;
}

export async function updateReadme(root: string, block: string): Promise<void> {
  const path = join(root, 'README.md');
  await writeFile(path, replaceReadmeBlock(await readFile(path, 'utf8'), block));
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const args = process.argv.slice(2);
  const input = args.find((a) => !a.startsWith('--')) ?? join(root, RESULTS_PATH);
  const block = markdown(JSON.parse(await readFile(input, 'utf8')) as RunResult);
  process.stdout.write(`${block}\n`);
  if (args.includes('--readme')) await updateReadme(root, block);
}
