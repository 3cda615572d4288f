/**
 * What one run of `npm run bench:scheduler` records, and the arithmetic on it: throughput from the moments pods
 * were bound, the per-configuration medians and the berth / no-op ratio. No I/O here, so it is unit-tested.
 */
import type { LatencySummary } from './prom.ts';

export const CONFIGS = ['berth', 'noop', 'none'] as const;
export type ConfigName = (typeof CONFIGS)[number];

export const CONFIG_LABELS: Record<ConfigName, string> = {
  berth: 'berth (`berth extender --kube`)',
  noop: 'no-op extender, wired the same',
  none: 'no extender',
};

export interface Throughput {
  /** Pods bound divided by the time from the first create request to the last binding seen. */
  readonly podsPerSecond: number;
  /** Pods bound between the 10th and the 90th percentile binding, over the time between them. */
  readonly steadyPodsPerSecond: number;
  readonly elapsedSeconds: number;
  /** Seconds after the first create at which 0 %, 1 %, ..., 100 % of the pods were bound (101 points). */
  readonly progress: readonly number[];
}

/**
 * `startMs` is when the first create request was sent; `boundMs` the moments bindings were seen (any order).
 * The steady-state rate leaves out the ramp-up (scheduler and caches warming to the burst) and the tail.
 */
export function throughput(startMs: number, boundMs: readonly number[]): Throughput {
  const t = [...boundMs].sort((a, b) => a - b);
  const n = t.length;
  const last = t.at(-1);
  if (n < 2 || last === undefined) throw new Error(`throughput needs at least two bound pods, got ${n}`);
  const elapsedSeconds = (last - startMs) / 1000;
  const lo = Math.floor(0.1 * (n - 1));
  const hi = Math.ceil(0.9 * (n - 1));
  const span = ((t[hi] ?? last) - (t[lo] ?? startMs)) / 1000;
  const progress = Array.from({ length: 101 }, (_, p) => {
    const at = t[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? last;
    return Math.round(at - startMs) / 1000;
  });
  return {
    podsPerSecond: n / elapsedSeconds,
    steadyPodsPerSecond: span > 0 ? (hi - lo) / span : Infinity,
    elapsedSeconds,
    progress,
  };
}

export interface AttemptCounts {
  readonly scheduled: number;
  readonly unschedulable: number;
  readonly error: number;
}

export interface PhaseResult {
  readonly config: ConfigName;
  readonly round: number;
  readonly pods: number;
  readonly bound: number;
  /** First create request sent to the last one answered. */
  readonly createSeconds: number;
  readonly throughput: Throughput;
  readonly attempts: AttemptCounts;
  /** kube-scheduler's own histograms. */
  readonly scheduler: {
    readonly attempt: LatencySummary;
    readonly algorithm: LatencySummary;
    readonly extensionPoints: Readonly<Record<string, LatencySummary>>;
  };
  /** berth's own view of the calls (its /metrics); absent for the no-op and without an extender. */
  readonly extender: {
    readonly filter: LatencySummary;
    readonly prioritize: LatencySummary;
    readonly nodesPerFilter: number | null;
    readonly nodesPerPrioritize: number | null;
  } | null;
  /** Times the API server ended the bindings watch: resumed where it stopped, or relisted (bindings seen late). */
  readonly watchResumes: number;
  readonly watchRelists: number;
  /** Seconds kube-scheduler's API clients waited on their rate limiter (qps/burst) in the phase, all requests. */
  readonly clientRateLimitSeconds: number;
  /** CPU seconds each process used from the first create to the last binding. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** Load average (1 min) when the phase started: other work on a shared machine shows here. */
  readonly loadAverage: number;
}

export interface RunMeta {
  readonly date: string;
  readonly machine: string;
  readonly cpus: number;
  readonly node: string;
  readonly kubeScheduler: string;
  readonly berth: string;
  readonly nodes: number;
  readonly podsPerPhase: number;
  /** Pods scheduled through the same configuration before each measured batch, not counted. */
  readonly warmupPodsPerPhase: number;
  readonly schedulerQps: number;
  readonly schedulerBurst: number;
  readonly order: readonly ConfigName[];
  readonly wallSeconds: number;
  readonly notes: readonly string[];
}

export interface RunResult {
  readonly meta: RunMeta;
  readonly phases: readonly PhaseResult[];
}

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}

export interface ConfigSummary {
  readonly config: ConfigName;
  readonly rounds: number;
  readonly podsPerSecond: readonly number[];
  readonly steadyPodsPerSecond: readonly number[];
  readonly medianPodsPerSecond: number | null;
  readonly medianSteadyPodsPerSecond: number | null;
  /** Medians over the rounds of each round's histogram quantile, in ms. */
  readonly attemptP50Ms: number | null;
  readonly attemptP95Ms: number | null;
  readonly attemptP99Ms: number | null;
}

export function summarizeConfig(phases: readonly PhaseResult[], config: ConfigName): ConfigSummary {
  const mine = phases.filter((p) => p.config === config);
  const pick = (f: (p: PhaseResult) => number | null): number | null =>
    median(mine.map(f).filter((v): v is number => v !== null));
  return {
    config,
    rounds: mine.length,
    podsPerSecond: mine.map((p) => p.throughput.podsPerSecond),
    steadyPodsPerSecond: mine.map((p) => p.throughput.steadyPodsPerSecond),
    medianPodsPerSecond: pick((p) => p.throughput.podsPerSecond),
    medianSteadyPodsPerSecond: pick((p) => p.throughput.steadyPodsPerSecond),
    attemptP50Ms: pick((p) => p.scheduler.attempt.p50Ms),
    attemptP95Ms: pick((p) => p.scheduler.attempt.p95Ms),
    attemptP99Ms: pick((p) => p.scheduler.attempt.p99Ms),
  };
}

/** berth's median throughput over the no-op's (the goal is ≥ 0.95), first-to-last and steady-state. */
export function berthRatio(phases: readonly PhaseResult[]): { overall: number | null; steady: number | null } {
  const berth = summarizeConfig(phases, 'berth');
  const noop = summarizeConfig(phases, 'noop');
  const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a / b);
  return {
    overall: ratio(berth.medianPodsPerSecond, noop.medianPodsPerSecond),
    steady: ratio(berth.medianSteadyPodsPerSecond, noop.medianSteadyPodsPerSecond),
  };
}
