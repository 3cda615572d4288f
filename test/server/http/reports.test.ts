import t from 'tap';
import { report, testApp } from '../../helpers/builders.ts';

t.test('a valid report is ingested and visible', async (t) => {
  const { app, store } = testApp();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/reports',
    payload: report('node-a', { probe: '127.0.0.1:7070', zone: 'z1' }),
  });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { accepted: 1, duplicate: 0 });
  t.equal(store.size, 1);
  const again = await app.inject({ method: 'POST', url: '/v1/reports', payload: report('node-a') });
  t.same(again.json(), { accepted: 0, duplicate: 1 }, 'a replayed sequence is acknowledged but not applied');
  const list = await app.inject({ method: 'GET', url: '/v1/reports' });
  t.match(list.json(), { items: [{ node: 'node-a', zone: 'z1', stale: false, nvmeFreeBytes: 500 * 2 ** 30 }] });
  const peers = await app.inject({ method: 'GET', url: '/v1/peers' });
  t.same(peers.json(), { peers: [{ node: 'node-a', zone: 'z1', probe: '127.0.0.1:7070' }] });
  const etag = peers.headers.etag;
  t.type(etag, 'string');
  const unchanged = await app.inject({ method: 'GET', url: '/v1/peers', headers: { 'if-none-match': String(etag) } });
  t.equal(unchanged.statusCode, 304, 'an unchanged list is not sent again');
  await app.inject({ method: 'POST', url: '/v1/reports', payload: report('node-b', { probe: '127.0.0.1:7071' }) });
  const changed = await app.inject({ method: 'GET', url: '/v1/peers', headers: { 'if-none-match': String(etag) } });
  t.equal(changed.statusCode, 200, 'a new peer changes the ETag');
  t.equal(changed.json<{ peers: unknown[] }>().peers.length, 2);
});

t.test('a batch is all or nothing', async (t) => {
  const { app, store } = testApp();
  const bad = {
    ...report('node-b'),
    pools: [{ name: 'p', kind: 'mount', capacityBytes: 1, freeBytes: 2, device: null, deviceModel: null, nvme: true }],
  };
  const res = await app.inject({ method: 'POST', url: '/v1/reports', payload: { items: [report('node-a'), bad] } });
  t.equal(res.statusCode, 400);
  t.match(res.json(), {
    code: 'BERTH_ERR_BAD_REPORT',
    message: /items\[1\]\.pools\[0\]\.freeBytes: must be ≤ capacityBytes/,
  });
  t.equal(store.size, 0, 'the valid report in the bad batch was not applied');
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/reports',
    payload: { items: [report('node-a'), report('node-b')] },
  });
  t.same(ok.json(), { accepted: 2, duplicate: 0 });
});

t.test('bad reports: 400 naming the field, counted, and the previous report kept', async (t) => {
  const { app, store, deps } = testApp({ reports: [report('node-a', { pools: [['p', 7, 10]] })] });
  const cases: [unknown, RegExp][] = [
    [{ ...report('node-a', { sequence: 2 }), apiVersion: 'berth.io/v0' }, /apiVersion: must be "berth.io\/v1alpha1"/],
    [{ ...report('node-a', { sequence: 2 }), nics: 'eth0' }, /nics: must be an array, got string/],
    [{ items: 'x' }, /items: must be an array/],
    [[], /must be an object, got array/],
  ];
  for (const [payload, want] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/reports',
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    t.equal(res.statusCode, 400);
    t.match(res.json<{ message: string }>().message, want);
  }
  t.equal(store.get('node-a')?.nvmeFreeBytes, 7 * 2 ** 30, 'nothing lost');
  t.match(await deps.metrics.registry.metrics(), /berth_reports_ingested_total\{result="invalid"\} 4/);
});

t.test('push can be turned off, and an authenticator can refuse', async (t) => {
  const off = testApp({ config: { 'reports-push': false } });
  const res = await off.app.inject({ method: 'POST', url: '/v1/reports', payload: report('node-a') });
  t.equal(res.statusCode, 403);
  t.match(res.json(), { code: 'BERTH_ERR_REPORTS_DISABLED' });
  const guarded = testApp({
    authenticateReport: async (authorization, node) =>
      authorization === 'Bearer good' && node === 'node-a'
        ? { ok: true }
        : authorization === undefined
          ? { ok: false, status: 401, reason: 'no token' }
          : { ok: false, status: 403, reason: `token may not report for ${node}` },
  });
  t.equal(
    (await guarded.app.inject({ method: 'POST', url: '/v1/reports', payload: report('node-a') })).statusCode,
    401,
  );
  const wrongNode = await guarded.app.inject({
    method: 'POST',
    url: '/v1/reports',
    payload: report('node-b'),
    headers: { authorization: 'Bearer good' },
  });
  t.equal(wrongNode.statusCode, 403);
  t.match(wrongNode.json(), { message: /may not report for node-b/ });
  t.equal(
    (
      await guarded.app.inject({
        method: 'POST',
        url: '/v1/reports',
        payload: report('node-a'),
        headers: { authorization: 'Bearer good' },
      })
    ).statusCode,
    200,
  );
  t.equal(guarded.store.size, 1);
});
