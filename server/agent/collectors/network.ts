/**
 * The NIC(s) carrying pod traffic: link speed and smoothed rx/tx rates, in bits per second.
 *
 * Read from /sys/class/net/<nic>/{speed,statistics/rx_bytes,statistics/tx_bytes} directly. systeminformation's
 * networkInterfaces() rescans by default with about 25 reads per interface through a shell (55–140 ms measured,
 * seconds on a node with 100+ veths), and networkStats() spawns a shell per call and keeps its rate state in a
 * module global; the three sysfs files are the same numbers those calls end up reading. Needs hostNetwork: the
 * net tree of sysfs is network-namespaced.
 *
 * speed: Mbit/s from the driver; -1, 0 or EINVAL (virtio, veth, lo, ifb) means "no speed" → null, never a guess.
 */
import { readFile } from 'node:fs/promises';
import type { NicReport } from '../../../lib/core/report.ts';
import { BerthError } from '../../../lib/core/errors.ts';
import { NicRateSmoother } from '../../../lib/agent/rate-smoothing.ts';
import type { Collected } from './collected.ts';
import { defaultRouteIfaceV4, defaultRouteIfaceV6 } from './default-route.ts';
import { type HostPaths, readSysText } from './sysfs.ts';

export function parseLinkSpeedBps(text: string | null): number | null {
  if (text === null || !/^-?\d+$/.test(text)) return null;
  const mbit = Number(text);
  return mbit > 0 ? mbit * 1e6 : null;
}

export interface NetworkCollectorOptions {
  readonly nics: readonly string[]; // empty: follow the default route
  readonly paths: HostPaths;
  readonly refreshMs: number;
  readonly rateWindowMs: number;
}

export class NetworkCollector {
  readonly #opts: NetworkCollectorOptions;
  readonly #smoothers = new Map<string, NicRateSmoother>();
  #selected: string[] = [];
  #selectedAt = Number.NEGATIVE_INFINITY;
  #selectProblem: string | null = null;

  constructor(opts: NetworkCollectorOptions) {
    this.#opts = opts;
  }

  /** The interfaces measured: --nic, else the default-route interface (re-resolved every refresh). */
  async selectedNics(nowMs: number): Promise<readonly string[]> {
    if (this.#opts.nics.length > 0) return this.#opts.nics;
    if (nowMs - this.#selectedAt >= this.#opts.refreshMs) {
      const v4 = await readSysText(`${this.#opts.paths.proc}/net/route`);
      const iface =
        (v4 !== null ? defaultRouteIfaceV4(v4) : null) ??
        defaultRouteIfaceV6((await readSysText(`${this.#opts.paths.proc}/net/ipv6_route`)) ?? '');
      this.#selected = iface === null ? [] : [iface];
      this.#selectProblem =
        iface === null ? 'no default route found in /proc/net/route or ipv6_route; pass --nic' : null;
      this.#selectedAt = nowMs;
    }
    return this.#selected;
  }

  /** Takes a counter reading without reporting, so that the next collect() already has a rate. */
  async prime(nowMs: number): Promise<void> {
    await this.collect(nowMs);
  }

  async collect(nowMs: number): Promise<Collected<NicReport[]>> {
    const nics = await this.selectedNics(nowMs);
    for (const name of this.#smoothers.keys()) if (!nics.includes(name)) this.#smoothers.delete(name);
    const problems: string[] = this.#selectProblem !== null ? [this.#selectProblem] : [];
    const value: NicReport[] = [];
    for (const name of nics) {
      const base = `${this.#opts.paths.sys}/class/net/${name}`;
      let rx: number;
      let tx: number;
      try {
        [rx, tx] = await Promise.all([
          readCounter(`${base}/statistics/rx_bytes`),
          readCounter(`${base}/statistics/tx_bytes`),
        ]);
      } catch (err) {
        problems.push(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? `NIC ${name} not found in ${this.#opts.paths.sys}/class/net`
            : `NIC ${name}: ${(err as Error).message}`,
        );
        this.#smoothers.delete(name);
        continue;
      }
      let smoother = this.#smoothers.get(name);
      if (!smoother) {
        smoother = new NicRateSmoother(this.#opts.rateWindowMs);
        this.#smoothers.set(name, smoother);
      }
      const rates = smoother.observe({ atMs: nowMs, rxBytes: rx, txBytes: tx });
      if (rates === null) continue; // first reading: no rate yet, and no made-up zero either
      const speedBps = parseLinkSpeedBps(await readSysText(`${base}/speed`));
      value.push({ name, speedBps, rxBps: round(rates.rxBps), txBps: round(rates.txBps) });
    }
    return { value, problems };
  }
}

async function readCounter(path: string): Promise<number> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^\d+$/.test(text))
    throw new BerthError('BERTH_ERR_COLLECT', `unexpected counter ${JSON.stringify(text)} in ${path}`);
  return Number(text);
}

function round(bps: number): number {
  return Math.round(bps);
}
