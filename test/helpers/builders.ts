/**
 * Shared builders for tests and benchmarks: reports, pods, configs and an app wired to a movable clock.
 * Build fixtures here, never by copying scaffolding between test files.
 */
import { parseExtenderConfig, type ExtenderConfig } from '../../lib/extender/config.ts';
import { type RawOptions } from '../../lib/extender/options.ts';
import { describeProblems } from '../../lib/core/check.ts';
import {
  REPORT_API_VERSION,
  type NodeReport,
  type NicReport,
  type PeerRtt,
  type StoragePool,
} from '../../lib/core/report.ts';
import { ReportStore } from '../../lib/extender/report-store.ts';
import { NO_NEEDS, type Needs } from '../../lib/extender/needs.ts';
import { requestContext } from '../../lib/extender/request.ts';
import type { Policy, RequestContext } from '../../lib/extender/verdict.ts';
import { standaloneCluster, type ClusterView } from '../../lib/extender/ports.ts';
import { buildApp, type BuildOptions } from '../../server/http/app.ts';
import type { AppDeps } from '../../server/http/deps.ts';
import { createExtenderMetrics } from '../../server/http/metrics.ts';
import { nodeRows } from '../../server/extender/node-rows.ts';

export const GiB = 2 ** 30;
export const Gbps = 1e9;

export interface ReportSpec {
  zone?: string | null;
  /** NVMe pools as [name, freeGiB, capacityGiB]. */
  pools?: readonly (readonly [string, number, number])[];
  extraPools?: readonly StoragePool[];
  nics?: readonly NicReport[];
  /** Peer RTTs as [node, p50 µs]. */
  peers?: readonly (readonly [string, number])[];
  sequence?: number;
  instance?: string;
  probe?: string | null;
}

export function report(node: string, spec: ReportSpec = {}): NodeReport {
  const pools: StoragePool[] = (spec.pools ?? [['nvme0', 500, 1000]]).map(([name, free, cap]) => ({
    name,
    kind: 'mount',
    capacityBytes: cap * GiB,
    freeBytes: free * GiB,
    device: `${name}n1`,
    deviceModel: 'Test NVMe',
    nvme: true,
  }));
  const peers: PeerRtt[] = (spec.peers ?? []).map(([peer, p50]) => ({
    node: peer,
    p50Us: p50,
    p99Us: p50 * 2,
    samples: 10,
  }));
  return {
    apiVersion: REPORT_API_VERSION,
    node,
    zone: spec.zone ?? null,
    takenAt: '2026-11-21T10:00:00Z',
    agent: { instance: spec.instance ?? 'test', sequence: spec.sequence ?? 1 },
    probe: spec.probe ?? null,
    devices: pools.map((p) => ({ name: p.device ?? p.name, model: 'Test NVMe', sizeBytes: p.capacityBytes })),
    pools: [...pools, ...(spec.extraPools ?? [])],
    nics: [...(spec.nics ?? [{ name: 'eth0', speedBps: 25 * Gbps, rxBps: 1 * Gbps, txBps: 2 * Gbps }])],
    peers,
    problems: [],
  };
}

export function pod(
  annotations: Record<string, string> = {},
  extra: { name?: string; namespace?: string; ownerUid?: string; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    metadata: {
      name: extra.name ?? 'db-0',
      namespace: extra.namespace ?? 'default',
      uid: `uid-${extra.name ?? 'db-0'}`,
      labels: extra.labels ?? {},
      annotations,
      ...(extra.ownerUid
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: extra.ownerUid, controller: true },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: {},
  };
}

export function config(raw: RawOptions = {}): ExtenderConfig {
  const parsed = parseExtenderConfig(raw);
  if (!parsed.ok) throw new Error(describeProblems(parsed.problems));
  return parsed.value;
}

export class TestClock {
  #now: number;
  constructor(start = Date.parse('2026-11-21T10:00:00Z')) {
    this.#now = start;
  }
  now = (): number => this.#now;
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface TestApp {
  readonly app: ReturnType<typeof buildApp>;
  readonly deps: AppDeps;
  readonly store: ReportStore;
  readonly clock: TestClock;
}

export function testApp(
  opts: {
    config?: RawOptions;
    cluster?: ClusterView;
    reports?: readonly NodeReport[];
    authenticateReport?: AppDeps['authenticateReport'];
    /** fastify's logger options (default: none). */
    logger?: BuildOptions['logger'];
  } = {},
): TestApp {
  const clock = new TestClock();
  const store = new ReportStore();
  const cfg = config(opts.config);
  const cluster = opts.cluster ?? standaloneCluster;
  for (const r of opts.reports ?? []) store.ingest(r, clock.now());
  const metrics = createExtenderMetrics(
    { rows: (t) => nodeRows(store, cluster, cfg.policy.reportTtlMs, t) },
    clock.now,
  );
  let shuttingDown = false;
  const deps: AppDeps = {
    config: cfg,
    store,
    cluster,
    metrics,
    now: clock.now,
    authenticateReport: opts.authenticateReport ?? null,
    shuttingDown: () => shuttingDown,
  };
  const app = buildApp(deps, opts.logger === undefined ? {} : { logger: opts.logger });
  void app.addHook('onClose', async () => {
    shuttingDown = true;
  });
  return { app, deps, store, clock };
}

/** A store holding `reports`, each received at `receivedAtMs` (or what the function says for it). */
export function storeOf(
  reports: readonly NodeReport[],
  receivedAtMs: number | ((r: NodeReport) => number) = 0,
): ReportStore {
  const store = new ReportStore();
  for (const r of reports) store.ingest(r, typeof receivedAtMs === 'number' ? receivedAtMs : receivedAtMs(r));
  return store;
}

export interface JudgeSpec {
  readonly nowMs?: number;
  readonly policy?: Policy;
  /** Reservations by node name. */
  readonly reserved?: Readonly<Record<string, readonly number[]>>;
  /** Nodes running the pod's peers, one entry per peer. */
  readonly peerNodes?: readonly string[];
}

/** The request context the engine judges by, over `store`, as server/http/context.ts builds it. */
export function judgeContext(store: ReportStore, needs: Partial<Needs>, spec: JudgeSpec = {}): RequestContext {
  return requestContext(store, {
    nowMs: spec.nowMs ?? 0,
    policy: spec.policy ?? config().policy,
    needs: { ...NO_NEEDS, ...needs },
    reservations: new Map(Object.entries(spec.reserved ?? {})),
    peerNodes: spec.peerNodes ?? [],
  });
}

/** A seeded PRNG (mulberry32) so generated inputs are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
