/**
 * `berth agent` as a long-running process: real signals, a real (stand-in) extender on 127.0.0.1, graceful
 * shutdown with a final publish, and start-up failures that name their flag.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { localServer } from '../../fixtures/agent/helpers.ts';
import { waitFor } from '../../helpers/wait.ts';

const BIN = new URL('../../../server/agent/bin.ts', import.meta.url).pathname;

function startAgentProcess(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  return { child, exited, stderr: () => stderr };
}

const seqOf = (body: string): number => (JSON.parse(body) as { agent: { sequence: number } }).agent.sequence;

t.test('SIGTERM while publishes fail: backoff cut short, one final publish of the newest report, exit 0', async (t) => {
  let accept = false;
  const extender = await localServer((_req, res) => {
    res.writeHead(accept ? 202 : 503).end();
  });
  t.teardown(() => extender.close());
  const agent = startAgentProcess([
    '--extender',
    extender.url,
    '--node',
    'cli-node',
    '--interval',
    '1s',
    '--heartbeat',
    '1s',
    '--probe-listen',
    '127.0.0.1:0',
    '--peer-source',
    'none',
    '--retry-base',
    '20s',
    '--retry-max',
    '20s',
    '--pool',
    'root=mount:/',
    '--log-level',
    'debug',
  ]);
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  await waitFor(() => extender.received.length >= 1, { timeoutMs: 10_000, description: 'first publish attempt' });
  await waitFor(() => /"msg":"publish failed"/.test(agent.stderr()), {
    timeoutMs: 5000,
    description: 'failure logged',
  });
  // At least one more round handed over: a newer report is now pending (the debug line says so).
  await waitFor(() => /"sequence":2,"reason":"[^"]+","msg":"report offered to the sender"/.test(agent.stderr()), {
    timeoutMs: 10_000,
    description: 'a newer report offered to the sender',
  });
  t.equal(extender.received.length, 1, 'backing off (10–20 s): no retry yet');
  accept = true;
  const signalled = Date.now();
  agent.child.kill('SIGTERM');
  const code = await agent.exited;
  t.equal(code, 0, 'exit 0 after SIGTERM');
  t.ok(Date.now() - signalled < 5000, `stopped in ${Date.now() - signalled} ms, without waiting out the backoff`);
  t.equal(extender.received.length, 2, 'exactly one final attempt');
  const [first, last] = extender.received.map((r) => seqOf(r.body));
  t.ok(
    (last ?? 0) > (first ?? 0),
    `the final publish carried the newest report (#${last ?? 0}), not the failed #${first ?? 0}`,
  );
  t.match(agent.stderr(), /"signal":"SIGTERM","msg":"stopping"/);
  t.match(agent.stderr(), /"flushed":true,"msg":"agent stopped"/);
});

t.test('SIGINT with a healthy extender: exit 0, nothing pending', async (t) => {
  const extender = await localServer((_req, res) => {
    res.writeHead(200).end('{}');
  });
  t.teardown(() => extender.close());
  const agent = startAgentProcess([
    '--extender',
    extender.url,
    '--node',
    'cli-node-2',
    '--interval',
    '1s',
    '--no-probe',
  ]);
  t.teardown(() => {
    agent.child.kill('SIGKILL');
  });
  await waitFor(() => extender.received.length >= 1, { timeoutMs: 10_000, description: 'first publish' });
  agent.child.kill('SIGINT');
  t.equal(await agent.exited, 0);
  const body = JSON.parse(extender.received[0]?.body ?? '{}') as { probe: unknown; node: string };
  t.equal(body.node, 'cli-node-2');
  t.equal(body.probe, null, '--no-probe: no echo address advertised');
  t.match(agent.stderr(), /"flushed":true,"msg":"agent stopped"/);
});

t.test('start-up failures name their flag and exit 2', async (t) => {
  const taken = createSocket('udp4');
  await new Promise<void>((r) => {
    taken.bind(0, '127.0.0.1', r);
  });
  t.teardown(() => {
    taken.close();
  });
  const port = taken.address().port;
  const agent = startAgentProcess([
    '--extender',
    'http://127.0.0.1:9',
    '--node',
    'n',
    '--probe-listen',
    `127.0.0.1:${port}`,
  ]);
  t.equal(await agent.exited, 2);
  t.match(
    agent.stderr(),
    new RegExp(`berth agent: --probe-listen: cannot bind UDP 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
  );
});
