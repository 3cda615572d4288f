import t from 'tap';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import type { ClusterView } from '../../../lib/extender/ports.ts';
import { GiB, pod, report, testApp } from '../../helpers/builders.ts';

t.test('readiness follows report freshness and cluster sync', async (t) => {
  const { app, store, clock } = testApp({ config: { 'report-ttl': '60s' } });
  const empty = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(empty.statusCode, 503);
  t.match(empty.json(), { ready: false, reasons: ['no node report received yet'] });
  store.ingest(report('a'), clock.now());
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  clock.advance(61_000);
  const stale = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(stale.statusCode, 503);
  t.match(stale.json(), { reasons: ['all 1 node reports are stale'], reports: { fresh: 0, stale: 1 } });
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness does not depend on data');
  const unsynced: ClusterView = {
    claimVolumes: () => [],
    peerNodes: () => [],
    reservations: () => new Map(),
    readiness: () => ({ ready: false, reason: 'informers not synced' }),
  };
  const k = testApp({ cluster: unsynced, reports: [report('a')] });
  t.match((await k.app.inject({ method: 'GET', url: '/readyz' })).json(), {
    ready: false,
    reasons: ['informers not synced'],
  });
});

t.test('explain shows the per-node breakdown behind filter and prioritize', async (t) => {
  const { app } = testApp({
    reports: [report('a', { pools: [['nvme0', 600, 1000]] }), report('b', { pools: [['nvme0', 100, 1000]] })],
  });
  const body = {
    Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '200Gi' }, { name: 'pg-0', namespace: 'db' }),
    Nodes: null,
    NodeNames: ['a', 'b'],
  };
  const ex = await app.inject({ method: 'POST', url: '/v1/explain', payload: body });
  t.equal(ex.statusCode, 200);
  const e = ex.json<{
    pod: unknown;
    needs: { nvme: string };
    nodes: {
      node: string;
      passed: boolean;
      score: number | null;
      terms: { capacity: number | null };
      list: string | null;
      reason: string | null;
      detail: string | null;
    }[];
  }>();
  t.same(e.pod, { namespace: 'db', name: 'pg-0' });
  t.equal(e.needs.nvme, '200Gi in 1 volume(s)');
  const [a, b] = e.nodes;
  t.match(a, { node: 'a', passed: true, terms: { capacity: 0.4 } });
  t.match(b, {
    node: 'b',
    passed: false,
    list: 'FailedAndUnresolvableNodes',
    reason: 'needs 200Gi NVMe; most free on a candidate: 100Gi in one pool',
    detail: '100Gi free in pool nvme0',
  });
  const p = await app.inject({ method: 'POST', url: '/scheduler/prioritize', payload: { ...body, NodeNames: ['a'] } });
  t.equal(p.json<{ Score: number }[]>()[0]?.Score, a?.score, "explain's score is the score prioritize returns");
});

t.test('GET explain builds a pod from query parameters', async (t) => {
  const { app } = testApp({
    reports: [report('a', { pools: [['nvme0', 600, 1000]] }), report('b', { pools: [['nvme0', 10, 1000]] })],
  });
  const res = await app.inject({ method: 'GET', url: '/v1/explain?nvme=100Gi&bandwidth=1G' });
  t.equal(res.statusCode, 200);
  const e = res.json<{ nodes: { node: string; passed: boolean; facts: { freeAfterBytes: number | null } }[] }>();
  t.same(
    e.nodes.map((n) => [n.node, n.passed]),
    [
      ['a', true],
      ['b', false],
    ],
    'all known nodes, sorted',
  );
  t.equal(e.nodes[0]?.facts.freeAfterBytes, 500 * GiB);
  const bad = await app.inject({ method: 'GET', url: '/v1/explain?disk=1Gi' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { message: /unknown query parameter "disk"/ });
  const invalid = await app.inject({ method: 'GET', url: '/v1/explain?nvme=lots' });
  t.match(invalid.json(), { error: /invalid annotation berth.io\/nvme-capacity="lots"/ });
});

t.test(
  'filter refuses pods with needs only until the first sync; later outages answer from what berth has',
  async (t) => {
    let synced = false;
    let up = true;
    const cluster: ClusterView = {
      claimVolumes: () => [],
      peerNodes: () => [],
      reservations: () => new Map(),
      readiness: () => (up ? { ready: true, reason: '' } : { ready: false, reason: 'pods informer down' }),
      initialSync: () =>
        synced ? { done: true, reason: '' } : { done: false, reason: 'pods informer not synced yet' },
    };
    const { app } = testApp({ cluster, reports: [report('a')] });
    const body = { Pod: pod({ [ANNOTATIONS.nvmeCapacity]: '1Gi' }), Nodes: null, NodeNames: ['a'] };
    const before = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: body });
    t.equal(before.statusCode, 503);
    t.match(before.json(), { code: 'BERTH_ERR_NOT_READY', message: /pods informer not synced yet/ });
    synced = true;
    up = false;
    const during = await app.inject({ method: 'POST', url: '/scheduler/filter', payload: body });
    t.equal(during.statusCode, 200, 'an informer outage after the first sync still gets answers');
    t.same(during.json<{ NodeNames: string[] }>().NodeNames, ['a']);
    t.equal(
      (await app.inject({ method: 'GET', url: '/readyz' })).statusCode,
      503,
      'while readiness tells the Service to look elsewhere',
    );
  },
);
