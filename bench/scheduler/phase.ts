/**
 * One phase of the benchmark: fresh reports for berth, the configuration's extender and kube-scheduler started, a
 * warm-up batch, then a fresh set of pods created and watched until every one is bound, with kube-scheduler's (and
 * berth's) /metrics read before and after and the CPU time of each process; then everything is stopped and deleted
 * again so that the next phase starts from the same state.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { httpGet } from '../../test/e2e/harness/wait.ts';
import type { GeneratedCerts } from '../../test/helpers/manifests/berth-tls.ts';
import type { BenchCluster } from './cluster.ts';
import { createAndAwaitBinding, deletePods, podBodies, type PodRun } from './pods.ts';
import {
  diffSamples,
  histogramOf,
  labelValues,
  parseSamples,
  summarize,
  sumOf,
  type LatencySummary,
  type Sample,
} from './prom.ts';
import { throughput, type ConfigName, type PhaseResult } from './results.ts';
import { startBerth, startNoop, type Extender, type SchedulerConfigs } from './wiring.ts';

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process so far, from /proc; null once it is gone. */
function cpuOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

type Pids = Record<string, number | undefined>;

function cpuSnapshot(pids: Pids): Record<string, number> {
  const snapshot: Record<string, number> = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const [name, pid] of Object.entries(pids)) {
    const cpu = cpuOf(pid);
    if (cpu !== null) snapshot[name] = cpu;
  }
  return snapshot;
}

function schedulerSummaries(samples: readonly Sample[]): PhaseResult['scheduler'] {
  const ep = 'scheduler_framework_extension_point_duration_seconds';
  const extensionPoints: Record<string, LatencySummary> = {};
  for (const point of labelValues(samples, ep, 'extension_point'))
    extensionPoints[point] = summarize(histogramOf(samples, ep, { extension_point: point }));
  return {
    attempt: summarize(histogramOf(samples, 'scheduler_scheduling_attempt_duration_seconds', { result: 'scheduled' })),
    algorithm: summarize(histogramOf(samples, 'scheduler_scheduling_algorithm_duration_seconds')),
    extensionPoints,
  };
}

function extenderSummaries(samples: readonly Sample[] | null): PhaseResult['extender'] {
  if (samples === null) return null;
  const perCall = (verb: string): number | null => {
    const h = histogramOf(samples, 'berth_extender_nodes_per_call', { verb });
    return h.count > 0 ? h.sum / h.count : null;
  };
  const duration = (verb: string): LatencySummary =>
    summarize(histogramOf(samples, 'berth_extender_request_duration_seconds', { verb, code: '200' }));
  return {
    filter: duration('filter'),
    prioritize: duration('prioritize'),
    nodesPerFilter: perCall('filter'),
    nodesPerPrioritize: perCall('prioritize'),
  };
}

export interface PhaseContext {
  readonly cluster: BenchCluster;
  readonly certs: GeneratedCerts;
  readonly configs: SchedulerConfigs;
  readonly log: (line: string) => void;
}

async function startExtender(ctx: PhaseContext, config: ConfigName): Promise<Extender | null> {
  const { cluster, certs } = ctx;
  if (config === 'berth') return startBerth(cluster.cp.dir, certs, cluster.extenderKubeconfig, cluster.nodes.length);
  if (config === 'noop') return startNoop(cluster.cp.dir, certs);
  return null;
}

/** Both /metrics as samples: kube-scheduler's (token, its self-signed certificate) and the extender's, if any. */
async function scrape(
  ctx: PhaseContext,
  extender: Extender | null,
): Promise<{ scheduler: Sample[]; extender: Sample[] | null }> {
  const { cp } = ctx.cluster;
  const res = await httpGet(`https://127.0.0.1:${String(cp.ports.scheduler)}/metrics`, {
    insecureSkipVerify: true,
    bearerToken: cp.token(),
  });
  if (res.status !== 200) throw new Error(`kube-scheduler /metrics answered ${res.status}`);
  const text = extender === null ? null : await extender.metrics();
  return { scheduler: parseSamples(res.body), extender: text === null ? null : parseSamples(text) };
}

