/**
 * `node bench/requeue-cost.ts`: what remembering turned-away pods adds to each accepted NodeReport, on the informer
 * event path of `berth extender --kube`. The baseline in the same run is what every report costs anyway:
 * `ReportStore.ingest` of the parsed report (its node view: pools sorted, RTT map built). Then the same ingest plus
 * the requeue check (`Requeuer.reportAccepted`) with:
 *
 *   none     no pod waiting (the usual case)
 *   short    2,000 pods (the --requeue-max-pods default) needing 2Ti; the nodes' pools move around 300-900Gi:
 *            the figures rule every pod out
 *   fitting  2,000 pods needing 100Gi on nodes that fit them already (they wait for another reason, a taint say),
 *            whose free space grows with every report: the figures say nothing changed for them
 *   latency  200 pods asking only for max-peer-latency 500us: only a node turning fresh is looked at
 *
 * and, once, `burst`: one report that makes room for all 2,000 waiting pods at once, so the engine judges the node
 * for each of them (the most one report can cost; afterwards those pods wait for their touch and are skipped).
 *
 * 5,000 nodes with 2 pools and 24 peers each (bench/scenarios.ts); reports are replayed round-robin with a rising
 * sequence. Microseconds per report, p50 and p99 over blocks of 100 reports. One run; on a shared 2-core machine
 * compare the ratio.
 */
import { Registry } from 'prom-client';
import type { NodeReport } from '../lib/core/report.ts';
import { podNeeds } from '../lib/extender/needs.ts';
import { podFacts } from '../lib/extender/pod.ts';
import { ReportStore } from '../lib/extender/report-store.ts';
import { Requeuer } from '../server/kube/requeue.ts';
import { config, GiB, pod } from '../test/helpers/builders.ts';
import { clusterReports, nodeName } from './scenarios.ts';

const REPORTS = 20_000;
const BLOCK = 100;
const policy = config({ 'report-ttl': '1h' }).policy;
let sequence = 0;

function setup(): { store: ReportStore; requeuer: Requeuer; reports: NodeReport[] } {
  const reports = clusterReports(7);
  const store = new ReportStore();
  const now = Date.now();
  for (const r of reports) store.ingest(r, now);
  const requeuer = new Requeuer({
    limits: { ratePerSecond: 10, podIntervalMs: 30_000, maxPods: 2_000 },
    engine: {
      policy,
      store,
      reservations: () => new Map(),
      peerNodes: () => [nodeName(1), nodeName(2), nodeName(3)],
    },
    patch: async () => ({ ok: true }),
    registry: new Registry(),
    log: () => undefined,
    now: () => now,
  });
  return { store, requeuer, reports };
}

function waiting(requeuer: Requeuer, count: number, annotations: Record<string, string>): void {
  for (let i = 0; i < count; i++) {
    const f = podFacts(pod(annotations, { name: `db-${i}`, ownerUid: 'sts' }));
    const needs = podNeeds(f);
    if (!needs.ok) throw new Error(needs.reason);
    requeuer.filtered(f, needs.needs, []);
  }
}

/** Replays reports with a rising sequence; `free(i)` sets nvme0's free GiB. Returns µs per report, per block. */
function replay(s: ReturnType<typeof setup>, withRequeue: boolean, free: (i: number) => number): number[] {
  const blocks: number[] = [];
  let start = performance.now();
  for (let i = 0; i < REPORTS; i++) {
    const base = s.reports[i % s.reports.length];
    if (base === undefined) throw new Error('no report');
    const pools = base.pools.map((p) => ({ ...p, freeBytes: free(i) * GiB, capacityBytes: 8_000 * GiB }));
    const r: NodeReport = { ...base, pools, agent: { instance: 'bench', sequence: ++sequence } };
    const before = s.store.get(r.node);
    if (s.store.ingest(r, Date.now()) !== 'accepted') throw new Error('a replayed report was not accepted');
    if (withRequeue) s.requeuer.reportAccepted(r.node, before);
    if ((i + 1) % BLOCK === 0) {
      const now = performance.now();
      blocks.push(((now - start) * 1000) / BLOCK);
      start = now;
    }
  }
  return blocks.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** A fresh NVMe figure per report: moving around (most reports), or rising with every report. */
const around = (): ((i: number) => number) => (i) => 300 + (i % 600);
const rising = (): ((i: number) => number) => {
  let n = 0;
  return () => 1_000 + n++;
};
const cases: [string, (r: Requeuer) => void, () => (i: number) => number][] = [
  ['none', () => undefined, around],
  [
    'short',
    (r) => {
      waiting(r, 2_000, { 'berth.io/nvme-capacity': '2Ti' });
    },
    around,
  ],
  [
    'fitting',
    (r) => {
      waiting(r, 2_000, { 'berth.io/nvme-capacity': '100Gi' });
    },
    rising,
  ],
  [
    'latency',
    (r) => {
      waiting(r, 200, { 'berth.io/max-peer-latency': '500us' });
    },
    around,
  ],
];

const rows: string[] = [];
for (const [name, fill, figures] of cases) {
  const base = setup();
  const baseFree = figures();
  replay(base, false, baseFree); // warm-up
  const baseline = replay(base, false, baseFree);
  const s = setup();
  const free = figures();
  replay(s, false, free); // every node reported once more, as the baseline's warm-up
  fill(s.requeuer);
  replay(s, true, free);
  const measured = replay(s, true, free);
  if (s.requeuer.waiting.dueCount > 0) throw new Error(`${name}: the replay asked for touches; it must not`);
  rows.push(
    `| ${name} | ${s.requeuer.waiting.size} | ${pct(baseline, 0.5).toFixed(1)} / ${pct(baseline, 0.99).toFixed(1)} | ` +
      `${pct(measured, 0.5).toFixed(1)} / ${pct(measured, 0.99).toFixed(1)} | ${(pct(measured, 0.5) / pct(baseline, 0.5)).toFixed(2)} |`,
  );
  await s.requeuer.close();
}

// burst: every node at 300Gi, 2,000 pods needing 500Gi, then one node reports 900Gi.
const burst: number[] = [];
for (let round = 0; round < 20; round++) {
  const s = setup();
  replay(s, false, () => 300);
  waiting(s.requeuer, 2_000, { 'berth.io/nvme-capacity': '500Gi' });
  const node = nodeName(round);
  const r0 = s.reports[round];
  if (r0 === undefined) throw new Error('no report');
  const r: NodeReport = {
    ...r0,
    pools: r0.pools.map((p) => ({ ...p, freeBytes: 900 * GiB })),
    agent: { instance: 'bench', sequence: ++sequence },
  };
  const before = s.store.get(node);
  const start = performance.now();
  s.store.ingest(r, Date.now());
  s.requeuer.reportAccepted(node, before);
  burst.push((performance.now() - start) * 1000);
  if (s.requeuer.waiting.dueCount !== 2_000) throw new Error('burst: every pod should want a touch');
  await s.requeuer.close();
}
burst.sort((a, b) => a - b);
rows.push(`| burst (one report) | 2000 | | ${pct(burst, 0.5).toFixed(0)} / ${pct(burst, 0.99).toFixed(0)} | |`);
process.stdout.write(
  [
    `requeue check per accepted report (${new Date().toISOString()}, Node ${process.version}), µs`,
    '',
    '| case | waiting pods | ingest only p50 / p99 | ingest + requeue check p50 / p99 | p50 ratio |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
