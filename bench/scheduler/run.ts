/**
 * `npm run bench:scheduler`: what berth costs a real kube-scheduler. kube-scheduler v1.36.3 from the e2e build
 * schedules fresh opted-in pods onto fake nodes with fresh NodeReports, in three configurations (berth, a no-op
 * extender wired the same way, no extender), alternated, each run twice. Reports pods/s and kube-scheduler's own
 * latency histograms. Not part of `npm test`: numbers, not pass/fail.
 *
 * Writes bench/results/scheduler.json and docs/bench-scheduler.png, prints the README block; `-- --readme` also
 * puts that block into README.md. Environment, defaults in brackets:
 *   BENCH_NODES [1000], BENCH_PODS [1000] per phase, BENCH_WARMUP_PODS [100] per phase, BENCH_ROUNDS [2],
 *   BENCH_CONFIGS [berth,noop,none] (the order within a round), BENCH_QPS [5000] and BENCH_BURST [10000]
 *   (kube-scheduler's clientConnection), BENCH_RESULTS (see writeOutputs), BENCH_NOTE (a sentence for the README
 *   block, e.g. what else ran on the machine), BERTH_E2E_CACHE_DIR (where the control plane was built).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { renderBenchChart } from '../../scripts/render-bench-chart.ts';
import { binariesAvailable } from '../../test/e2e/harness/binaries.ts';
import { generateCerts } from '../../test/helpers/manifests/berth-tls.ts';
import { buildCluster, REPLICAS, RunLifecycle } from './cluster.ts';
import { runPhase, type PhaseContext } from './phase.ts';
import { CHART_PATH, markdown, RESULTS_PATH, updateReadme } from './report.ts';
import { CONFIGS, type ConfigName, type PhaseResult, type RunResult } from './results.ts';
import { schedulerConfigs } from './wiring.ts';

const root = join(import.meta.dirname, '..', '..');

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}

function envConfigs(): readonly ConfigName[] {
  const raw = process.env['BENCH_CONFIGS'];
  if (raw === undefined || raw === '') return CONFIGS;
  const names = raw.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(CONFIGS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_CONFIGS: unknown ${unknown.join(', ')}; use ${CONFIGS.join(',')}`);
  return names as ConfigName[];
}

const settings = {
  configs: envConfigs(),
  nodes: envInt('BENCH_NODES', 1000),
  pods: envInt('BENCH_PODS', 1000),
  rounds: envInt('BENCH_ROUNDS', 2),
  warmupPods: envInt('BENCH_WARMUP_PODS', 100),
  qps: envInt('BENCH_QPS', 5000),
  burst: envInt('BENCH_BURST', 10000),
};

const began = performance.now();
function log(line: string): void {
  process.stderr.write(`[bench:scheduler ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

function versions(binDir: string): { kubeScheduler: string; berth: string } {
  const scheduler = execFileSync(join(binDir, 'kube-scheduler'), ['--version'], { encoding: 'utf8' }).trim();
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '' ? '+changes' : '';
  return { kubeScheduler: scheduler.replace(/^Kubernetes\s+/, ''), berth: commit === '' ? 'unknown' : commit + dirty };
}

async function main(): Promise<void> {
  const found = binariesAvailable();
  if (!found.ok) throw new Error(`bench:scheduler needs the e2e control plane: ${found.why}`);
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const v = versions(found.dir);
  const life = new RunLifecycle();
  let ok = false;
  try {
    log(
      `${settings.nodes} nodes, ${settings.pods} pods per phase, ${settings.rounds} rounds; starting etcd + apiserver`,
    );
    const statefulSets = Math.ceil(settings.pods / REPLICAS);
    const cluster = await buildCluster(life, { nodes: settings.nodes, statefulSets, log });
    const certs = await generateCerts(join(cluster.cp.dir, 'certs'));
    const configs = await schedulerConfigs(certs, settings.qps, settings.burst);
    const ctx: PhaseContext = { cluster, certs, configs, log };

    const order: ConfigName[] = [];
    const phases: PhaseResult[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const config of settings.configs) {
        order.push(config);
        const p = await runPhase(ctx, config, round, settings.pods, settings.warmupPods);
        phases.push(p);
        log(
          `${config} #${round}: ${p.throughput.podsPerSecond.toFixed(1)} pods/s (steady ` +
            `${p.throughput.steadyPodsPerSecond.toFixed(1)}), attempt p50 ${p.scheduler.attempt.p50Ms?.toFixed(1) ?? '?'} ms, ` +
            `created in ${p.createSeconds.toFixed(1)} s, load ${p.loadAverage}`,
        );
      }
    }
    const cpu = cpus();
    const run: RunResult = {
      meta: {
        date: new Date().toISOString(),
        machine: `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
        cpus: cpu.length,
        node: process.version,
        kubeScheduler: v.kubeScheduler,
        berth: `${pkg.version} (${v.berth})`,
        nodes: settings.nodes,
        podsPerPhase: settings.pods,
        warmupPodsPerPhase: settings.warmupPods,
        schedulerQps: settings.qps,
        schedulerBurst: settings.burst,
        order,
        wallSeconds: Math.round((performance.now() - began) / 1000),
        notes: process.env['BENCH_NOTE'] ? [process.env['BENCH_NOTE']] : [],
      },
      phases,
    };
    await writeOutputs(run);
    ok = true;
  } finally {
    await life.close(ok);
  }
  log(`done; load average now ${loadavg()[0]?.toFixed(1) ?? '?'}`);
}

/** Indented JSON, with arrays of numbers (the progress curves) kept on one line each. */
function resultsJson(run: RunResult): string {
  return JSON.stringify(run, null, 1).replaceAll(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`,
  );
}

/**
 * bench/results/scheduler.json and the chart for the README; BENCH_RESULTS=path writes only that JSON (a side
 * measurement, e.g. with kube-scheduler's default BENCH_QPS=50 BENCH_BURST=100, leaves the README's data alone).
 */
async function writeOutputs(run: RunResult): Promise<void> {
  const side = process.env['BENCH_RESULTS'];
  const resultsPath = side !== undefined && side !== '' ? resolve(side) : join(root, RESULTS_PATH);
  await mkdir(dirname(resultsPath), { recursive: true });
  await writeFile(resultsPath, `${resultsJson(run)}\n`);
  const block = markdown(run);
  process.stdout.write(`${block}\n`);
  if (resultsPath !== join(root, RESULTS_PATH)) {
    log(`wrote ${resultsPath}`);
    return;
  }
  await writeFile(join(root, CHART_PATH), await renderBenchChart(run));
  if (process.argv.includes('--readme')) await updateReadme(root, block);
  log(`wrote ${RESULTS_PATH} and ${CHART_PATH}${process.argv.includes('--readme') ? ' and README.md' : ''}`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(
    `bench:scheduler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
