/**
 * HTTP publisher against a real server on 127.0.0.1, and the latest-wins sender's retry/backoff with an
 * injected clock (sleeps are recorded and released by the test, the HTTP traffic is real).
 */
import t from 'tap';
import { writeFile, rename } from 'node:fs/promises';
import { BearerTokenFile } from '../../../server/agent/bearer-token.ts';
import { HttpReportPublisher } from '../../../server/agent/publish/http-publisher.ts';
import { LatestWinsSender, type PublishOutcome } from '../../../server/agent/publish/latest-wins-sender.ts';
import { isPublishError } from '../../../server/agent/publish/publisher.ts';
import type { BerthError } from '../../../lib/core/errors.ts';
import { localServer, ManualClock, reportNumber, seededRandom, settle } from '../../fixtures/agent/helpers.ts';
import { waitFor } from '../../helpers/wait.ts';

const never = new AbortController().signal;

t.test('HttpReportPublisher: status handling', async (t) => {
  const cases: { name: string; status: number; body: string; ok: boolean; message?: RegExp; code?: string | null }[] = [
    { name: '200 accepted', status: 200, body: '{}', ok: true },
    { name: '202 accepted', status: 202, body: '', ok: true },
    {
      name: '400 with code and message',
      status: 400,
      body: '{"code":"BERTH_ERR_BAD_REPORT","message":"pools[0].freeBytes: must be ≤ capacityBytes"}',
      ok: false,
      message: /HTTP 400: BERTH_ERR_BAD_REPORT: pools\[0\]\.freeBytes/,
      code: 'BERTH_ERR_BAD_REPORT',
    },
    { name: '503 plain text', status: 503, body: 'overloaded', ok: false, message: /HTTP 503: overloaded/, code: null },
    { name: '404', status: 404, body: '', ok: false, message: /HTTP 404$/, code: null },
  ];
  for (const c of cases) {
    const server = await localServer((_req, res) => {
      res.writeHead(c.status, { 'content-type': 'application/json' }).end(c.body);
    });
    const pub = new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 2000 });
    const report = reportNumber(7);
    try {
      await pub.publish(report, never);
      t.ok(c.ok, `${c.name}: resolved`);
    } catch (err) {
      t.notOk(c.ok, `${c.name}: rejected`);
      t.ok(isPublishError(err));
      t.match((err as BerthError).message, c.message ?? /./, `${c.name}: message`);
      t.equal((err as BerthError).upstream?.status, c.status);
      t.equal((err as BerthError).upstream?.code, c.code ?? null);
    }
    const got = server.received[0];
    t.equal(got?.method, 'POST');
    t.equal(got?.url, '/v1/reports');
    t.equal(got?.headers['content-type'], 'application/json');
    t.same(JSON.parse(got?.body ?? 'null'), report, `${c.name}: body is the report`);
    t.equal(got?.headers.authorization, undefined, 'no token configured: no header');
    await server.close();
  }
});

t.test('HttpReportPublisher: refused connection and timeout are publish errors (BERTH_ERR_PUBLISH)', async (t) => {
  const server = await localServer(() => {
    /* never answers */
  });
  const slow = new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 150 });
  await t.rejects(slow.publish(reportNumber(1), never), {
    name: 'BerthError',
    code: 'BERTH_ERR_PUBLISH',
    message: /POST \/v1\/reports: .*(timeout|aborted)/i,
  });
  const url = server.url;
  await server.close();
  const down = new HttpReportPublisher({ extender: url, token: null, timeoutMs: 1000 });
  await t.rejects(down.publish(reportNumber(1), never), {
    name: 'BerthError',
    code: 'BERTH_ERR_PUBLISH',
    message: /ECONNREFUSED/,
  });
});

t.test('bearer token from a file, re-read when it changes', async (t) => {
  const dir = t.testdir({ token: 'first-token\n' });
  const server = await localServer((_req, res) => {
    res.writeHead(202).end();
  });
  t.teardown(() => server.close());
  const token = new BearerTokenFile(`${dir}/token`);
  const pub = new HttpReportPublisher({ extender: server.url, token, timeoutMs: 2000 });
  await pub.publish(reportNumber(1), never);
  // The kubelet swaps the file atomically; do the same (new inode).
  await writeFile(`${dir}/token.new`, 'second-token');
  await rename(`${dir}/token.new`, `${dir}/token`);
  await pub.publish(reportNumber(2), never);
  t.same(
    server.received.map((r) => r.headers.authorization),
    ['Bearer first-token', 'Bearer second-token'],
  );
  await writeFile(`${dir}/token`, '  \n');
  await t.rejects(
    pub.publish(reportNumber(3), never),
    /token file .* is empty/,
    'an empty token is an error, not an empty header',
  );
  t.equal(server.received.length, 2, 'nothing sent without a token');
});

