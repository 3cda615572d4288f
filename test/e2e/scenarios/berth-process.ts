/**
 * berth as the scenarios run it: `node bin/berth.js extender` as a real child process on a free loopback port,
 * its output in a log file whose tail is printed when the test fails. Also a recording pass-through proxy
 * (WireTap) for the scenarios that must see exactly what kube-scheduler asked and what berth answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeReport } from '../../../lib/core/report.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess } from '../harness/processes.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const berthBin = join(root, 'bin', 'berth.js');

/** The part of a tap Test these helpers use. */
export interface Lifecycle {
  teardown(fn: () => unknown): void;
  passing(): boolean;
}

export class Berth {
  readonly port: number;
  readonly url: string;
  readonly process: ManagedProcess;

  constructor(port: number, args: readonly string[], logPath: string) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    // process.execPath is the Node 24 running tap; bin/berth.js runs the TypeScript sources.
    this.process = new ManagedProcess(
      'berth extender',
      process.execPath,
      [berthBin, 'extender', '--listen', `127.0.0.1:${port}`, '--shutdown-delay', '0s', ...args],
      logPath,
    );
  }

  /** Starts the process and resolves once /healthz answers 200; returns the milliseconds that took. */
  async start(timeoutMs = 30_000): Promise<number> {
    const startedAt = performance.now();
    this.process.start();
    for (;;) {
      const exited = this.process.describeExit();
      if (exited !== undefined) throw new Error(`${exited} before answering /healthz\n${this.process.tail(20)}`);
      const ok = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - startedAt;
      if (performance.now() - startedAt > timeoutMs)
        throw new Error(`berth did not answer /healthz within ${timeoutMs} ms\n${this.process.tail(20)}`);
      await sleep(20);
    }
  }

  /** SIGTERM (a clean stop: with --shutdown-delay 0s it exits at once). */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  /** SIGKILL, as a crash or an OOM kill would end it. */
  async crash(): Promise<void> {
    this.process.killNow();
    await this.process.stop();
  }

  /** Stand-in for the agents' HTTP push: POST /v1/reports with every report in one batch. */
  async pushReports(reports: readonly NodeReport[]): Promise<void> {
    const res = await fetch(`${this.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: reports }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST /v1/reports answered ${res.status}: ${text}`);
    const body = JSON.parse(text) as { accepted: number };
    if (body.accepted !== reports.length)
      throw new Error(`POST /v1/reports accepted ${body.accepted} of ${reports.length}: ${text}`);
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`);
    if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
    return res.text();
  }

  /** How many requests berth has answered for `verb` (filter, prioritize, ...), from its own /metrics. */
  async requestCount(verb: string): Promise<number> {
    return sumSamples(await this.metrics(), 'berth_extender_request_duration_seconds_count', { verb });
  }
}

/** Sums the samples of `name` whose labels include `labels` (Prometheus text format). */
export function sumSamples(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(m[3]);
  }
  return total;
}

/**
 * Starts berth for one test in `dir` (the control plane's temp dir, kept when the test fails) and registers its
 * stop; on failure the teardown prints the tail of berth's log.
 */
export async function startBerth(t: Lifecycle, dir: string, args: readonly string[] = []): Promise<Berth> {
  const berth = new Berth(await freePort(), args, join(dir, `berth-${Date.now()}.log`));
  t.teardown(async () => {
    await berth.stop();
    if (!t.passing())
      process.stderr.write(
        `\n# berth extender log (${berth.process.logPath}), last 40 lines:\n${berth.process.tail(40)}\n`,
      );
  });
  await berth.start();
  return berth;
}

/** One call kube-scheduler made, as seen on the wire. */
export interface Exchange {
  readonly path: string;
  readonly request: unknown;
  readonly status: number;
  readonly response: unknown;
}

/** A recording pass-through proxy on loopback: kube-scheduler talks to it, it forwards every call to berth. */
export interface WireTap {
  readonly url: string;
  readonly exchanges: Exchange[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startWireTap(t: Lifecycle, target: string): Promise<WireTap> {
  const exchanges: Exchange[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    try {
      const upstream = await fetch(`${target}${path}`, {
        method: req.method ?? 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
      });
      const text = await upstream.text();
      exchanges.push({ path, request: parseJson(body), status: upstream.status, response: parseJson(text) });
      res
        .writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
        .end(text);
    } catch (e) {
      exchanges.push({ path, request: parseJson(body), status: 502, response: String(e) });
      res.writeHead(502).end();
    }
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return { url: `http://127.0.0.1:${port}`, exchanges };
}
