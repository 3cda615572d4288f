/**
 * `node bench/hostile.ts`: what one hostile client does to the legitimate one. A legitimate scheduler calls filter
 * and then prioritize for a StatefulSet pod over 500 candidate nodes, one call at a time on a kept-alive
 * connection, against the real extender holding 5000 node reports (bench/server.ts). Meanwhile a second process
 * sends one kind of hostile request after another, back to back, one at a time, so that a hostile request is in
 * flight during the whole phase. Each phase's legitimate p99 is compared with the baseline phase of the same run
 * (no hostile client): the bound is ≤ 2x. Phases run in short blocks, round robin, so drift and load on a shared
 * machine spread over all of them alike; besides the pooled p99, the median over rounds of each round's p99 ratio
 * to that round's baseline is given, which a burst of load from elsewhere spoils for one round only.
 *
 * The server runs on core 0, the legitimate client on core 1 (taskset, when available); the hostile client on core
 * 0 at nice 19, so that what the legitimate client sees is the server's handling of the hostile requests, not
 * contention for its own core. Writes bench/results/hostile.json and .md. Arguments: [--rounds N] [--block N].
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { nodeName, statefulPod } from './scenarios.ts';

const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const LEGIT_NODES = 500;
const WARMUP = 300;

/**
 * The hostile requests: the three of the hardening issue, a body of tiny values past the value bound, then the
 * costliest requests berth still accepts: the largest legitimate one, and the densest filter and report bodies.
 */
const HOSTILE: Record<string, { what: string; body: () => Buffer | null; path?: string }> = {
  health: {
    what: 'control: GET /healthz, the cheapest request (what any second client costs on this machine)',
    path: '/healthz',
    body: () => null,
  },
  'names-20k': {
    what: 'a valid filter request naming 20,000 nodes (4x --max-nodes)',
    body: () => verbBody(20_000),
  },
  'names-100k': { what: 'a filter body naming 100,000 nodes', body: () => verbBody(100_000) },
  deep: { what: 'a filter body of 800 KiB of "[" (nested 800k deep)', body: () => Buffer.alloc(800 * 1024, 0x5b) },
  'dense-refused': {
    what: 'a filter body of 800 KiB whose pod holds 270,000 empty arrays (540,000 values)',
    body: () => densePod(270_000),
  },
  'names-5000': {
    what: 'a valid filter request naming 5,000 nodes, the most --max-nodes accepts (legitimate at that scale)',
    body: () => verbBody(5000),
  },
  'dense-accepted': {
    what: 'the densest filter body accepted: a pod holding 26,700 empty arrays (53,400 values)',
    body: () => densePod(26_700),
  },
  'report-accepted': {
    what: 'the densest POST /v1/reports body accepted (2 MiB, 130,000 values; invalid reports)',
    path: '/v1/reports',
    body: () =>
      Buffer.from(
        `{"items":[${Array.from({ length: 795 }, (_, i) => `{"node":"n${i}","pools":[${'1,'.repeat(160)}1]}`).join(',')}]}`,
      ),
  },
};

/** A pod holding `arrays` empty arrays, in lists of at most 4000 (under the bound on one array's items). */
function densePod(arrays: number): Buffer {
  const lists = Array.from(
    { length: Math.ceil(arrays / 4000) },
    (_, i) =>
      `[${Array(Math.min(4000, arrays - i * 4000))
        .fill('[]')
        .join(',')}]`,
  );
  return Buffer.from(`{"Pod":{"metadata":{"x":[${lists.join(',')}]}},"Nodes":null,"NodeNames":["a"]}`);
}

function verbBody(names: number): Buffer {
  const list = Array.from({ length: names }, (_, i) => nodeName(i));
  return Buffer.from(JSON.stringify({ Pod: statefulPod(), Nodes: null, NodeNames: list }));
}

function onCore(core: string, args: string[], idlePriority = false): [string, string[]] {
  const pin = pinned ? ['taskset', '-c', core] : [];
  const all = [...(idlePriority ? ['nice', '-n', '19'] : []), ...pin, ...args];
  return [all[0] ?? '', all.slice(1)];
}

