/**
 * `npm run bench`: one-at-a-time filter+prioritize latency, the way kube-scheduler calls, against berth and a
 * no-op extender started in the same run. Servers run in their own processes (pinned to core 0 when taskset is
 * available), the client here (core 1). Latencies are recorded in microseconds with HdrHistogram.
 * Writes bench/results/latest.md and latest.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { NODE_COUNTS, nodeName, statefulPod } from './scenarios.ts';

const WARMUP = 300;
const SAMPLES: Record<number, number> = { 100: 4000, 500: 4000, 5000: 1500 };
const BLOCK = 100;
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

async function startServer(kind: 'berth' | 'noop'): Promise<{ port: number; child: ChildProcess }> {
  const args = [join(import.meta.dirname, 'server.ts'), kind];
  const child = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  const port = Number(line.value);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${kind} server did not start`);
  return { port, child };
}

function post(agent: Agent, port: number, path: string, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 200) resolve(Buffer.concat(chunks));
          else reject(new Error(`${path}: HTTP ${String(res.statusCode)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Series {
  filter: hdr.Histogram;
  prioritize: hdr.Histogram;
  pair: hdr.Histogram;
}
const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });

async function pair(
  agent: Agent,
  port: number,
  filterBody: Buffer,
  prioritizeBody: Buffer,
  s: Series | null,
): Promise<void> {
  const t0 = process.hrtime.bigint();
  await post(agent, port, '/scheduler/filter', filterBody);
  const t1 = process.hrtime.bigint();
  await post(agent, port, '/scheduler/prioritize', prioritizeBody);
  const t2 = process.hrtime.bigint();
  if (s === null) return;
  s.filter.recordValue(Number(t1 - t0) / 1000);
  s.prioritize.recordValue(Number(t2 - t1) / 1000);
  s.pair.recordValue(Number(t2 - t0) / 1000);
}

const pct = (h: hdr.Histogram): { p50: number; p99: number; p999: number; max: number } => ({
  p50: h.getValueAtPercentile(50),
  p99: h.getValueAtPercentile(99),
  p999: h.getValueAtPercentile(99.9),
  max: h.maxValue,
});

async function main(): Promise<void> {
  const servers = { berth: await startServer('berth'), noop: await startServer('noop') };
  const agents = {
    berth: new Agent({ keepAlive: true, maxSockets: 1 }),
    noop: new Agent({ keepAlive: true, maxSockets: 1 }),
  };
  const pod = statefulPod();
  const rows: Record<string, unknown>[] = [];
  try {
    for (const n of NODE_COUNTS) {
      const names = Array.from({ length: n }, (_, i) => nodeName(i));
      const filterBody = Buffer.from(JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names }));
      const passed = (
        JSON.parse((await post(agents.berth, servers.berth.port, '/scheduler/filter', filterBody)).toString()) as {
          NodeNames: string[];
        }
      ).NodeNames;
      const prioritizeBody = Buffer.from(JSON.stringify({ Pod: pod, Nodes: null, NodeNames: passed }));
      const series = {
        berth: { filter: histogram(), prioritize: histogram(), pair: histogram() },
        noop: { filter: histogram(), prioritize: histogram(), pair: histogram() },
      };
      for (let i = 0; i < WARMUP; i++)
        for (const k of ['berth', 'noop'] as const)
          await pair(agents[k], servers[k].port, filterBody, prioritizeBody, null);
      const total = SAMPLES[n] ?? 1000;
      for (let done = 0; done < total; done += BLOCK) {
        for (const k of ['berth', 'noop'] as const)
          for (let i = 0; i < BLOCK; i++) await pair(agents[k], servers[k].port, filterBody, prioritizeBody, series[k]);
      }
      for (const k of ['berth', 'noop'] as const) {
        rows.push({
          nodes: n,
          passed: passed.length,
          server: k,
          samples: total,
          bodyBytes: filterBody.length,
          filter: pct(series[k].filter),
          prioritize: pct(series[k].prioritize),
          pair: pct(series[k].pair),
        });
      }
      const b = pct(series.berth.pair);
      const z = pct(series.noop.pair);
      process.stdout.write(
        `${n} nodes (${passed.length} pass filter): berth filter+prioritize p50 ${b.p50}µs p99 ${b.p99}µs p99.9 ${b.p999}µs | no-op p50 ${z.p50}µs p99 ${z.p99}µs p99.9 ${z.p999}µs | p99 ratio ${(b.p99 / z.p99).toFixed(2)}\n`,
      );
    }
  } finally {
    servers.berth.child.kill();
    servers.noop.child.kill();
    agents.berth.destroy();
    agents.noop.destroy();
  }
  writeResults(rows);
}

function writeResults(rows: Record<string, unknown>[]): void {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: spawnSync('nproc').stdout.toString().trim(),
    pinned,
  };
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  const lines = [
    '| nodes | server | filter p50 / p99 / p99.9 (µs) | prioritize p50 / p99 / p99.9 (µs) | filter+prioritize p50 / p99 / p99.9 (µs) |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows as {
    nodes: number;
    server: string;
    filter: ReturnType<typeof pct>;
    prioritize: ReturnType<typeof pct>;
    pair: ReturnType<typeof pct>;
  }[]) {
    const f = (p: ReturnType<typeof pct>): string => `${p.p50} / ${p.p99} / ${p.p999}`;
    lines.push(`| ${r.nodes} | ${r.server} | ${f(r.filter)} | ${f(r.prioritize)} | ${f(r.pair)} |`);
  }
  writeFileSync(join(dir, 'latest.md'), `${lines.join('\n')}\n\n${JSON.stringify(meta)}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

await main();
