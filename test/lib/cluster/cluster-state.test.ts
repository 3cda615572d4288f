import t from 'tap';
import { ClusterState } from '../../../lib/cluster/cluster-state.ts';
import { SELECTED_NODE, claimFacts, type ClaimFacts } from '../../../lib/cluster/claim-volumes.ts';
import { ANNOTATIONS, type PeerRule } from '../../../lib/extender/needs.ts';
import { PodProjector, podFacts, type PodRecord } from '../../../lib/extender/pod.ts';

const GiB = 2 ** 30;

function state(provisionalTtlMs = 10_000): ClusterState {
  return new ClusterState({
    match: { classes: ['local-nvme'], provisioners: [] },
    ledger: { ttlMs: 60_000, provisionalTtlMs, clockSkewMs: 1_000 },
  });
}

function pvc(name: string, opts: { node?: string; volume?: string; cls?: string; size?: string } = {}): ClaimFacts {
  const facts = claimFacts({
    metadata: {
      name,
      namespace: 'db',
      uid: `pvc-${name}`,
      annotations: opts.node ? { [SELECTED_NODE]: opts.node } : {},
    },
    spec: {
      storageClassName: opts.cls ?? 'local-nvme',
      resources: { requests: { storage: opts.size ?? '100Gi' } },
      ...(opts.volume ? { volumeName: opts.volume } : {}),
    },
  });
  if (facts === null) throw new Error('claim without a name');
  return facts;
}

function rawPod(
  name: string,
  opts: {
    node?: string;
    claims?: string[];
    annotations?: Record<string, string>;
    phase?: string;
    labels?: Record<string, string>;
    owner?: string;
  } = {},
): Record<string, unknown> {
  return {
    metadata: {
      name,
      namespace: 'db',
      uid: `uid-${name}`,
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? {},
      ...(opts.owner ? { ownerReferences: [{ controller: true, uid: opts.owner }] } : {}),
    },
    spec: {
      ...(opts.node ? { nodeName: opts.node } : {}),
      volumes: (opts.claims ?? []).map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
    },
    status: { phase: opts.phase ?? 'Pending' },
  };
}

const projector = new PodProjector();

/** The informer's projection of the pod, as ClusterState receives it. */
function podObj(name: string, opts: Parameters<typeof rawPod>[1] = {}): PodRecord {
  const rec = projector.fromObject(rawPod(name, opts));
  if (rec === null) throw new Error('pod without a name');
  return rec;
}

t.test('claims: needs, then reservations through the placement lifecycle', async (t) => {
  const s = state();
  s.claim(pvc('data-0'), 0, false);
  s.pod(podObj('db-0', { claims: ['data-0'] }), 0, false);
  const facts = podFacts(rawPod('db-0', { claims: ['data-0'] }));
  t.same(s.claimVolumes(facts), [100 * GiB], 'an unbound, unplaced NVMe claim is a need');
  s.scored(
    facts,
    [100 * GiB],
    [
      { Host: 'n1', Score: 7 },
      { Host: 'n2', Score: 9 },
      { Host: 'n3', Score: 9 },
    ],
    10,
  );
  t.same(
    [s.reserved('n1'), s.reserved('n2'), s.reserved('n3')],
    [[], [100 * GiB], [100 * GiB]],
    'prioritize holds on the best-scored nodes',
  );
  s.claim(pvc('data-0', { node: 'n2' }), 40, false);
  t.same(
    [s.reserved('n2'), s.reserved('n3')],
    [[100 * GiB], []],
    'selected-node replaces the holds with a reservation',
  );
  t.same(s.claimVolumes(facts), [], 'a placed claim is no longer a need (the ledger holds it)');
  t.same(
    s.raceStats(),
    { hits: 1, misses: 0, unheld: 0, windowsMs: [30] },
    'the window from prioritize to selected-node is measured',
  );
  s.claim(pvc('data-0', { node: 'n2', volume: 'pv-1' }), 2_000, false);
  s.reportArrived('n2', new Date(2_500).toISOString());
  t.same(s.reserved('n2'), [100 * GiB], 'a report taken within the skew allowance does not release');
  s.reportArrived('n2', new Date(3_001).toISOString());
  t.same(s.reserved('n2'), [], 'a report taken after provisioning (+ skew) accounts for it');
  t.same(s.ledger.stats().released, { report: 1, ttl: 0, deleted: 0, unselected: 0, moved: 0 });
});

