/**
 * One measured run of `berth extender --kube` against a loaded cluster: start to ready (berth's own time apart
 * from waiting for the API server), a relist (the periodic one, or forced), scrapes, and rest, with filter calls
 * running throughout; then memory after GC. Returns numbers only; run.ts prints them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthChild, relisted, synced, type Memory } from '../../test/e2e/kube/scale-child.ts';
import { FilterLoad, filterBody, percentile, scrape, type Sample } from './filter-load.ts';
import type { DelayStats } from '../../test/e2e/kube/scale-probe.ts';

export interface Latency {
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface RunResult {
  readonly pods: number;
  readonly nodes: number;
  readonly source: string;
  readonly readyMs: number;
  /** Event loop active (berth's own work) from process start to ready, including Node's own boot. */
  readonly ownMs: number;
  /** Event loop idle from start to ready: waiting, for the API server above all. */
  readonly waitMs: number;
  readonly cpuMs: number;
  readonly listMs: Record<string, number>;
  readonly memory: Memory;
  readonly afterRelists: number[];
  readonly loop: { start: DelayStats; relist: DelayStats; scrape: DelayStats; rest: DelayStats };
  readonly filter: { rest: Latency; relist: Latency; scrape: Latency };
  readonly relistMs: number;
  readonly scrape: { bytes: number; p50Ms: number; maxMs: number };
}

function latency(samples: readonly Sample[]): Latency {
  const ms = samples.map((s) => s.ms);
  return { n: ms.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99) };
}

async function ready(child: BerthChild, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${child.url}/readyz`).catch(() => null);
    if (res?.status === 200) return Date.now();
    if (Date.now() > end) throw new Error(`berth not ready after ${timeoutMs} ms: ${String(await res?.text())}`);
    await sleep(100);
  }
}

/** Only the heap after GC: berth started, every informer synced once, nothing else. */
export async function heapOnly(kubeconfig: string): Promise<Memory> {
  const child = await BerthChild.start(kubeconfig, ['--log-level', 'info']);
  try {
    for (const r of ['storageclasses', 'persistentvolumeclaims', 'pods', 'nodereports'])
      await child.waitLog(synced(r), 600_000);
    await sleep(1_000);
    return await child.memory();
  } finally {
    await child.stop();
  }
}

export interface RunOptions {
  readonly kubeconfig: string;
  readonly pods: number;
  readonly nodes: number;
  readonly source: string;
  /** Forces a relist now (the replay server's 410); without it, the periodic relist (--resync-period 60s). */
  readonly force?: () => void;
  readonly relists: number;
}

export async function measureRun(o: RunOptions): Promise<RunResult> {
  const flags = ['--resync-period', o.force === undefined ? '60s' : '24h'];
  const child = await BerthChild.start(o.kubeconfig, flags);
  let load: FilterLoad | null = null;
  try {
    const readyAt = await ready(child, 600_000);
    const start = await child.startInfo();
    // From the moment berth listens (a call could arrive) to ready: module loading before it holds no caller.
    const listening = await child.waitLog((l) => l.msg === 'berth extender listening', 1_000);
    const startLoop = await child.delay(listening.time, readyAt);
    const listMs: Record<string, number> = {};
    for (const l of child.logs) if (l.msg === 'informer synced') listMs[String(l['resource'])] = Number(l['ms']);
    load = new FilterLoad(child.url, filterBody(o.nodes));
    await sleep(3_000); // warm: JIT, connection
    const relist = await oneRelist(child, o);
    const afterRelists = [(await child.memory()).heapUsed];
    for (let i = 1; i < o.relists && o.force !== undefined; i++) {
      await oneRelist(child, o);
      afterRelists.push((await child.memory()).heapUsed);
    }
    await sleep(2_000);
    const restFrom = Date.now();
    await sleep(10_000);
    const restTo = Date.now();
    const scrapeFrom = Date.now();
    const scrapes = await scrape(child.url, 10, 1_000);
    const scrapeTo = Date.now();
    await load.stop();
    const memory = await child.memory();
    return {
      pods: o.pods,
      nodes: o.nodes,
      source: o.source,
      readyMs: readyAt - child.spawnedAtMs,
      ownMs: start.loopStartMs + start.activeMs,
      waitMs: start.idleMs,
      cpuMs: start.cpuMs,
      listMs,
      memory,
      afterRelists,
      loop: {
        start: startLoop,
        relist: await child.delay(relist.from, relist.to),
        scrape: await child.delay(scrapeFrom, scrapeTo),
        rest: await child.delay(restFrom, restTo),
      },
      filter: {
        rest: latency(load.between(restFrom, restTo)),
        relist: latency(load.between(relist.from, relist.to)),
        scrape: latency(load.between(scrapeFrom, scrapeTo)),
      },
      relistMs: relist.to - relist.from,
      scrape: {
        bytes: scrapes.at(-1)?.bytes ?? 0,
        p50Ms: percentile(
          scrapes.map((s) => s.ms),
          0.5,
        ),
        maxMs: Math.max(...scrapes.map((s) => s.ms)),
      },
    };
  } finally {
    await load?.stop();
    await child.stop();
  }
}

/** One relist of every informer; the window runs from the first one's start to the pods' end. */
async function oneRelist(child: BerthChild, o: RunOptions): Promise<{ from: number; to: number }> {
  const seen = child.logs.length;
  const forcedAt = Date.now();
  o.force?.();
  const done = await child.waitLog(relisted('pods'), 300_000, seen);
  const starts = child.logs
    .slice(seen)
    .filter((l) => l.msg === 'informer relisted')
    .map((l) => l.time - Number(l['ms']));
  const from = o.force === undefined ? Math.min(...starts, done.time - Number(done['ms'])) : forcedAt;
  return { from, to: done.time };
}