/** The legitimate client's call: POST on its kept-alive connection; resolves with the status, -1 for a reset. */
function post(agent: Agent, port: number, path: string, body: Buffer | null): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === null ? 'GET' : 'POST',
        agent,
        headers: body === null ? {} : { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    // A hostile body refused before it was all sent may end in a reset: that is an answer too.
    req.on('error', () => {
      resolve(-1);
    });
    req.end(body ?? undefined);
  });
}

/**
 * One hostile request on a new connection: the headers, then the body in 64 KiB pieces for as long as the server
 * has not answered. Stopping at the answer keeps the bytes a refused request never needed off the clients' shared
 * core, so that what the legitimate client sees is the server's doing. Resolves with the status (-1: no answer).
 */
async function hostileCall(port: number, path: string, body: Buffer | null): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      resolve();
    }),
  );
  let head = '';
  let status = -1;
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? -1);
      socket.destroy();
      resolve();
    });
    void closed.then(resolve);
  });
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  const framing = body === null ? '' : `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
  socket.write(`${body === null ? 'GET' : 'POST'} ${path} HTTP/1.1\r\nHost: berth\r\n${framing}\r\n`);
  for (let at = 0; body !== null && at < body.length && status < 0 && !socket.destroyed; at += 64 * 1024) {
    if (!socket.write(body.subarray(at, at + 64 * 1024)))
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), answered]);
  }
  await answered;
  socket.destroy();
  return status;
}

/** The hostile process: reads a kind (or "idle") per line on stdin and sends that request back to back. */
async function hostile(port: number): Promise<void> {
  const bodies = new Map(Object.entries(HOSTILE).map(([k, v]) => [k, { path: v.path, body: v.body() }]));
  let kind = 'idle';
  const counts = new Map<string, Map<number, number>>();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'report')
      process.stdout.write(
        `${JSON.stringify(Object.fromEntries([...counts].map(([k, m]) => [k, Object.fromEntries(m)])))}\n`,
      );
    else kind = line;
  });
  process.stdout.write('ready\n');
  let acknowledged = kind;
  for (;;) {
    const sending = kind;
    // A switch is acknowledged once the previous kind's request has been answered, so that no phase measures
    // the tail of the one before.
    if (sending !== acknowledged) process.stdout.write(`now ${sending}\n`);
    acknowledged = sending;
    const current = bodies.get(sending);
    if (current === undefined) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const status = await hostileCall(port, current.path ?? '/scheduler/filter', current.body);
    const byStatus = counts.get(sending) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    counts.set(sending, byStatus);
  }
}

async function firstLine(child: ChildProcess): Promise<string> {
  if (child.stdout === null) throw new Error('no stdout');
  const line = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  return String(line.value);
}

const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

async function legitPair(agent: Agent, port: number, filter: Buffer, prioritize: Buffer, h: hdr.Histogram | null) {
  const t0 = process.hrtime.bigint();
  const a = await post(agent, port, '/scheduler/filter', filter);
  const b = await post(agent, port, '/scheduler/prioritize', prioritize);
  if (a !== 200 || b !== 200) throw new Error(`legitimate call failed: ${a} ${b}`);
  h?.recordValue(Number(process.hrtime.bigint() - t0) / 1000);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const rounds = arg('--rounds', 12);
  const block = arg('--block', 150);
  const [serverCmd, serverArgs] = onCore('0', [process.execPath, join(import.meta.dirname, 'server.ts'), 'berth']);
  const server = spawn(serverCmd, serverArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number(await firstLine(server));
  // The hostile client shares the server's core at the lowest priority: it runs whenever the server waits, so it
  // keeps a hostile request in flight, and its own work never delays the legitimate client, alone on core 1.
  const hostileArgs0 = [process.execPath, import.meta.filename, '--hostile', String(port)];
  const [hostileCmd, hostileArgs] = onCore('0', hostileArgs0, true);
  const attacker = spawn(hostileCmd, hostileArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
  const attackerOut = createInterface({ input: attacker.stdout })[Symbol.asyncIterator]();
  if ((await attackerOut.next()).value !== 'ready') throw new Error('hostile client did not start');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const names = Array.from({ length: LEGIT_NODES }, (_, i) => nodeName(i));
  const filter = Buffer.from(JSON.stringify({ Pod: statefulPod(), Nodes: null, NodeNames: names }));
  const prioritize = filter;
  const phases = ['baseline', ...Object.keys(HOSTILE)];
  const series = new Map(phases.map((p) => [p, histogram()]));
  // Each round's p99 per phase, for the ratio to the same round's baseline: a burst of load from elsewhere on
  // the machine then spoils one round's ratio, not the phase's figure.
  const roundP99 = new Map(phases.map((p) => [p, [] as number[]]));
  try {
    for (let i = 0; i < WARMUP; i++) await legitPair(agent, port, filter, prioritize, null);
    let previous = 'idle';
    for (let r = 0; r < rounds; r++) {
      for (const phase of phases) {
        const kind = phase === 'baseline' ? 'idle' : phase;
        attacker.stdin.write(`${kind}\n`);
        if (kind !== previous && (await attackerOut.next()).value !== `now ${kind}`) throw new Error('out of step');
        previous = kind;
        // Let the hostile request start before measuring: the first legitimate call already shares the server.
        for (let i = 0; i < 5; i++) await legitPair(agent, port, filter, prioritize, null);
        const h = histogram();
        for (let i = 0; i < block; i++) await legitPair(agent, port, filter, prioritize, h);
        series.get(phase)?.add(h);
        roundP99.get(phase)?.push(h.getValueAtPercentile(99));
      }
      process.stdout.write(`round ${r + 1}/${rounds}\n`);
    }
    attacker.stdin.write('idle\n');
    if (previous !== 'idle') await attackerOut.next();
    attacker.stdin.write('report\n');
    const counts = JSON.parse(String((await attackerOut.next()).value)) as Record<string, Record<string, number>>;
    report(phases, series, roundP99, counts, { rounds, block });
  } finally {
    attacker.kill();
    server.kill();
    agent.destroy();
  }
}

function report(
  phases: string[],
  series: Map<string, hdr.Histogram>,
  roundP99: Map<string, number[]>,
  counts: Record<string, Record<string, number>>,
  run: { rounds: number; block: number },
): void {
  const base = series.get('baseline');
  const baseP99 = base?.getValueAtPercentile(99) ?? 1;
  const baseRounds = roundP99.get('baseline') ?? [];
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const rows = phases.map((p) => {
    const h = series.get(p);
    const p99 = h?.getValueAtPercentile(99) ?? 0;
    const perRound = (roundP99.get(p) ?? []).map((x, r) => x / (baseRounds[r] ?? x));
    return {
      phase: p,
      what: p === 'baseline' ? 'no hostile client' : (HOSTILE[p]?.what ?? ''),
      samples: h?.totalCount ?? 0,
      p50: h?.getValueAtPercentile(50) ?? 0,
      p99,
      p999: h?.getValueAtPercentile(99.9) ?? 0,
      p99Ratio: Number((p99 / baseP99).toFixed(2)),
      medianRoundP99Ratio: Number(median(perRound).toFixed(2)),
      hostileAnswers: counts[p] ?? {},
    };
  });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: spawnSync('nproc').stdout.toString().trim(),
    loadavg: spawnSync('cat', ['/proc/loadavg']).stdout.toString().trim(),
    pinned,
    legitimate: `filter+prioritize, ${LEGIT_NODES} nodes, one pair at a time`,
    ...run,
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hostile.json'), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  const lines = [
    '| hostile client sends, back to back | legitimate filter+prioritize p50 / p99 / p99.9 (µs) | p99 vs baseline: pooled, median of rounds | hostile answers |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.phase}: ${r.what} | ${r.p50} / ${r.p99} / ${r.p999} | ${r.p99Ratio}x, ${r.medianRoundP99Ratio}x | ${Object.entries(
          r.hostileAnswers,
        )
          .map(([s, n]) => `${n}× ${s === '-1' ? 'reset' : s}`)
          .join(', ')} |`,
    ),
  ];
  writeFileSync(join(dir, 'hostile.md'), `${lines.join('\n')}\n\n${JSON.stringify(meta)}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n\n${JSON.stringify(meta)}\n`);
}

if (process.argv[2] === '--hostile') await hostile(Number(process.argv[3]));
else await main();