t.test('claim transitions', async (t) => {
  const cases: { name: string; events: ((s: ClusterState) => void)[]; node: string; want: number[] }[] = [
    {
      name: 'annotation removed (provisioning rescheduled) releases',
      node: 'n1',
      want: [],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1' }), 0, false);
        },
        (s) => {
          s.claim(pvc('a'), 1, false);
        },
      ],
    },
    {
      name: 'annotation moved to another node moves the reservation',
      node: 'n2',
      want: [100 * GiB],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1' }), 0, false);
        },
        (s) => {
          s.claim(pvc('a', { node: 'n2' }), 1, false);
        },
      ],
    },
    {
      name: 'deleted claim releases',
      node: 'n1',
      want: [],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1' }), 0, false);
        },
        (s) => {
          s.claimGone('db/a');
        },
      ],
    },
    {
      name: 'non-NVMe class never reserves',
      node: 'n1',
      want: [],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1', cls: 'standard' }), 0, false);
        },
      ],
    },
    {
      name: 'bound + placed in the initial list: placed before this replica started, not reserved',
      node: 'n1',
      want: [],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1', volume: 'pv' }), 0, true);
        },
      ],
    },
    {
      name: 'pending + placed in the initial list: reserved',
      node: 'n1',
      want: [100 * GiB],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1' }), 0, true);
        },
      ],
    },
    {
      name: 'first seen bound + placed after sync (events missed): reserved, conservatively',
      node: 'n1',
      want: [100 * GiB],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1', volume: 'pv' }), 0, false);
        },
      ],
    },
    {
      name: 'size change of a held claim refreshes it',
      node: 'n1',
      want: [200 * GiB],
      events: [
        (s) => {
          s.claim(pvc('a', { node: 'n1' }), 0, false);
        },
        (s) => {
          s.claim(pvc('a', { node: 'n1', size: '200Gi' }), 1, false);
        },
      ],
    },
  ];
  for (const c of cases) {
    const s = state();
    for (const e of c.events) e(s);
    t.same(s.reserved(c.node), c.want, c.name);
  }
});

t.test('pods: bindings, annotation needs, peers and deletion', async (t) => {
  const s = state();
  const annotated = { [ANNOTATIONS.nvmeCapacity]: '50Gi' };
  s.pod(podObj('cache-0', { annotations: annotated }), 0, false);
  s.pod(podObj('cache-0', { annotations: annotated, node: 'n1' }), 5, false);
  t.same(s.reserved('n1'), [50 * GiB], 'binding of a pod whose need is its annotation reserves it');
  s.reportArrived('n1', new Date(1_006).toISOString());
  t.same(s.reserved('n1'), [], 'provisioned at binding time: the next report (+ skew) accounts for it');
  s.claim(pvc('data-x'), 0, false);
  s.pod(podObj('x-0', { annotations: annotated, claims: ['data-x'] }), 0, false);
  s.pod(podObj('x-0', { annotations: annotated, claims: ['data-x'], node: 'n2' }), 5, false);
  t.same(s.reserved('n2'), [], 'a pod with NVMe claims is reserved through its claims, not its annotation');
  s.pod(podObj('already', { annotations: annotated, node: 'n3' }), 0, true);
  t.same(s.reserved('n3'), [], 'bound before this replica started: not reserved');

  const rule: PeerRule = { kind: 'controller', namespace: 'db', uid: 'sts' };
  s.pod(podObj('kafka-0', { owner: 'sts', node: 'n1', phase: 'Running' }), 0, false);
  s.pod(podObj('kafka-1', { owner: 'sts', node: 'n2', phase: 'Running' }), 0, false);
  s.pod(podObj('kafka-2', { owner: 'sts' }), 0, false);
  const self = podFacts(rawPod('kafka-2', { owner: 'sts' }));
  t.same(s.peerNodes(rule, self), ['n1', 'n2'], 'bound peers, not the pending one');
  s.pod(podObj('kafka-1', { owner: 'sts', node: 'n2', phase: 'Succeeded' }), 0, false);
  t.same(s.peerNodes(rule, self), ['n1'], 'finished pods are no peers');
  s.podGone('db/kafka-0');
  t.same(s.peerNodes(rule, self), [], 'deleted pods are no peers');
  s.pod(podObj('cache-1', { annotations: annotated }), 0, false);
  s.pod(podObj('cache-1', { annotations: annotated, node: 'n4' }), 5, false);
  s.podGone('db/cache-1');
  t.same(s.reserved('n4'), [], 'deleting the pod releases its reservation');
});

t.test('provisional holds: filter with one node, replaced on retry, off with ttl 0', async (t) => {
  const s = state();
  const facts = podFacts(rawPod('db-9', { claims: ['d'] }));
  s.filtered(facts, [10 * GiB], ['n1', 'n2'], 0);
  t.same(s.reserved('n1'), [], 'several nodes passed: prioritize will follow, filter holds nothing');
  s.filtered(facts, [10 * GiB], ['n1'], 0);
  t.same(s.reserved('n1'), [10 * GiB], 'one node passed: kube-scheduler takes it without prioritize, so hold it');
  s.claimVolumes(facts);
  t.same(s.reserved('n1'), [10 * GiB], 'reading its claims (as explain does) changes nothing');
  s.attempt(facts);
  t.same(s.reserved('n1'), [], 'judged again (a retry): its own old hold is void');
  const off = state(0);
  off.filtered(facts, [10 * GiB], ['n1'], 0);
  off.scored(facts, [10 * GiB], [{ Host: 'n1', Score: 5 }], 0);
  t.same(off.reserved('n1'), [], '--provisional-ttl 0 holds nothing');
});