type Scrape = Awaited<ReturnType<typeof scrape>>;

function diffScrapes(after: Scrape, before: Scrape): Scrape {
  return {
    scheduler: diffSamples(after.scheduler, before.scheduler),
    extender: after.extender === null ? null : diffSamples(after.extender, before.extender ?? []),
  };
}

function phaseResult(
  what: Pick<PhaseResult, 'config' | 'round' | 'pods'>,
  run: PodRun,
  metrics: Scrape,
  host: Pick<PhaseResult, 'cpuSeconds' | 'loadAverage'>,
): PhaseResult {
  const samples = metrics.scheduler;
  const attempts = (result: string): number => sumOf(samples, 'scheduler_schedule_attempts_total', { result });
  return {
    ...what,
    bound: run.boundMs.length,
    createSeconds: (run.createdMs - run.startMs) / 1000,
    throughput: throughput(run.startMs, run.boundMs),
    watchResumes: run.watchResumes,
    watchRelists: run.watchRelists,
    attempts: { scheduled: attempts('scheduled'), unschedulable: attempts('unschedulable'), error: attempts('error') },
    scheduler: schedulerSummaries(samples),
    clientRateLimitSeconds: histogramOf(samples, 'rest_client_rate_limiter_duration_seconds').sum,
    extender: extenderSummaries(metrics.extender),
    ...host,
  };
}

/**
 * One measured phase. Each starts with `warmupPods` pods through the same configuration, not counted (their
 * metrics are subtracted): a freshly started extender runs cold JIT code and empty caches, which a long-running
 * one in a cluster does not.
 */
export async function runPhase(ctx: PhaseContext, config: ConfigName, round: number, pods: number, warmupPods: number) {
  const { cluster, configs } = ctx;
  const { cp, api } = cluster;
  const tag = `${config}-${String(round)}`;
  const timeoutMs = (n: number): number => Math.max(120_000, n * 200);
  // What the agents' heartbeat does, here just before berth needs it: every report fresh for the whole phase.
  if (config === 'berth') await cluster.refreshReports();
  const extender = await startExtender(ctx, config);
  try {
    await cp.startScheduler(extender === null ? configs.none : configs.withExtender(extender.url));
    const warm = podBodies(cluster.statefulSets, warmupPods, `${tag}-warm`, configs.marker);
    await createAndAwaitBinding(api, warm, `${tag}-warm`, timeoutMs(warmupPods));
    const bodies = podBodies(cluster.statefulSets, pods, tag, configs.marker);
    const [etcd, apiserver, , scheduler] = cp.processes;
    const pids = {
      etcd: etcd?.pid,
      apiserver: apiserver?.pid,
      scheduler: scheduler?.pid,
      extender: extender?.process.pid,
    };
    const loadAverage = loadavg()[0] ?? 0;
    const before = await scrape(ctx, extender);
    const cpuBefore = cpuSnapshot(pids);
    const run = await createAndAwaitBinding(api, bodies, tag, timeoutMs(pods));
    for (const why of run.watchEnds) ctx.log(`${tag}: the bindings watch ended (${why}); resumed`);
    const cpuAfter = cpuSnapshot(pids);
    const after = await scrape(ctx, extender);
    const cpuSeconds: Record<string, number> = {};
    for (const [name, value] of Object.entries(cpuAfter))
      cpuSeconds[name] = Math.round((value - (cpuBefore[name] ?? value)) * 100) / 100;
    return phaseResult({ config, round, pods }, run, diffScrapes(after, before), {
      cpuSeconds,
      loadAverage: Math.round(loadAverage * 100) / 100,
    });
  } finally {
    await cp.stopScheduler();
    await extender?.process.stop();
    await deletePods(api, tag);
    await deletePods(api, `${tag}-warm`);
  }
}
