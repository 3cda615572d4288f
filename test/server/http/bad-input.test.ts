import t from 'tap';
import { pod, report, testApp } from '../../helpers/builders.ts';

const json = { 'content-type': 'application/json' };

t.test('malformed bodies get a 4xx naming the problem, never a crash', async (t) => {
  const { app } = testApp({ reports: [report('a')] });
  const cases: [string, string | Buffer, Record<string, string>, number, string, RegExp][] = [
    [
      'truncated JSON',
      '{"Pod": {"metadata": {}}, "NodeNames": ["a"',
      json,
      400,
      'BERTH_ERR_BAD_JSON',
      /not valid JSON/,
    ],
    ['empty body', '', json, 400, 'BERTH_ERR_BAD_JSON', /body is empty/],
    [
      'wrong type',
      JSON.stringify({ Pod: pod(), NodeNames: [1, 2] }),
      json,
      400,
      'BERTH_ERR_BAD_REQUEST',
      /NodeNames\[0\]: must be a string, got number/,
    ],
    [
      'null Pod',
      JSON.stringify({ Pod: null, Nodes: null, NodeNames: ['a'] }),
      json,
      400,
      'BERTH_ERR_BAD_REQUEST',
      /Pod: must be an object, got null/,
    ],
    [
      'null lists',
      JSON.stringify({ Pod: pod(), Nodes: null, NodeNames: null }),
      json,
      400,
      'BERTH_ERR_BAD_REQUEST',
      /one of NodeNames/,
    ],
    ['a JSON string', '"hello"', json, 400, 'BERTH_ERR_BAD_REQUEST', /body: must be an object, got string/],
    [
      'prototype pollution',
      '{"Pod":{"metadata":{}},"NodeNames":["a"],"__proto__":{"polluted":true}}',
      json,
      400,
      'BERTH_ERR_BAD_JSON',
      /forbidden prototype property/,
    ],
    [
      'constructor pollution',
      '{"Pod":{"metadata":{},"constructor":{"prototype":{"x":1}}},"NodeNames":["a"]}',
      json,
      400,
      'BERTH_ERR_BAD_JSON',
      /forbidden prototype property/,
    ],
    [
      'text/plain',
      '{}',
      { 'content-type': 'text/plain' },
      415,
      'BERTH_ERR_MEDIA_TYPE',
      /Content-Type must be application\/json, got "text\/plain"/,
    ],
    [
      'tab-suffixed content type',
      '{}',
      { 'content-type': 'application/json\tx' },
      415,
      'BERTH_ERR_MEDIA_TYPE',
      /Content-Type/,
    ],
    [
      '20k short names',
      JSON.stringify({ Pod: pod(), Nodes: null, NodeNames: Array.from({ length: 20_000 }, (_, i) => `n${i}`) }),
      json,
      400,
      'BERTH_ERR_BAD_REQUEST',
      /NodeNames: must have at most 5000 items \(--max-nodes\)/,
    ],
    [
      'huge body',
      Buffer.alloc(3 * 2 ** 20, 0x20),
      json,
      413,
      'BERTH_ERR_BODY_TOO_LARGE',
      /larger than the limit of 859288 bytes \(--body-limit\)/,
    ],
    [
      'deep body',
      `{"Pod":${'['.repeat(100_000)}`,
      json,
      400,
      'BERTH_ERR_BAD_REQUEST',
      /the body nests deeper than 64 levels \(--max-json-depth\)/,
    ],
  ];
  for (const [name, payload, headers, status, code, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/scheduler/filter', headers, payload });
    t.equal(res.statusCode, status, `${name}: status`);
    const body = res.json<{ code: string; message: string }>();
    t.equal(body.code, code, `${name}: code`);
    t.match(body.message, message, `${name}: message`);
  }
  const still = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod(), Nodes: null, NodeNames: ['a'] },
  });
  t.equal(still.statusCode, 200, 'the server still answers after all of that');
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype was polluted');
});

