/**
 * The pod projection the informer keeps: only what berth reads, repeated strings shared, unchanged records
 * recognised (a relist must not replace them), and the same facts a request's pod gives.
 */
import t from 'tap';
import { Interner, PodProjector, podFacts, samePodRecord, type PodFields } from '../../../lib/extender/pod.ts';
import { LabelSets } from '../../../lib/extender/label-sets.ts';

function raw(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: {
      name,
      namespace: 'db',
      uid: `uid-${name}`,
      labels: { app: 'pg', 'statefulset.kubernetes.io/pod-name': name },
      annotations: { 'berth.io/nvme-capacity': '100Gi', 'kubectl.kubernetes.io/last-applied-configuration': '{…}' },
      ownerReferences: [{ uid: 'owner', controller: true }],
      managedFields: [{ manager: 'kubelet' }],
    },
    spec: { nodeName: 'node-1', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: `data-${name}` } }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready' }] },
    ...extra,
  };
}

t.test('keeps the nine fields, berth.io/ annotations only', async (t) => {
  const rec = new PodProjector().fromObject(raw('pg-0'));
  t.same(rec, {
    namespace: 'db',
    name: 'pg-0',
    uid: 'uid-pg-0',
    labels: { app: 'pg', 'statefulset.kubernetes.io/pod-name': 'pg-0' },
    annotations: { 'berth.io/nvme-capacity': '100Gi' },
    controllerUid: 'owner',
    claimNames: ['data-pg-0'],
    nodeName: 'node-1',
    terminal: false,
  });
  if (rec === null) throw new Error('no record');
  const facts = podFacts(raw('pg-0'));
  const { terminal, annotations, ...kept } = rec;
  t.equal(terminal, false);
  const { annotations: all, ...read } = facts;
  t.same(read, kept, 'what a request pod gives, for the fields berth reads');
  t.equal(all['berth.io/nvme-capacity'], annotations['berth.io/nvme-capacity'], 'and its berth.io/ annotations');
  t.equal(new PodProjector().fromObject({ metadata: {} }), null, 'no name, no record');
  for (const phase of ['Succeeded', 'Failed'])
    t.equal(new PodProjector().fromObject(raw('x', { status: { phase } }))?.terminal, true, `${phase} is terminal`);
});

t.test('repeated strings are shared; the interner is bounded', async (t) => {
  // JavaScript cannot tell two equal strings apart, so what is observed is the interner: the first replica's
  // repeated strings are held, and a second replica of the same set, on the same node, adds none.
  const intern = new Interner();
  const p = new PodProjector(intern);
  const a = p.fromObject(JSON.parse(JSON.stringify(raw('pg-0'))));
  const held = intern.size;
  t.equal(held, 8, 'namespace, two label keys and a value, an annotation key and value, owner uid, node');
  const b = p.fromObject(JSON.parse(JSON.stringify(raw('pg-1'))));
  t.ok(a !== null && b !== null);
  if (a === null || b === null) return;
  t.equal(intern.size, held, 'the second replica adds no string');
  t.equal(a.labels['statefulset.kubernetes.io/pod-name'], a.name, 'the pod-name label is the name itself');
  const small = new Interner(2);
  small.get('x');
  small.get('y');
  small.get('z');
  t.equal(small.size, 2, 'full: new strings are used as they are, not kept');
});

t.test('equal label and annotation sets are one object; a set naming its pod is the pod’s own', async (t) => {
  const p = new PodProjector();
  const replica = (name: string, labels: [string, string][]): PodFields => ({
    namespace: 'web',
    name,
    uid: `uid-${name}`,
    labels,
    annotations: [['berth.io/peers', 'app=web']],
    controllerUid: 'rs',
    claimNames: [],
    nodeName: 'n1',
    phase: 'Running',
  });
  const labels = (): [string, string][] => [
    ['app', 'web'],
    ['pod-template-hash', '5d8f7c9b4'],
  ];
  const a = p.record(replica('web-a', labels()));
  const b = p.record(replica('web-b', labels()));
  const c = p.record(
    replica('web-c', [
      ['app', 'web'],
      ['pod-template-hash', '6e9a'],
    ]),
  );
  const own = p.record(
    replica('pg-0', [
      ['app', 'pg'],
      ['statefulset.kubernetes.io/pod-name', 'pg-0'],
    ]),
  );
  if (a === null || b === null || c === null || own === null) throw new Error('no record');
  t.equal(a.labels, b.labels, 'replicas share one label object');
  t.equal(a.annotations, b.annotations, 'and one annotation object');
  t.not(a.labels, c.labels, 'another set is another object');
  t.same(c.labels, { app: 'web', 'pod-template-hash': '6e9a' }, 'with its own entries');
  t.ok(Object.isFrozen(a.labels), 'a shared set cannot be changed under the pods that share it');
  t.notOk(Object.isFrozen(own.labels), 'a set holding the pod name is not offered for sharing');
  t.same(own.labels, { app: 'pg', 'statefulset.kubernetes.io/pod-name': 'pg-0' });
  const sets = new LabelSets(1);
  const first = sets.share({ a: '1' });
  t.equal(sets.share({ a: '1' }), first, 'found again');
  const other = { a: '2' };
  t.equal(sets.share(other), other, 'full: a new set is used as it is');
  t.equal(sets.size, 1, 'and not kept');
  t.equal(new LabelSets().share({ ab: 'c' })['ab'], 'c');
  const split = new LabelSets();
  const x = split.share({ ab: 'c' });
  t.not(split.share({ a: 'bc' }), x, 'keys and values are told apart');
});

t.test('claim names are copied to their length, not kept as the decoder’s array', async (t) => {
  const claimNames = ['data-pg-0'];
  const rec = new PodProjector().record({
    namespace: 'db',
    name: 'pg-0',
    uid: 'u',
    labels: [],
    annotations: [],
    controllerUid: null,
    claimNames,
    nodeName: '',
    phase: 'Pending',
  });
  t.not(rec?.claimNames, claimNames, 'a copy');
  t.same(rec?.claimNames, ['data-pg-0'], 'with the same names');
  t.equal(rec?.nodeName, null, 'unbound');
});

t.test('samePodRecord: equal content, whatever the objects', async (t) => {
  const p = new PodProjector();
  const a = p.fromObject(raw('pg-0'));
  const b = p.fromObject(raw('pg-0'));
  if (a === null || b === null) throw new Error('records');
  t.ok(samePodRecord(a, b), 'a relist of an unchanged pod');
  for (const [what, changed] of [
    ['node', { spec: { nodeName: 'node-2', volumes: [] } }],
    ['labels', { metadata: { ...(raw('pg-0')['metadata'] as object), labels: { app: 'other' } } }],
    ['phase', { status: { phase: 'Failed' } }],
  ] as const) {
    const c = p.fromObject(raw('pg-0', changed));
    t.notOk(c !== null && samePodRecord(a, c), `${what} changed`);
  }
});
