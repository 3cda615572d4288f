/**
 * Scheduling calls and scrapes against the berth child while it starts, relists or sits at rest: one filter at a
 * time (as kube-scheduler calls), for a StatefulSet pod with NVMe, bandwidth and latency needs over 500 of the
 * cluster's nodes, each timed and stamped so it can be put in the window it fell in. Scrapes of /metrics the way
 * Prometheus does them, timed, with their size.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { statefulPod } from '../scenarios.ts';
import { seededRandom } from '../../test/helpers/builders.ts';
import { nodeName } from '../../test/e2e/kube/scale-objects.ts';

export interface Sample {
  readonly atMs: number;
  readonly ms: number;
  readonly status: number;
  readonly bytes: number;
}

function call(agent: Agent, url: string, method: string, body: Buffer | null): Promise<Sample> {
  const atMs = Date.now();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent,
      headers: body === null ? {} : { 'content-type': 'application/json', 'content-length': body.length },
    });
    req.on('response', (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        resolve({ atMs, ms: performance.now() - t0, status: res.statusCode ?? 0, bytes });
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** The filter body: the recorded StatefulSet pod with berth's annotations, 500 of `nodes` candidate names. */
export function filterBody(nodes: number, seed = 3): Buffer {
  const rnd = seededRandom(seed);
  const names = new Set<string>();
  while (names.size < Math.min(500, nodes)) names.add(nodeName(Math.floor(rnd() * nodes)));
  return Buffer.from(JSON.stringify({ Pod: statefulPod(), Nodes: null, NodeNames: [...names] }));
}

/** Calls filter one at a time, `gapMs` apart, until stopped; every answer is kept. */
export class FilterLoad {
  readonly samples: Sample[] = [];
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  constructor(baseUrl: string, body: Buffer, gapMs = 5) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    this.#done = (async () => {
      while (!this.#stop.signal.aborted) {
        try {
          this.samples.push(await call(agent, `${baseUrl}/scheduler/filter`, 'POST', body));
        } catch {
          this.samples.push({ atMs: Date.now(), ms: Number.NaN, status: 0, bytes: 0 });
        }
        await sleep(gapMs);
      }
      agent.destroy();
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  between(fromMs: number, toMs: number): Sample[] {
    return this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs && s.status === 200);
  }
}

/** `count` scrapes of /metrics, `everyMs` apart, as Prometheus would. */
export async function scrape(baseUrl: string, count: number, everyMs: number): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true });
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    out.push(await call(agent, `${baseUrl}/metrics`, 'GET', null));
    await sleep(everyMs);
  }
  agent.destroy();
  return out;
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
