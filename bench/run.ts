/**
 * `npm run bench`: what kube-scheduler waits for, one call at a time, against berth and a no-op extender started
 * in the same run. The no-op gives the same answers' shapes berth gives (every node passing, every node scored),
 * so the ratio is berth's own work. Servers run in their own processes (pinned to core 0 when taskset is
 * available), the client here (core 1); latencies in microseconds from HdrHistogram.
 *
 * Three cases at each node count: a StatefulSet pod with needs (filter, then prioritize over filter's survivors),
 * a pod without needs (the fast path), and prioritize alone (its filter went to another replica, so nothing is
 * remembered). Each case runs three rounds, the servers alternating in blocks of 100; the table gives the median
 * of the three rounds. Writes bench/results/latest.md and latest.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { NODE_COUNTS, nodeName, statefulPod } from './scenarios.ts';

const ROUNDS = 3;
const WARMUP = 300;
const SAMPLES: Record<number, number> = { 100: 3000, 500: 3000, 5000: 1000 };
const BLOCK = 100;
const SERVERS = ['berth', 'noop'] as const;
type ServerKind = (typeof SERVERS)[number];
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

async function startServer(kind: ServerKind): Promise<{ port: number; child: ChildProcess }> {
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
    const headers = { 'content-type': 'application/json', 'content-length': body.length };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(Buffer.concat(chunks));
        else reject(new Error(`${path}: HTTP ${String(res.statusCode)}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One step of a case: the calls kube-scheduler makes, in order. */
type Call = readonly [path: string, body: Buffer];

interface Case {
  readonly name: string;
  readonly calls: readonly Call[];
}

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });

const percentiles = (h: hdr.Histogram): Percentiles => ({
  p50: h.getValueAtPercentile(50),
  p99: h.getValueAtPercentile(99),
  p999: h.getValueAtPercentile(99.9),
});

async function runCalls(agent: Agent, port: number, calls: readonly Call[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (const [path, body] of calls) await post(agent, port, path, body);
  return Number(process.hrtime.bigint() - t0) / 1000;
}

async function cases(agent: Agent, port: number, n: number): Promise<Case[]> {
  const names = Array.from({ length: n }, (_, i) => nodeName(i));
  const pod = statefulPod();
  const body = (p: unknown, list: readonly string[]): Buffer =>
    Buffer.from(JSON.stringify({ Pod: p, Nodes: null, NodeNames: list }));
  const filterBody = body(pod, names);
  const answer = await post(agent, port, '/scheduler/filter', filterBody);
  const passed = (JSON.parse(answer.toString()) as { NodeNames: string[] }).NodeNames;
  const plain = { ...pod, metadata: { ...(pod['metadata'] as object), annotations: {} } };
  return [
    {
      name: 'with needs',
      calls: [
        ['/scheduler/filter', filterBody],
        ['/scheduler/prioritize', body(pod, passed)],
      ],
    },
    {
      name: 'no needs',
      calls: [
        ['/scheduler/filter', body(plain, names)],
        ['/scheduler/prioritize', body(plain, names)],
      ],
    },
    { name: 'prioritize alone', calls: [['/scheduler/prioritize', body(pod, passed)]] },
  ];
}

type Servers = Record<ServerKind, { port: number; agent: Agent }>;

/** One round of one case: both servers, alternating in blocks, after a warm-up. */
async function round(servers: Servers, c: Case, samples: number): Promise<Record<ServerKind, Percentiles>> {
  const hs = { berth: histogram(), noop: histogram() };
  for (let i = 0; i < WARMUP; i++) for (const k of SERVERS) await runCalls(servers[k].agent, servers[k].port, c.calls);
  for (let done = 0; done < samples; done += BLOCK)
    for (const k of SERVERS)
      for (let i = 0; i < BLOCK; i++) hs[k].recordValue(await runCalls(servers[k].agent, servers[k].port, c.calls));
  return { berth: percentiles(hs.berth), noop: percentiles(hs.noop) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Row {
  readonly nodes: number;
  readonly case: string;
  readonly rounds: readonly Record<ServerKind, Percentiles>[];
  readonly berth: Percentiles;
  readonly noop: Percentiles;
  readonly ratio: { readonly p50: number; readonly p99: number };
}

function summarise(nodes: number, name: string, rounds: Record<ServerKind, Percentiles>[]): Row {
  const pick = (k: ServerKind, p: keyof Percentiles): number => median(rounds.map((r) => r[k][p]));
  const of = (k: ServerKind): Percentiles => ({ p50: pick(k, 'p50'), p99: pick(k, 'p99'), p999: pick(k, 'p999') });
  const ratio = (p: 'p50' | 'p99'): number => median(rounds.map((r) => r.berth[p] / r.noop[p]));
  return {
    nodes,
    case: name,
    rounds,
    berth: of('berth'),
    noop: of('noop'),
    ratio: { p50: ratio('p50'), p99: ratio('p99') },
  };
}

async function main(): Promise<void> {
  const children = { berth: await startServer('berth'), noop: await startServer('noop') };
  const servers: Servers = {
    berth: { port: children.berth.port, agent: new Agent({ keepAlive: true, maxSockets: 1 }) },
    noop: { port: children.noop.port, agent: new Agent({ keepAlive: true, maxSockets: 1 }) },
  };
  const rows: Row[] = [];
  try {
    for (const n of NODE_COUNTS) {
      for (const c of await cases(servers.berth.agent, servers.berth.port, n)) {
        const rounds = [];
        for (let r = 0; r < ROUNDS; r++) rounds.push(await round(servers, c, SAMPLES[n] ?? 1000));
        const row = summarise(n, c.name, rounds);
        rows.push(row);
        process.stdout.write(`${tableRow(row)}\n`);
      }
    }
  } finally {
    for (const k of SERVERS) {
      children[k].child.kill();
      servers[k].agent.destroy();
    }
  }
  writeResults(rows);
}

function tableRow(r: Row): string {
  const f = (p: Percentiles): string => `${Math.round(p.p50)} / ${Math.round(p.p99)}`;
  return `| ${r.nodes} | ${r.case} | ${f(r.berth)} | ${f(r.noop)} | ${r.ratio.p50.toFixed(2)} / ${r.ratio.p99.toFixed(2)} |`;
}

function writeResults(rows: readonly Row[]): void {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: spawnSync('nproc').stdout.toString().trim(),
    pinned,
    rounds: ROUNDS,
  };
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  const lines = [
    '| names | case | berth p50 / p99 (µs) | no-op p50 / p99 (µs) | ratio p50 / p99 |',
    '|---|---|---|---|---|',
    ...rows.map(tableRow),
  ];
  writeFileSync(join(dir, 'latest.md'), `${lines.join('\n')}\n\n${JSON.stringify(meta)}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

await main();
