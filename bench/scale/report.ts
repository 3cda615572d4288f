/**
 * The scale benchmark's table, and the targets of docs/kubernetes.md it is held against (printed beside the
 * numbers, never asserted here: the reduced CI run does that for what a shared CI machine can measure).
 */
import type { RunResult } from './measure.ts';

const MiB = 2 ** 20;

export const TARGETS = {
  heapMiB: 384,
  rssMiB: 512,
  heapPerPodKiB: 3,
  readySeconds: 30,
  loopMaxMs: 50,
  loopP99Ms: 20,
  relistFilterRatio: 2,
  relistDriftPercent: 5,
} as const;

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');

export interface Report {
  readonly date: Date;
  readonly machine: string;
  readonly nodes: number;
  /** Heap after GC (object spaces) with nothing listed, and with every NodeReport but no pod. */
  readonly baseline: { empty: number; reports: number };
  readonly results: readonly RunResult[];
  readonly loadRate: number;
}

export function formatReport(r: Report): string {
  const lines = [
    `berth extender --kube at scale, ${r.date.toISOString().slice(0, 10)}, ${r.machine}`,
    `${r.nodes} nodes, one NodeReport each with the agent's default 128 peers; pods of ~10 KB JSON as stored.`,
    `Baseline heap after GC (objects, without code): ${f1(r.baseline.empty / MiB)} MiB with nothing to list; ` +
      `${f1(r.baseline.reports / MiB)} MiB with the ${r.nodes} NodeReports (report store: ` +
      `${f1((r.baseline.reports - r.baseline.empty) / MiB)} MiB).`,
    '',
    '| pods | served by | ready: total (berth / waiting) | RSS now / peak | live heap after GC | heap per pod (objects) | loop max / p99 at start | loop max / p99 in relist (relist time) | filter p50 / p99 at rest | filter p50 / p99 in relist | loop max / p99 in scrape (scrape size) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.results) {
    const perPod = (x.memory.data - r.baseline.reports) / x.pods / 1024;
    lines.push(
      `| ${x.pods.toLocaleString('en')} | ${x.source} | ${f1(x.readyMs / 1000)} s (${f1(x.ownMs / 1000)} / ${f1(x.waitMs / 1000)}) | ` +
        `${f1(x.memory.rss / MiB)} / ${f1(x.memory.peakRss / MiB)} MiB | ${f1(x.memory.heapUsed / MiB)} MiB | ${f2(perPod)} KiB | ` +
        `${f1(x.loop.start.maxMs)} / ${f1(x.loop.start.p99Ms)} ms | ` +
        `${f1(x.loop.relist.maxMs)} / ${f1(x.loop.relist.p99Ms)} ms (${f1(x.relistMs / 1000)} s) | ` +
        `${f2(x.filter.rest.p50Ms)} / ${f2(x.filter.rest.p99Ms)} ms | ${f2(x.filter.relist.p50Ms)} / ${f2(x.filter.relist.p99Ms)} ms (n=${x.filter.relist.n}) | ` +
        `${f1(x.loop.scrape.maxMs)} / ${f1(x.loop.scrape.p99Ms)} ms (${f1(x.scrape.bytes / 1024)} KiB) |`,
    );
  }
  lines.push('');
  lines.push(
    'Event loop held by berth itself (main-thread CPU between 1 ms ticks; excludes time the machine ran others):',
  );
  lines.push('');
  lines.push(
    '| pods | start max / p99 | relist max / p99 | scrape max / p99 | rest max / p99 | filter p50 / p99 in scrape |',
  );
  lines.push('|---|---|---|---|---|---|');
  for (const x of r.results)
    lines.push(
      `| ${x.pods.toLocaleString('en')} | ${f1(x.loop.start.heldMaxMs)} / ${f1(x.loop.start.heldP99Ms)} ms | ` +
        `${f1(x.loop.relist.heldMaxMs)} / ${f1(x.loop.relist.heldP99Ms)} ms | ${f1(x.loop.scrape.heldMaxMs)} / ${f1(x.loop.scrape.heldP99Ms)} ms | ` +
        `${f1(x.loop.rest.heldMaxMs)} / ${f1(x.loop.rest.heldP99Ms)} ms | ${f2(x.filter.scrape.p50Ms)} / ${f2(x.filter.scrape.p99Ms)} ms |`,
    );
  for (const x of r.results) {
    if (x.afterRelists.length < 2) continue;
    const first = x.afterRelists[0] ?? 0;
    const drift = Math.max(...x.afterRelists.map((h) => Math.abs(h - first) / first)) * 100;
    lines.push('');
    lines.push(
      `${x.afterRelists.length} relists at ${x.pods.toLocaleString('en')} pods: heap after GC ` +
        `${x.afterRelists.map((h) => f1(h / MiB)).join(', ')} MiB; largest difference from the first ${f1(drift)} % ` +
        `(target ≤ ${TARGETS.relistDriftPercent} %).`,
    );
  }
  lines.push('');
  lines.push(
    `Memory at rest (MiB): ${r.results
      .map(
        (x) =>
          `${x.pods.toLocaleString('en')}: heap used ${f1(x.memory.heapUsed / MiB)} of ${f1(x.memory.heapTotal / MiB)} committed, ` +
          `RSS ${f1(x.memory.rssAnon / MiB)} own + ${f1(x.memory.rssFile / MiB)} mapped files`,
      )
      .join('; ')}.`,
  );
  lines.push('');
  lines.push(
    `Lists at start (ms): ${r.results.map((x) => `${x.pods.toLocaleString('en')}: ${JSON.stringify(x.listMs)}`).join('; ')}.`,
  );
  lines.push(`Loader: ${r.loadRate.toFixed(0)} writes/s into kube-apiserver (last size).`);
  lines.push(
    `Targets: heap ≤ ${TARGETS.heapMiB} MiB, RSS ≤ ${TARGETS.rssMiB} MiB, ≤ ${TARGETS.heapPerPodKiB} KiB per pod, ` +
      `berth's own start ≤ ${TARGETS.readySeconds} s, loop max ≤ ${TARGETS.loopMaxMs} ms and p99 ≤ ${TARGETS.loopP99Ms} ms, ` +
      `filter p99 in a relist ≤ ${TARGETS.relistFilterRatio}× at rest.`,
  );
  return lines.join('\n');
}
