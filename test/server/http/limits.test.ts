/**
 * The bounds a request meets on a real socket, before and while its body arrives: a declared length over the
 * limit, a body growing past it, a body nesting too deep, a push refused before reading. Each is answered while
 * the client is still sending, and the connection is closed after the answer so the rest is never read.
 * Messages quote the limit that applied.
 */
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { pod, report, testApp } from '../../helpers/builders.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

async function listen(app: ReturnType<typeof testApp>['app']): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

interface RawAnswer {
  readonly head: string;
  readonly body: string;
  /** Body bytes the client had written when the answer arrived. */
  readonly sentWhenAnswered: number;
}

/**
 * Sends `head`, then writes `chunk` again and again (up to `total` bytes) until the server answers; resolves with
 * the answer once the server has closed the connection.
 */
async function sendUntilAnswered(port: number, head: string, chunk: Buffer, total: number): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  let sent = 0;
  let sentWhenAnswered = -1;
  socket.on('data', (d: Buffer) => {
    if (sentWhenAnswered < 0) sentWhenAnswered = sent;
    answer += d.toString('latin1');
  });
  socket.on('error', () => undefined); // the server may reset a connection whose body it did not read
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(head);
  while (sent < total && sentWhenAnswered < 0 && !socket.destroyed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
    sent += piece.length;
    if (!socket.write(piece)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
  }
  await closed;
  const [headText = '', body = ''] = answer.split('\r\n\r\n');
  return { head: headText, body, sentWhenAnswered };
}

