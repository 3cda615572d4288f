/**
 * `berth extender --kube` as a child process, exactly as shipped (bin/berth.js), with the benchmark's probe
 * preloaded (scale-probe.ts, --expose-gc) and an IPC channel to ask it things. Its JSON log lines are parsed as they come,
 * so the benchmark can wait for "informer synced" or "informer relisted" and know when they happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePorts } from '../harness/ports.ts';
import type { DelayStats } from './scale-probe.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

export interface Memory {
  readonly heapUsed: number;
  /** The heap's object spaces only (no bytecode or code). */
  readonly data: number;
  readonly rss: number;
  readonly external: number;
  readonly peakRss: number;
  readonly heapTotal: number;
  readonly arrayBuffers: number;
  /** RSS that is the process's own (heap, buffers), and RSS that is mapped files (the node binary). */
  readonly rssAnon: number;
  readonly rssFile: number;
  readonly spaces: Record<string, number>;
}

export interface StartInfo {
  readonly uptimeMs: number;
  readonly loopStartMs: number;
  readonly activeMs: number;
  readonly idleMs: number;
  readonly cpuMs: number;
}

/**
 * The node options the shipped Deployment sets (manifests/extender/deployment.yaml, NODE_OPTIONS), so berth is
 * measured as it runs in a cluster.
 */
export function shippedNodeFlags(): string[] {
  const text = readFileSync(join(root, 'manifests', 'extender', 'deployment.yaml'), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const d = doc.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] } } };
    } | null;
    if (d?.kind !== 'Deployment') continue;
    const env = d.spec?.template?.spec?.containers?.find((c) => c.name === 'extender')?.env ?? [];
    const value = env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    return value.split(/\s+/).filter((f) => f !== '');
  }
  return [];
}

export class BerthChild {
  readonly url: string;
  readonly logs: LogLine[] = [];
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (v: { ok: boolean; value?: unknown; error?: string }) => void>();
  #ids = 0;
  /** Epoch ms minus the child's performance.now(): converts between the two clocks. */
  offsetMs = 0;
  readonly spawnedAtMs: number;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    this.spawnedAtMs = Date.now();
    child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      this.#pending.get(m.id)?.(m);
      this.#pending.delete(m.id);
    });
    // berth logs JSON lines to stderr (server/common/log.ts); `time` is an ISO timestamp.
    for (const stream of [child.stdout, child.stderr])
      if (stream !== null)
        createInterface({ input: stream }).on('line', (line) => {
          try {
            const l = JSON.parse(line) as Record<string, unknown>;
            const time = typeof l['time'] === 'string' ? Date.parse(l['time']) : Number(l['time']);
            this.logs.push({ ...l, time, msg: typeof l['msg'] === 'string' ? l['msg'] : '' });
          } catch {
            process.stderr.write(`berth: ${line}\n`);
          }
        });
  }

  /** `flags` go to `berth extender`, `nodeFlags` to node itself (V8 options). */
  static async start(
    kubeconfig: string,
    flags: readonly string[] = [],
    nodeFlags: readonly string[] = shippedNodeFlags(),
  ): Promise<BerthChild> {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('no free port');
    const args = [
      ...nodeFlags,
      '--expose-gc',
      '--import',
      join(import.meta.dirname, 'scale-probe.ts'),
      join(root, 'bin', 'berth.js'),
      'extender',
      '--kube',
      '--kubeconfig',
      kubeconfig,
      '--listen',
      `127.0.0.1:${port}`,
      '--report-ttl',
      '24h',
      '--report-retention',
      '24h',
      '--shutdown-delay',
      '0s',
      '--nvme-storage-classes',
      'local-nvme',
      ...flags,
    ];
    // berth alone: not the test runner's coverage or loader hooks, which tap puts into every child it can (its
    // process tracking rewrites NODE_OPTIONS on spawn, and turns on source maps: 140 MiB of parsed maps for
    // client-node alone). A shell in between drops them right before node starts.
    const child = spawn(
      '/bin/sh',
      ['-c', 'unset NODE_OPTIONS NODE_V8_COVERAGE; exec "$0" "$@"', process.execPath, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    const c = new BerthChild(child, `http://127.0.0.1:${port}`);
    const now = (await c.ask({ cmd: 'now' })) as { nowMs: number; epochMs: number };
    c.offsetMs = now.epochMs - now.nowMs;
    return c;
  }

  async ask(req: Record<string, unknown>): Promise<unknown> {
    const id = ++this.#ids;
    const answer = new Promise<{ ok: boolean; value?: unknown; error?: string }>((resolve) => {
      this.#pending.set(id, resolve);
    });
    this.#child.send({ ...req, id });
    const a = await answer;
    if (!a.ok) throw new Error(a.error);
    return a.value;
  }

  memory(): Promise<Memory> {
    return this.ask({ cmd: 'memory' }) as Promise<Memory>;
  }

  startInfo(): Promise<StartInfo> {
    return this.ask({ cmd: 'start' }) as Promise<StartInfo>;
  }

  /** Event-loop delay between two epoch times. */
  delay(fromEpochMs: number, toEpochMs: number): Promise<DelayStats> {
    return this.ask({
      cmd: 'delay',
      fromMs: fromEpochMs - this.offsetMs,
      toMs: toEpochMs - this.offsetMs,
    }) as Promise<DelayStats>;
  }

  /** Resolves with the first log line (from index `from`) that `match` accepts. */
  async waitLog(match: (l: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.#child.exitCode !== null) throw new Error(`berth exited with ${String(this.#child.exitCode)}`);
      if (Date.now() > end) throw new Error('timed out waiting for a log line');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await once(this.#child, 'exit');
    clearTimeout(timer);
  }
}

export function synced(resource: string): (l: LogLine) => boolean {
  return (l) => l.msg === 'informer synced' && l['resource'] === resource;
}

export function relisted(resource: string): (l: LogLine) => boolean {
  return (l) => l.msg === 'informer relisted' && l['resource'] === resource;
}
