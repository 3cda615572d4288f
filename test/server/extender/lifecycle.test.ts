/**
 * The berth command as an operator runs it: bad flags fail fast with the flag named, a taken port is a clear
 * error, and SIGTERM drains: readiness goes 503 first, the verbs keep answering, then the process exits 0.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../../helpers/wait.ts';

const berth = join(import.meta.dirname, '../../../bin/berth.js');

t.test('bad configuration exits 2 naming every bad flag', async (t) => {
  const r = spawnSync(process.execPath, [berth, 'extender', '--stale-policy', 'ignore', '--report-ttl', 'soon'], {
    encoding: 'utf8',
  });
  t.equal(r.status, 2);
  t.match(r.stderr, /--report-ttl: must be a duration/);
  t.match(r.stderr, /--stale-policy: must be one of reject, neutral, got "ignore"/);
  const unknown = spawnSync(process.execPath, [berth, 'extender', '--lsiten', '127.0.0.1:1'], { encoding: 'utf8' });
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /Unknown option '--lsiten'/);
  const help = spawnSync(process.execPath, [berth, 'extender', '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /--capacity-strategy <value>/);
  const none = spawnSync(process.execPath, [berth, 'frobnicate'], { encoding: 'utf8' });
  t.equal(none.status, 2);
  t.match(none.stderr, /unknown command "frobnicate"/);
});

t.test('a port in use is a one-line error, not a stack trace', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => {
    blocker.close();
  });
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const r = spawnSync(process.execPath, [berth, 'extender', '--listen', `127.0.0.1:${port}`], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`cannot start on 127\\.0\\.0\\.1:${port}: the address is in use`));
  t.notMatch(r.stderr, /at Server\.setupListenHandle/);
});

t.test('SIGTERM: readiness fails first, verbs still answer, then a clean exit', async (t) => {
  const child = spawn(
    process.execPath,
    [berth, 'extender', '--listen', '127.0.0.1:0', '--shutdown-delay', '1500ms', '--local-agent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let url = '';
  for await (const line of createInterface({ input: child.stderr })) {
    const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
    if (m?.[1] !== undefined) {
      url = m[1];
      break;
    }
  }
  child.stderr.resume(); // keep draining the log, or a full pipe would block the process
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the log says where it listens');
  const readyz = async (): Promise<number> => (await fetch(`${url}/readyz`)).status;
  const ready = await waitFor(async () => (await readyz()) === 200 && 200, {
    timeoutMs: 5000,
    description: 'readiness once the local agent reported this machine',
  }).catch(() => readyz());
  t.equal(ready, 200, 'ready once the local agent reported this machine');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // The signal is handled asynchronously: wait for its effect (the --shutdown-delay of 1.5 s bounds the window).
  const draining = await waitFor(async () => (await readyz()) === 503 && 503, {
    timeoutMs: 1500,
    description: 'readiness to drop after SIGTERM',
  }).catch(() => readyz());
  t.equal(draining, 503, 'not ready while draining');
  const verb = await fetch(`${url}/scheduler/filter`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Pod: { metadata: {} }, Nodes: null, NodeNames: ['a'] }),
  });
  t.equal(verb.status, 200, 'the scheduler is still answered during the drain');
  const [code] = (await exited) as [number | null];
  t.equal(code, 0, 'exit status 0');
});