function jsonHead(path: string, length: number | 'chunked', extra = ''): string {
  const framing = length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\n${framing}\r\n${extra}\r\n`;
}

t.test('a declared length over the limit is refused before any of the body is sent', async (t) => {
  const { app } = testApp({ config: { 'body-limit': '64Ki' } });
  const port = await listen(app);
  t.teardown(() => app.close());
  const r = await sendUntilAnswered(port, jsonHead('/scheduler/filter', 100 * 2 ** 20), Buffer.alloc(0), 0);
  t.match(r.head, /^HTTP\/1\.1 413/);
  t.match(r.head, /connection: close/i, 'the connection is closed after the answer');
  t.match(JSON.parse(r.body), {
    code: 'BERTH_ERR_BODY_TOO_LARGE',
    message: 'body larger than the limit of 65536 bytes (--body-limit)',
  });
});

t.test('a chunked body growing past the limit is refused at that chunk', async (t) => {
  const { app } = testApp({ config: { 'body-limit': '64Ki' } });
  const port = await listen(app);
  t.teardown(() => app.close());
  const data = Buffer.alloc(16 * 1024, 0x20);
  const chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
  const r = await sendUntilAnswered(port, jsonHead('/scheduler/filter', 'chunked'), chunk, 64 * 2 ** 20);
  t.match(r.head, /^HTTP\/1\.1 413/);
  t.match(JSON.parse(r.body.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n$/, '')), {
    message: /larger than the limit of 65536 bytes/,
  });
  t.ok(r.sentWhenAnswered < 8 * 2 ** 20, `answered after ${r.sentWhenAnswered} of 64 MiB were sent`);
});

t.test('a deep body is refused at its first chunk, not parsed', async (t) => {
  const { app } = testApp({ config: { 'body-limit': '64Mi' } });
  const port = await listen(app);
  t.teardown(() => app.close());
  const total = 32 * 2 ** 20;
  const r = await sendUntilAnswered(port, jsonHead('/scheduler/filter', total), Buffer.alloc(64 * 1024, 0x5b), total);
  t.match(r.head, /^HTTP\/1\.1 400/);
  t.match(JSON.parse(r.body), {
    code: 'BERTH_ERR_BAD_REQUEST',
    message: 'invalid request: the body nests deeper than 64 levels (--max-json-depth)',
  });
  t.ok(r.sentWhenAnswered < 8 * 2 ** 20, `answered after ${r.sentWhenAnswered} of 32 MiB were sent`);
});

t.test('a body of many tiny values is refused at the value bound: one per 16 bytes of the limit', async (t) => {
  const { app } = testApp({ config: { 'body-limit': '64Ki' } });
  const dense = `{"Pod":{"metadata":{"x":[${'[],'.repeat(5000)}[]]}},"NodeNames":["a"]}`;
  t.ok(dense.length < 64 * 1024, 'within the size limit');
  const res = await app.inject({ method: 'POST', url: '/scheduler/filter', headers: JSON_TYPE, payload: dense });
  t.equal(res.statusCode, 400);
  t.equal(
    res.json<{ message: string }>().message,
    'invalid request: the body holds more than 4096 JSON values, one per 16 bytes of its limit (--body-limit)',
  );
  const names = Array.from({ length: 2000 }, (_, i) => `n${i}`);
  const sparse = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod(), Nodes: null, NodeNames: names },
  });
  t.equal(sparse.statusCode, 200, '2000 short names, 9 bytes a value, are well within it');
});

t.test('/v1/reports: its own limit, quoted; refusals that need no body come before it', async (t) => {
  const { app } = testApp({ config: { 'body-limit': '64Ki' } });
  const big = await app.inject({
    method: 'POST',
    url: '/v1/reports',
    headers: { 'content-type': 'application/json' },
    payload: Buffer.alloc(3 * 2 ** 20, 0x20),
  });
  t.equal(big.statusCode, 413);
  t.equal(
    big.json<{ message: string }>().message,
    'body larger than the limit of 2097152 bytes (the fixed limit of POST /v1/reports)',
    'the route limit, not --body-limit',
  );
  const fits = await app.inject({ method: 'POST', url: '/v1/reports', payload: { items: [report('a'), report('b')] } });
  t.equal(fits.statusCode, 200, 'a report batch over --body-limit but within the route limit is accepted');

  const off = testApp({ config: { 'reports-push': false } });
  const offPort = await listen(off.app);
  t.teardown(() => off.app.close());
  const disabled = await sendUntilAnswered(offPort, jsonHead('/v1/reports', 2 ** 20), Buffer.alloc(0), 0);
  t.match(disabled.head, /^HTTP\/1\.1 403/);
  t.match(JSON.parse(disabled.body), { code: 'BERTH_ERR_REPORTS_DISABLED' });

  let asked = 0;
  const authed = testApp({
    authenticateReport: async (authorization) => {
      asked++;
      return authorization === undefined
        ? { ok: false, status: 401, reason: 'a bearer token is required' }
        : { ok: true };
    },
  });
  const authedPort = await listen(authed.app);
  t.teardown(() => authed.app.close());
  const anonymous = await sendUntilAnswered(authedPort, jsonHead('/v1/reports', 2 ** 20), Buffer.alloc(0), 0);
  t.match(anonymous.head, /^HTTP\/1\.1 401/);
  t.match(JSON.parse(anonymous.body), { code: 'BERTH_ERR_UNAUTHENTICATED', message: /a bearer token is required/ });
  t.equal(asked, 1, 'the authenticator was asked about the request without credentials, before its body');
});

t.test('while draining, every answer tells the client to close and reconnect', async (t) => {
  const { deps } = testApp({ reports: [report('a')] });
  let draining = false;
  const { buildApp } = await import('../../../server/http/app.ts');
  const app = buildApp({ ...deps, shuttingDown: () => draining });
  const body = { Pod: pod(), Nodes: null, NodeNames: ['a'] };
  const before = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: body });
  t.not(before.headers.connection, 'close', 'kept alive normally');
  draining = true;
  for (const [method, url, payload] of [
    ['POST', '/scheduler/filter', body],
    ['POST', '/scheduler/prioritize', body],
    ['POST', '/scheduler/filter', 'not json'],
    ['GET', '/readyz', undefined],
    ['GET', '/nowhere', undefined],
  ] as const) {
    const res = await app.inject({ method, url, payload, headers: { 'content-type': 'application/json' } });
    t.equal(res.headers.connection, 'close', `${method} ${url} → ${res.statusCode} carries Connection: close`);
  }
});

/** Opens a connection that sends nothing and resolves with what the server said before closing it. */
async function silentConnection(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let said = '';
  socket.on('data', (d: Buffer) => {
    said += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  return {
    socket,
    closed: new Promise((resolve) =>
      socket.on('close', () => {
        resolve(said);
      }),
    ),
  };
}

t.test('a connection that never sends a request is closed after --request-timeout', async (t) => {
  const { app } = testApp({ config: { 'request-timeout': '1s' } });
  const port = await listen(app);
  t.teardown(() => app.close());
  // A kept-alive connection that has finished a request is idle, not slow: it stays for --keep-alive-timeout.
  const kept = connect(port, '127.0.0.1');
  await once(kept, 'connect');
  kept.write('GET /healthz HTTP/1.1\r\nHost: berth\r\n\r\n');
  await once(kept, 'data');
  let keptClosed = false;
  kept.on('close', () => (keptClosed = true));
  const silent = await silentConnection(port);
  t.match(await silent.closed, /^HTTP\/1\.1 408 Request Timeout/, 'the silent connection got a 408 and was closed');
  t.notOk(keptClosed, 'the idle kept-alive connection, opened earlier, is still open');
  kept.destroy();
});

t.test('--max-connections: connections past the cap are closed as they arrive', async (t) => {
  const { app } = testApp({ config: { 'max-connections': '3' } });
  const port = await listen(app);
  t.teardown(() => app.close());
  const open: Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    s.write('GET /healthz HTTP/1.1\r\nHost: berth\r\n\r\n');
    await once(s, 'data');
    open.push(s);
  }
  const extra = await silentConnection(port);
  t.equal(await extra.closed, '', 'the fourth connection was closed without an answer');
  open.pop()?.destroy();
  // Once the server has seen a slot free, a new connection is served again.
  let served = false;
  while (!served) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await once(s, 'connect');
    s.write('GET /healthz HTTP/1.1\r\nHost: berth\r\n\r\n');
    const [event] = await Promise.race([once(s, 'data').then(() => ['data']), once(s, 'close').then(() => ['close'])]);
    served = event === 'data';
    s.destroy();
  }
  t.ok(served, 'a freed slot is used again');
  for (const s of open) s.destroy();
});
