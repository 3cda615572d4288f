/**
 * A drain under load loses no call. Two real `berth extender` processes sit behind a modelled Service; several
 * schedulers call them with kube-scheduler's own client behaviour (Go's net/http as kube-scheduler configures it:
 * keep-alive, one call at a time per scheduler, idle connections kept 90 s, no retry of a POST), and one replica
 * gets SIGTERM in the middle of it. Every call must succeed.
 *
 * What the clients do once the replica drains is modelled on a cluster, in scheduler-client/main.go: a new
 * connection goes to a replica whose last readiness probe passed (probed every 200 ms), and an open connection
 * stays with its replica until one side closes it, as kube-proxy's conntrack keeps it. So after SIGTERM, the
 * draining replica still gets calls on the connections it already has, and new connections for up to one probe
 * period; its `Connection: close` answers move each scheduler to the other replica with its next call, before
 * the listener closes 2 s later. The test model keeps the manifest's proportion (probe 2 s, delay 5 s) scaled down.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pod, report } from '../../helpers/builders.ts';

const berth = join(import.meta.dirname, '../../../bin/berth.js');
const clientDir = join(import.meta.dirname, 'scheduler-client');
const NODES = Array.from({ length: 100 }, (_, i) => `node-${i}`);

interface Summary {
  calls: number;
  failures: { verb: string; backend: string; reused: boolean; error: string }[];
  backends: Record<string, { calls: number; closeAnswered: number; dials: number }>;
}

/** Resolves with the first line of `stream` matching `pattern` (its first group). */
async function firstLine(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  for await (const line of createInterface({ input: stream })) {
    const m = pattern.exec(line);
    if (m !== null) return m[1] ?? m[0];
  }
  throw new Error(`the process ended without printing ${String(pattern)}`);
}

async function startReplica(t: Test): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [berth, 'extender', '--listen', '127.0.0.1:0', '--shutdown-delay', '2s', '--log-level', 'info'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  // The log (on stderr) says where it listens; it is drained after, or a full pipe would block the process.
  const url = await firstLine(child.stderr, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
  child.stderr.resume();
  const pushed = await fetch(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: NODES.map((n) => report(n)) }),
  });
  t.equal(pushed.status, 200, `${url} holds ${NODES.length} node reports`);
  while ((await fetch(`${url}/readyz`)).status !== 200) await sleep(50);
  return { child, url };
}

/** Why the test cannot run here, or null: it needs Go to build its kube-scheduler client. */
function goMissing(): string | null {
  if (spawnSync('go', ['version']).status === 0) return null;
  return 'the drain test needs Go to build its kube-scheduler client (test/server/extender/scheduler-client)';
}

function goBuild(dir: string): string {
  const out = join(dir, 'scheduler-client');
  const built = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: clientDir,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  });
  if (built.status !== 0) throw new Error(`go build failed: ${built.stderr}`);
  return out;
}

const missing = goMissing();
if (missing !== null && process.env['BERTH_E2E_REQUIRED'] === '1') t.fail(missing);

const title = 'SIGTERM under load: the draining replica hands every scheduler over, no call fails';
t.test(title, { skip: missing ?? false }, async (t) => {
  t.setTimeout(120_000);
  const dir = t.testdir();
  const client = goBuild(dir);
  const [a, b] = [await startReplica(t), await startReplica(t)];
  const bodyFile = join(dir, 'filter.json');
  writeFileSync(
    bodyFile,
    JSON.stringify({ Pod: pod({ 'berth.io/nvme-capacity': '100Gi' }), Nodes: null, NodeNames: NODES }),
  );
  const endpoint = (url: string): string => new URL(url).host;
  const schedulers = spawn(
    client,
    ['-endpoints', `${endpoint(a.url)},${endpoint(b.url)}`, '-body', bodyFile, '-clients', '4'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    schedulers.kill('SIGKILL');
  });
  const lines = createInterface({ input: schedulers.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<string> => String((await iterator.next()).value);
  t.equal(await next(), 'warm', 'every scheduler has made calls through the service');

  const exited = once(a.child, 'exit');
  a.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  t.equal(code, 0, 'the drained replica exited cleanly');
  schedulers.stdin.write('stop 400\n');
  const summary = JSON.parse(await next()) as Summary;
  const atA = summary.backends[endpoint(a.url)];
  const atB = summary.backends[endpoint(b.url)];
  t.same(summary.failures, [], `no failed call out of ${summary.calls}`);
  t.ok(atA !== undefined && atA.calls > 0 && atB !== undefined && atB.calls > 0, 'both replicas served calls');
  t.ok(
    (atA?.closeAnswered ?? 0) > 0,
    `the draining replica answered ${atA?.closeAnswered ?? 0} calls with Connection: close`,
  );
  t.ok(summary.calls >= (atA?.calls ?? 0) + 400, 'the schedulers went on calling after the replica had gone');
  t.comment(JSON.stringify(summary.backends));
});