t.test(
  '100k production-like names: over the default body limit, and over the node limit when that is raised',
  async (t) => {
    const names = Array.from(
      { length: 100_000 },
      (_, i) => `ip-10-${(i >> 16) & 255}-${(i >> 8) & 255}-${i & 255}.ec2.internal`,
    );
    const payload = { Pod: pod(), Nodes: null, NodeNames: names };
    const small = testApp();
    const tooBig = await small.app.inject({ method: 'POST', url: '/scheduler/filter', payload });
    t.equal(tooBig.statusCode, 413);
    t.match(tooBig.json(), { code: 'BERTH_ERR_BODY_TOO_LARGE', message: /larger than the limit of 859288 bytes/ });
    const { app } = testApp({ config: { 'body-limit': '8Mi' } });
    const res = await app.inject({ method: 'POST', url: '/scheduler/filter', payload });
    t.equal(res.statusCode, 400);
    t.match(res.json(), {
      code: 'BERTH_ERR_BAD_REQUEST',
      message: /NodeNames: must have at most 5000 items \(--max-nodes\)/,
    });
  },
);

t.test('unknown nodes are rejected per node, not as a request error', async (t) => {
  const { app } = testApp({ reports: [report('somebody')] });
  const res = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod({ 'berth.io/nvme-capacity': '1Gi' }), Nodes: null, NodeNames: ['nobody'] },
  });
  t.equal(res.statusCode, 200);
  t.same(res.json<{ FailedAndUnresolvableNodes: unknown }>().FailedAndUnresolvableNodes, {
    nobody: 'no report from berth agent',
  });
});

t.test('a full NodeList needs --accept-full-nodes; with it a 5000-node body fits', async (t) => {
  const items = Array.from({ length: 5000 }, (_, i) => ({
    metadata: {
      name: `node-${i}`,
      labels: Object.fromEntries(Array.from({ length: 13 }, (_, k) => [`label-${k}.example.com/key`, `value-${k}`])),
    },
    status: {
      images: Array.from({ length: 50 }, (_, k) => ({
        names: [
          `registry.example.com/team/image-${k}@sha256:${'a'.repeat(64)}`,
          `registry.example.com/team/image-${k}:v1.2.3`,
        ],
        sizeBytes: 123456789,
      })),
    },
  }));
  const payload = JSON.stringify({ Pod: pod(), Nodes: { metadata: {}, items }, NodeNames: null });
  t.ok(payload.length > 20 * 2 ** 20, `a realistic body is tens of MB (${(payload.length / 2 ** 20).toFixed(1)} MiB)`);
  const off = testApp();
  const refused = await off.app.inject({ method: 'POST', url: '/scheduler/filter', headers: json, payload });
  t.equal(refused.statusCode, 413, 'default limit refuses it quickly');
  const on = testApp({ config: { 'accept-full-nodes': true } });
  const res = await on.app.inject({ method: 'POST', url: '/scheduler/filter', headers: json, payload });
  t.equal(res.statusCode, 200);
  t.equal(res.json<{ Nodes: { items: unknown[] } }>().Nodes.items.length, 5000);
});

t.test(
  'before any report arrived, filter refuses pods with needs with a 503 so kube-scheduler retries soon',
  async (t) => {
    const { app, store, clock } = testApp();
    const withNeeds = { Pod: pod({ 'berth.io/nvme-capacity': '1Gi' }), Nodes: null, NodeNames: ['a'] };
    const early = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: withNeeds });
    t.equal(early.statusCode, 503);
    t.match(early.json(), { code: 'BERTH_ERR_NOT_READY', message: /no node report received since start/ });
    const plain = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: { ...withNeeds, Pod: pod() } });
    t.equal(plain.statusCode, 200, 'a pod without needs is never refused');
    store.ingest(report('a'), clock.now());
    t.equal((await app.inject({ method: 'POST', url: '/scheduler/filter', payload: withNeeds })).statusCode, 200);
  },
);
