/**
 * The explain glue on in-memory objects shaped as the API server returns them: report freshness from the status
 * write time (as the extender's informer judges it), missing and invalid reports, needs from claims, peers from
 * the namespace's pods, reservations for claims being provisioned, and an invalid annotation.
 */
import t from 'tap';
import { nodeReportObject } from '../../../lib/core/node-report-resource.ts';
import { SELECTED_NODE } from '../../../lib/cluster/claim-volumes.ts';
import { judge, type ClusterSnapshot } from '../../../server/explain/engine.ts';
import { config, pod, report } from '../../helpers/builders.ts';

const NOW = Date.parse('2026-11-21T10:00:00Z');

function reportObject(node: string, writtenSecondsAgo: number, spec: Parameters<typeof report>[1] = {}): unknown {
  const o = nodeReportObject(report(node, spec), { name: node, uid: `uid-${node}` });
  const time = new Date(NOW - writtenSecondsAgo * 1000).toISOString();
  return {
    ...o,
    metadata: { ...o.metadata, managedFields: [{ manager: 'berth-agent', subresource: 'status', time }] },
  };
}

function claim(name: string, o: { selectedNode?: string; storage?: string; namespace?: string } = {}): unknown {
  return {
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      annotations: o.selectedNode ? { [SELECTED_NODE]: o.selectedNode } : {},
    },
    spec: { storageClassName: 'local-nvme', resources: { requests: { storage: o.storage ?? '100Gi' } } },
  };
}

const cfg = config({ kube: true, 'report-ttl': '60s', 'nvme-storage-classes': 'local-nvme' });

function snapshot(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    pod: pod({ 'berth.io/nvme-capacity': '200Gi' }),
    nodes: ['a', 'b', 'c', 'd'],
    reports: [
      reportObject('a', 5, { pools: [['nvme0', 800, 1000]] }),
      reportObject('b', 61, { pools: [['nvme0', 800, 1000]] }),
      {
        apiVersion: 'berth.io/v1alpha1',
        kind: 'NodeReport',
        metadata: { name: 'c' },
        status: { node: 'c', pools: 'x' },
      },
    ],
    claims: [],
    classes: [],
    pods: [],
    ...over,
  };
}

t.test('report states: fresh, stale past --report-ttl, invalid, missing', async (t) => {
  const { explanation, reports } = judge(snapshot(), cfg, NOW);
  t.match(reports.get('a'), { state: 'fresh', ageMs: 5_000 });
  t.match(reports.get('b'), { state: 'stale', ageMs: 61_000 });
  t.match(reports.get('c'), { state: 'invalid', problem: /pools/ });
  t.same(reports.get('d'), { state: 'missing' });
  t.same(
    explanation?.nodes.map((n) => [n.node, n.passed, n.code]),
    [
      ['a', true, null],
      ['b', false, 'report_stale'],
      ['c', false, 'no_report'],
      ['d', false, 'no_report'],
    ],
    'the verdicts the extender gives for those',
  );
});

t.test('a write time in the future (API server clock ahead) counts as now, as in the extender', async (t) => {
  const { reports } = judge(snapshot({ reports: [reportObject('a', -30)] }), cfg, NOW);
  t.match(reports.get('a'), { state: 'fresh', ageMs: 0 });
});

t.test('needs from claims, reservations for claims being provisioned, peers from the namespace', async (t) => {
  const target = pod({ 'berth.io/max-peer-latency': '1ms' }, { name: 'db-1', ownerUid: 'sts' });
  (target['spec'] as Record<string, unknown>)['volumes'] = [
    { name: 'd', persistentVolumeClaim: { claimName: 'data-db-1' } },
  ];
  const peer = pod({}, { name: 'db-0', ownerUid: 'sts' });
  (peer['spec'] as Record<string, unknown>)['nodeName'] = 'b';
  const { explanation } = judge(
    snapshot({
      pod: target,
      nodes: ['a', 'b'],
      reports: [
        reportObject('a', 1, { pools: [['nvme0', 250, 1000]], peers: [['b', 3000]] }),
        reportObject('b', 1, { pools: [['nvme0', 250, 1000]] }),
      ],
      // Elsewhere, a claim of 200Gi is being provisioned on b: berth holds it there.
      claims: [
        claim('data-db-1', { storage: '100Gi' }),
        claim('other', { selectedNode: 'b', storage: '200Gi', namespace: 'x' }),
      ],
      pods: [target, peer],
    }),
    cfg,
    NOW,
  );
  t.equal(explanation?.needs.nvme, '100Gi in 1 volume(s)', "the pod's unbound local-NVMe claim");
  t.same(explanation?.peerNodes, ['b'], 'its peer, by controller');
  t.same(
    explanation?.nodes.map((n) => [n.node, n.code, n.reason, n.detail]),
    [
      [
        'a',
        'peer_latency',
        'needs ≤ 1ms to peers; nearest candidate: 3ms to its furthest peer',
        '3ms to b (limit 1ms)',
      ],
      [
        'b',
        'nvme_capacity',
        'needs 100Gi NVMe; most free on a candidate: 50Gi in one pool',
        '50Gi free in pool nvme0 (200Gi reserved for pods in flight)',
      ],
    ],
    'latency to the peer, and NVMe held for the claim in flight',
  );
});

t.test('an invalid annotation is reported as berth reports it', async (t) => {
  const { explanation, needsError } = judge(snapshot({ pod: pod({ 'berth.io/nvme-capacity': 'lots' }) }), cfg, NOW);
  t.equal(explanation, null);
  t.match(needsError, /invalid annotation berth\.io\/nvme-capacity="lots"/);
});
