/**
 * Loaded into the berth child with --import (and --expose-gc), never into berth itself (the scale benchmark and test/e2e/kube/scale.test.ts): measures the process from
 * inside and answers the benchmark over the IPC channel.
 *
 *   event loop   a 1 ms timer records, for every tick, how late it fired (wall clock: what a request arriving
 *                then would wait) and how much CPU the main thread used meanwhile. The smaller of the two is the
 *                time berth itself held the loop: a late tick with no CPU spent is the machine not running us
 *                (other processes on a shared 2-core box), not berth blocking.
 *   memory       heap after eight full GCs, RSS now, and the peak RSS of the process's life.
 *   start        event-loop utilisation since the process began: active time is berth's own work, idle time is
 *                waiting (for the API server, during a start).
 *
 * Samples are kept in typed arrays (off the V8 heap, ~12 bytes each) for the windows the benchmark asks about.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

declare const gc: (() => void) | undefined;

const CAPACITY = 1_200_000; // 20 minutes of 1 ms ticks
const at = new Float64Array(CAPACITY);
const late = new Float32Array(CAPACITY);
const held = new Float32Array(CAPACITY);
let count = 0;

let expected = performance.now() + 1;
let lastCpu = cpuMs();

function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

function tick(): void {
  const now = performance.now();
  const cpu = cpuMs();
  const delay = Math.max(0, now - expected);
  const i = count % CAPACITY;
  at[i] = now;
  late[i] = delay;
  held[i] = Math.min(delay, Math.max(0, cpu - lastCpu));
  count++;
  lastCpu = cpu;
  expected = now + 1;
  setTimeout(tick, 1).unref();
}
setTimeout(tick, 1).unref();

export interface DelayStats {
  readonly samples: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly heldMaxMs: number;
  readonly heldP99Ms: number;
  /** The ten longest holds, longest first. */
  readonly heldTopMs: readonly number[];
}

function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function window(fromMs: number, toMs: number): DelayStats {
  const first = Math.max(0, count - CAPACITY);
  const lates: number[] = [];
  const helds: number[] = [];
  for (let k = first; k < count; k++) {
    const i = k % CAPACITY;
    const t = at[i] ?? 0;
    if (t < fromMs || t > toMs) continue;
    // A tick that fires at t after waiting d covered [t - d, t]: only the part inside the window counts (a block
    // that began before the window, e.g. module loading before berth listens, held no caller in it).
    const inside = t - fromMs;
    lates.push(Math.min(late[i] ?? 0, inside));
    helds.push(Math.min(held[i] ?? 0, inside));
  }
  const l = Float32Array.from(lates).sort();
  const h = Float32Array.from(helds).sort();
  return {
    samples: l.length,
    maxMs: l[l.length - 1] ?? 0,
    p99Ms: quantile(l, 0.99),
    p50Ms: quantile(l, 0.5),
    heldMaxMs: h[h.length - 1] ?? 0,
    heldP99Ms: quantile(h, 0.99),
    heldTopMs: [...h.slice(-10)].reverse().map((x) => Math.round(x * 10) / 10),
  };
}

type Request =
  | { id: number; cmd: 'now' }
  | { id: number; cmd: 'delay'; fromMs: number; toMs: number }
  | { id: number; cmd: 'memory' }
  | { id: number; cmd: 'start' }
  | { id: number; cmd: 'snapshot'; path: string };

function answer(req: Request): unknown {
  switch (req.cmd) {
    case 'now':
      return { nowMs: performance.now(), epochMs: Date.now() };
    case 'delay':
      return window(req.fromMs, req.toMs);
    case 'memory': {
      if (typeof gc !== 'function') throw new Error('run the child with --expose-gc');
      // Several full GCs: V8 frees the bytecode of functions not run for a few GCs (start-up code, mostly), so
      // fewer would leave megabytes of it counted right after start and not later.
      for (let i = 0; i < 8; i++) gc();
      const m = process.memoryUsage();
      const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_used_size]));
      // Objects only: bytecode and compiled code (code and trusted spaces) come and go with V8's tiering and
      // bytecode flushing, megabytes at a time, whatever the data.
      const data = ['new_space', 'old_space', 'large_object_space', 'new_large_object_space'].reduce(
        (n, k) => n + (spaces[k] ?? 0),
        0,
      );
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = (field: string): number =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return {
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        arrayBuffers: m.arrayBuffers,
        rssAnon: kb('RssAnon'),
        rssFile: kb('RssFile'),
        data,
        rss: m.rss,
        external: m.external,
        peakRss: process.resourceUsage().maxRSS * 1024,
        spaces,
      };
    }
    case 'snapshot':
      return writeHeapSnapshot(req.path);
    case 'start': {
      const elu = performance.eventLoopUtilization();
      return {
        uptimeMs: performance.now(),
        loopStartMs: performance.nodeTiming.loopStart,
        activeMs: elu.active,
        idleMs: elu.idle,
        cpuMs: cpuMs(),
      };
    }
  }
}

process.on('message', (req: Request) => {
  try {
    process.send?.({ id: req.id, ok: true, value: answer(req) });
  } catch (err) {
    process.send?.({ id: req.id, ok: false, error: String(err) });
  }
});
process.channel?.unref();