t.test('LatestWinsSender: retries with capped jittered backoff, and the retry carries the newest report', async (t) => {
  let failuresLeft = 3;
  const server = await localServer((_req, res) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503).end('down');
    } else res.writeHead(202).end();
  });
  t.teardown(() => server.close());
  const clock = new ManualClock();
  const outcomes: PublishOutcome[] = [];
  const sender = new LatestWinsSender({
    publisher: new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 2000 }),
    retryBaseMs: 1000,
    retryMaxMs: 3000,
    sleep: clock.sleep,
    random: seededRandom(7),
    onOutcome: (o) => outcomes.push(o),
  });
  sender.offer(reportNumber(1));
  await waitFor(() => clock.waiting === 1, { timeoutMs: 5000, description: 'first backoff' });
  t.equal(server.received.length, 1, 'first attempt went out');
  sender.offer(reportNumber(2)); // newer state arrives while backing off
  sender.offer(reportNumber(3));
  t.equal(server.received.length, 1, 'new offers do not cut the backoff short');
  t.equal(sender.pending?.agent.sequence, 3, 'only the newest waits');
  for (let i = 0; i < 3; i++) {
    await clock.advance(clock.sleeps[clock.sleeps.length - 1] ?? 0);
    await waitFor(() => outcomes.length === i + 2, { timeoutMs: 5000, description: `attempt ${i + 2}` });
  }
  await sender.idle();
  const seqs = server.received.map((r) => (JSON.parse(r.body) as { agent: { sequence: number } }).agent.sequence);
  t.same(seqs, [1, 3, 3, 3], 'after the first failure every retry sends the newest report (3), never the stale 1 or 2');
  t.same(
    outcomes.map((o) => [o.ok, o.attempt]),
    [
      [false, 1],
      [false, 2],
      [false, 3],
      [true, 4],
    ],
  );
  const delays = clock.sleeps;
  t.equal(delays.length, 3, 'one backoff per failure');
  const bounds = [
    [500, 1000],
    [1000, 2000],
    [1500, 3000],
  ]; // base 1 s doubling, capped at 3 s, each in [c/2, c]
  delays.forEach((d, i) => {
    t.ok(
      d >= (bounds[i]?.[0] ?? 0) && d <= (bounds[i]?.[1] ?? 0),
      `backoff ${i + 1}: ${Math.round(d)} ms within ${String(bounds[i])}`,
    );
  });
  t.same(
    outcomes.filter((o) => !o.ok).map((o) => o.retryInMs),
    delays,
    'reported retry delays are the ones slept',
  );
  t.equal(sender.consecutiveFailures, 0);
  t.equal(sender.pending, null, 'nothing left behind');
});

t.test('LatestWinsSender: a report offered during a successful publish is sent right after it', async (t) => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const server = await localServer((_req, res) => {
    if (server.received.length === 1)
      void gate.then(() => {
        res.writeHead(200).end();
      });
    else res.writeHead(200).end();
  });
  t.teardown(() => server.close());
  const clock = new ManualClock();
  const sender = new LatestWinsSender({
    publisher: new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 2000 }),
    retryBaseMs: 100,
    retryMaxMs: 100,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  sender.offer(reportNumber(1));
  await waitFor(() => server.received.length === 1, { timeoutMs: 5000, description: 'first request' });
  sender.offer(reportNumber(2));
  release();
  await sender.idle();
  t.same(
    server.received.map((r) => (JSON.parse(r.body) as { agent: { sequence: number } }).agent.sequence),
    [1, 2],
  );
  t.equal(clock.sleeps.length, 0, 'no backoff on success');
});

t.test('LatestWinsSender.stop: ends the backoff and makes one final attempt with the newest report', async (t) => {
  let up = false;
  const server = await localServer((_req, res) => {
    res.writeHead(up ? 202 : 503).end();
  });
  t.teardown(() => server.close());
  const clock = new ManualClock();
  const sender = new LatestWinsSender({
    publisher: new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 2000 }),
    retryBaseMs: 60_000,
    retryMaxMs: 60_000,
    sleep: clock.sleep,
    random: () => 0,
  });
  sender.offer(reportNumber(1));
  await waitFor(() => clock.waiting === 1, { timeoutMs: 5000, description: 'backoff' });
  sender.offer(reportNumber(2));
  up = true;
  const flushed = await sender.stop(2000);
  t.ok(flushed, 'final attempt succeeded');
  t.same(
    server.received.map((r) => (JSON.parse(r.body) as { agent: { sequence: number } }).agent.sequence),
    [1, 2],
  );
  sender.offer(reportNumber(3));
  await settle();
  t.equal(server.received.length, 2, 'offers after stop are ignored');
  const again = new LatestWinsSender({
    publisher: new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 2000 }),
    retryBaseMs: 1,
    retryMaxMs: 1,
    sleep: clock.sleep,
    random: () => 0,
  });
  t.ok(await again.stop(100), 'nothing pending: trivially flushed');
});

t.test('LatestWinsSender.stop: gives up on a hung extender after the deadline', async (t) => {
  const server = await localServer(() => {
    /* accepts the request, never answers */
  });
  t.teardown(() => server.close());
  const clock = new ManualClock();
  const outcomes: PublishOutcome[] = [];
  const sender = new LatestWinsSender({
    publisher: new HttpReportPublisher({ extender: server.url, token: null, timeoutMs: 60_000 }),
    retryBaseMs: 100,
    retryMaxMs: 100,
    sleep: clock.sleep,
    random: () => 0,
    onOutcome: (o) => outcomes.push(o),
  });
  sender.offer(reportNumber(1));
  await waitFor(() => server.received.length === 1, { timeoutMs: 5000, description: 'request in flight' });
  let settled = false;
  const stopping = sender.stop(3000).then((v) => {
    settled = true;
    return v;
  });
  await settle();
  t.notOk(settled, 'waits for the publish in flight');
  await clock.advance(3000);
  t.equal(await stopping, false, 'deadline passed: reported as not flushed');
  t.ok(
    outcomes.length >= 1 && outcomes.every((o) => !o.ok),
    'the abandoned publish is recorded as a failure, not silently dropped',
  );
});
