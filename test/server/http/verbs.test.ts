import t from 'tap';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { GiB, pod, report, testApp } from '../../helpers/builders.ts';

const reports = [
  report('roomy', { pools: [['nvme0', 800, 1000]] }),
  report('tight', { pools: [['nvme0', 120, 1000]] }),
  report('slow', { pools: [['nvme0', 900, 1000]], nics: [{ name: 'eth0', speedBps: 1e9, rxBps: 0, txBps: 0 }] }),
];

t.test('filter in node-names mode', async (t) => {
  const { app } = testApp({ reports });
  const res = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: {
      Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '200Gi', [ANNOTATIONS.minBandwidth]: '10G' }),
      Nodes: null,
      NodeNames: ['tight', 'roomy', 'slow', 'ghost'],
    },
  });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const body = res.json<Record<string, unknown>>();
  t.same(body, {
    NodeNames: ['roomy'],
    Nodes: null,
    FailedNodes: { slow: 'needs 10Gbit/s bandwidth; most headroom on a candidate: 1Gbit/s' },
    FailedAndUnresolvableNodes: {
      tight: 'needs 200Gi NVMe; most free on a candidate: 120Gi in one pool',
      ghost: 'no report from berth agent',
    },
    Error: '',
  });
});

t.test('filter in full-nodes mode answers with Nodes', async (t) => {
  const { app } = testApp({ reports, config: { 'accept-full-nodes': true } });
  const items = ['tight', 'roomy'].map((name) => ({
    metadata: { name, labels: { keep: 'me' } },
    spec: {},
    status: { daemonEndpoints: { kubeletEndpoint: { Port: 0 } } },
  }));
  const res = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '200Gi' }), Nodes: { metadata: {}, items }, NodeNames: null },
  });
  t.equal(res.statusCode, 200);
  const body = res.json<{ Nodes: { items: unknown[] }; NodeNames: unknown }>();
  t.equal(body.NodeNames, null);
  t.same(body.Nodes.items, [items[1]], 'the surviving Node object, unchanged');
});

t.test('prioritize returns a top-level array of integer scores', async (t) => {
  const { app } = testApp({ reports });
  const res = await app.inject({
    method: 'POST',
    url: '/scheduler/prioritize',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '100Gi' }), Nodes: null, NodeNames: ['roomy', 'tight', 'slow'] },
  });
  t.equal(res.statusCode, 200);
  const body = res.json<{ Host: string; Score: number }[]>();
  t.ok(Array.isArray(body));
  t.same(
    body.map((h) => h.Host),
    ['roomy', 'tight', 'slow'],
  );
  for (const h of body) t.ok(Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10, `${h.Host} score ${h.Score}`);
  t.match(res.body, /"Score":\d+[,}]/, 'integers on the wire, never 7.0');
  const [roomy, tight, slow] = body;
  t.ok(
    (slow?.Score ?? 0) > (tight?.Score ?? 0) && (roomy?.Score ?? 0) > (tight?.Score ?? 0),
    'spread prefers more free NVMe',
  );
});

t.test('pods without needs take the fast path', async (t) => {
  const { app, deps } = testApp({ reports });
  const names = ['roomy', 'ghost', 'tight'];
  const f = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod(), Nodes: null, NodeNames: names },
  });
  t.same(
    f.json(),
    { NodeNames: names, Nodes: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' },
    'even unknown nodes pass',
  );
  const p = await app.inject({
    method: 'POST',
    url: '/scheduler/prioritize',
    payload: { Pod: pod(), Nodes: null, NodeNames: names },
  });
  t.same(p.json(), []);
  const metrics = await deps.metrics.registry.metrics();
  t.match(metrics, /berth_fast_path_total\{verb="filter"\} 1/);
  t.match(metrics, /berth_fast_path_total\{verb="prioritize"\} 1/);
});

t.test('invalid annotations reject every node with the reason, and score nothing', async (t) => {
  const { app } = testApp({ reports });
  const f = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: 'lots' }), Nodes: null, NodeNames: ['roomy', 'tight'] },
  });
  t.equal(f.statusCode, 200);
  const body = f.json<{ NodeNames: string[]; FailedAndUnresolvableNodes: Record<string, string> }>();
  t.same(body.NodeNames, [], 'an empty list, not null: null would read as an error-free reject too, but be explicit');
  t.match(body.FailedAndUnresolvableNodes['roomy'], /invalid annotation berth\.io\/nvme-capacity="lots"/);
  const p = await app.inject({
    method: 'POST',
    url: '/scheduler/prioritize',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: 'lots' }), Nodes: null, NodeNames: ['roomy'] },
  });
  t.same(p.json(), []);
});

t.test('the prefix is configurable', async (t) => {
  const { app } = testApp({ reports, config: { prefix: '/berth/v1' } });
  const ok = await app.inject({
    method: 'POST',
    url: '/berth/v1/filter',
    payload: { Pod: pod(), Nodes: null, NodeNames: ['a'] },
  });
  t.equal(ok.statusCode, 200);
  const old = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod(), Nodes: null, NodeNames: ['a'] },
  });
  t.equal(old.statusCode, 404);
  t.match(old.json(), { code: 'BERTH_ERR_NOT_FOUND' });
});

t.test('metrics count requests, nodes per call and rejections', async (t) => {
  const { app } = testApp({ reports });
  await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '500Gi' }), Nodes: null, NodeNames: ['tight', 'roomy', 'ghost'] },
  });
  const m = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(m.statusCode, 200);
  t.match(m.body, /berth_extender_request_duration_seconds_bucket\{le="0.0005",verb="filter",code="200"\}/);
  t.match(m.body, /berth_extender_nodes_per_call_sum\{verb="filter"\} 3/);
  t.match(m.body, /berth_filter_rejections_total\{reason="nvme_capacity"\} 1/);
  t.match(m.body, /berth_filter_rejections_total\{reason="no_report"\} 1/);
  t.match(m.body, /berth_extender_request_bytes_count\{verb="filter"\} 1/);
  t.match(m.body, /berth_report_age_seconds\{node="roomy"\} 0/);
  t.match(m.body, /berth_reports\{state="fresh"\} 3/);
  t.match(m.body, new RegExp(`berth_node_nvme_free_bytes\\{node="roomy"\\} ${800 * GiB}`));
  t.notMatch(m.body, /verb="probe"/, 'probes are not counted as scheduler traffic');
});

t.test(
  'prioritize after filter gives the same scores as prioritize alone, and a new report invalidates them',
  async (t) => {
    const { app, store, clock } = testApp({ reports });
    const body = {
      Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '100Gi' }),
      Nodes: null,
      NodeNames: ['roomy', 'tight', 'slow'],
    };
    const alone = (await app.inject({ method: 'POST', url: '/scheduler/prioritize', payload: body })).json<unknown>();
    await app.inject({ method: 'POST', url: '/scheduler/filter', payload: body });
    const after = (await app.inject({ method: 'POST', url: '/scheduler/prioritize', payload: body })).json<unknown>();
    t.same(after, alone);
    await app.inject({ method: 'POST', url: '/scheduler/filter', payload: body });
    store.ingest(report('roomy', { sequence: 2, pools: [['nvme0', 110, 1000]] }), clock.now());
    const changed = (await app.inject({ method: 'POST', url: '/scheduler/prioritize', payload: body })).json<
      { Host: string; Score: number }[]
    >();
    t.equal(changed.find((h) => h.Host === 'roomy')?.Score, 0, 'the new report is used, not the remembered score');
  },
);

t.test("at debug level, filter logs each rejected node's own figures (the answer carries shared texts)", async (t) => {
  const lines: string[] = [];
  const stream = { write: (line: string) => lines.push(line) };
  const { app, store, clock } = testApp({ config: { 'log-level': 'debug' }, logger: { level: 'debug', stream } });
  store.ingest(report('tight', { pools: [['nvme0', 120, 1000]] }), clock.now());
  const res = await app.inject({
    method: 'POST',
    url: '/scheduler/filter',
    payload: { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '200Gi' }), Nodes: null, NodeNames: ['tight', 'ghost'] },
  });
  t.equal(res.statusCode, 200);
  const entry = lines
    .map((l) => JSON.parse(l) as { msg: string; nodes?: Record<string, string> })
    .find((l) => l.msg === 'filter rejections');
  t.same(entry?.nodes, { tight: '120Gi free in pool nvme0', ghost: 'no report from berth agent' });
});
