import t from 'tap';
import { NamespacedMap, splitKey } from '../../../lib/cluster/namespaced.ts';
import { PeerIndex, isPeer, type PeerPod } from '../../../lib/cluster/peer-index.ts';
import { parseSelector, type LabelSelector } from '../../../lib/core/selector.ts';

type Pod = Omit<PeerPod, 'terminal'> & { terminal?: boolean };

/** The index over a namespace → name map, kept in step with it as ClusterState does. */
class Indexed {
  readonly pods = new NamespacedMap<PeerPod>();
  readonly index = new PeerIndex((ns) => this.pods.namespace(ns));

  upsert(key: string, pod: Pod): void {
    const [namespace, name] = splitKey(key);
    const p: PeerPod = { ...pod, namespace, terminal: pod.terminal ?? false };
    const prev = this.pods.get(namespace, name);
    const was = prev !== undefined && isPeer(prev) ? prev : undefined;
    this.pods.set(namespace, name, p);
    if (isPeer(p)) this.index.upsert(name, p, was);
    else if (was !== undefined) this.index.remove(name, was);
  }

  remove(key: string): boolean {
    const [namespace, name] = splitKey(key);
    const prev = this.pods.get(namespace, name);
    if (prev === undefined) return false;
    this.pods.delete(namespace, name);
    if (isPeer(prev)) this.index.remove(name, prev);
    return true;
  }

  nodesFor(rule: Parameters<PeerIndex['nodesFor']>[0], self: string): string[] {
    const [namespace, name] = splitKey(self);
    return this.index.nodesFor(rule, { namespace, name });
  }

  get size(): number {
    return this.index.size;
  }
}

function sel(text: string): LabelSelector {
  const s = parseSelector(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

const pods: (Pod & { key: string })[] = [
  {
    key: 'db/kafka-0',
    namespace: 'db',
    labels: { app: 'kafka', tier: 'broker' },
    controllerUid: 'sts-kafka',
    nodeName: 'n2',
  },
  {
    key: 'db/kafka-1',
    namespace: 'db',
    labels: { app: 'kafka', tier: 'broker' },
    controllerUid: 'sts-kafka',
    nodeName: 'n1',
  },
  {
    key: 'db/kafka-2',
    namespace: 'db',
    labels: { app: 'kafka', tier: 'broker', canary: 'yes' },
    controllerUid: 'sts-kafka',
    nodeName: 'n1',
  },
  { key: 'db/zk-0', namespace: 'db', labels: { app: 'zk' }, controllerUid: 'sts-zk', nodeName: 'n3' },
  { key: 'other/kafka-0', namespace: 'other', labels: { app: 'kafka' }, controllerUid: 'sts-other', nodeName: 'n9' },
];

t.test('nodesFor', async (t) => {
  const index = new Indexed();
  for (const p of pods) index.upsert(p.key, p);
  const cases: { name: string; rule: Parameters<PeerIndex['nodesFor']>[0]; self: string; want: string[] }[] = [
    {
      name: 'same controller, one entry per peer, sorted',
      rule: { kind: 'controller', namespace: 'db', uid: 'sts-kafka' },
      self: 'db/new',
      want: ['n1', 'n1', 'n2'],
    },
    {
      name: 'the pod itself is left out',
      rule: { kind: 'controller', namespace: 'db', uid: 'sts-kafka' },
      self: 'db/kafka-0',
      want: ['n1', 'n1'],
    },
    {
      name: 'selector stays in the namespace',
      rule: { kind: 'selector', namespace: 'db', selector: sel('app=kafka') },
      self: 'db/x',
      want: ['n1', 'n1', 'n2'],
    },
    {
      name: 'set-based selector',
      rule: { kind: 'selector', namespace: 'db', selector: sel('app in (kafka,zk),!canary') },
      self: 'db/x',
      want: ['n1', 'n2', 'n3'],
    },
    {
      name: 'exists term',
      rule: { kind: 'selector', namespace: 'db', selector: sel('canary') },
      self: 'db/x',
      want: ['n1'],
    },
    {
      name: 'only negative terms fall back to the namespace',
      rule: { kind: 'selector', namespace: 'db', selector: sel('app!=kafka') },
      self: 'db/x',
      want: ['n3'],
    },
    {
      name: 'no match',
      rule: { kind: 'selector', namespace: 'db', selector: sel('app=redis') },
      self: 'db/x',
      want: [],
    },
  ];
  for (const c of cases) t.same(index.nodesFor(c.rule, c.self), c.want, c.name);
});

t.test('updates and removals keep every posting list right', async (t) => {
  const index = new Indexed();
  for (const p of pods) index.upsert(p.key, p);
  index.upsert('db/kafka-0', { ...pods[0]!, labels: { app: 'zk' }, nodeName: 'n7' });
  t.same(
    index.nodesFor({ kind: 'selector', namespace: 'db', selector: sel('app=zk') }, ''),
    ['n3', 'n7'],
    'relabelled pod moves lists',
  );
  t.same(
    index.nodesFor({ kind: 'selector', namespace: 'db', selector: sel('app=kafka') }, ''),
    ['n1', 'n1'],
    'and leaves the old one',
  );
  t.ok(index.remove('db/kafka-1'));
  t.notOk(index.remove('db/kafka-1'), 'removing twice is a no-op');
  t.same(index.nodesFor({ kind: 'controller', namespace: 'db', uid: 'sts-kafka' }, ''), ['n1', 'n7']);
  for (const p of pods) index.remove(p.key);
  t.equal(index.size, 0);
  t.same(index.nodesFor({ kind: 'selector', namespace: 'db', selector: sel('app!=x') }, ''), [], 'empty again');
});

t.test('posting lists: one pod is a key, more a set, and back; exists terms see every value', async (t) => {
  const index = new Indexed();
  const pod = (name: string, labels: Record<string, string>, node: string): [string, Pod] => [
    `db/${name}`,
    { namespace: 'db', labels, controllerUid: 'sts', nodeName: node },
  ];
  const rule = (text: string): Parameters<PeerIndex['nodesFor']>[0] => ({
    kind: 'selector',
    namespace: 'db',
    selector: sel(text),
  });
  index.upsert(...pod('a', { app: 'x', 'pod-name': 'a' }, 'n1'));
  index.upsert(...pod('b', { app: 'x', 'pod-name': 'b' }, 'n2'));
  index.upsert(...pod('c', { app: 'y' }, 'n3'));
  t.same(index.nodesFor(rule('pod-name=b'), ''), ['n2'], 'a one-pod list');
  t.same(index.nodesFor(rule('app=x'), ''), ['n1', 'n2'], 'a two-pod list');
  t.same(index.nodesFor(rule('pod-name'), ''), ['n1', 'n2'], 'exists: every value of the key');
  index.remove('db/a');
  t.same(index.nodesFor(rule('app=x'), ''), ['n2'], 'back to one');
  index.remove('db/b');
  t.same(index.nodesFor(rule('app=x'), ''), [], 'and gone');
  t.same(index.nodesFor(rule('pod-name'), ''), [], 'the key with it');
  const same = pod('c', { app: 'y' }, 'n3');
  index.upsert(...same);
  t.same(
    index.nodesFor({ kind: 'controller', namespace: 'db', uid: 'sts' }, ''),
    ['n3'],
    'an unchanged pod is kept once',
  );
});

t.test('the index reads the peers among the caller’s pods: pending and finished ones are no candidates', async (t) => {
  const index = new Indexed();
  index.upsert('db/a', { namespace: 'db', labels: {}, controllerUid: null, nodeName: 'n1' });
  index.upsert('db/b', { namespace: 'db', labels: {}, controllerUid: null, nodeName: 'n2' });
  index.upsert('db/pending', { namespace: 'db', labels: { app: 'x' }, controllerUid: null, nodeName: null });
  index.upsert('db/done', { namespace: 'db', labels: {}, controllerUid: null, nodeName: 'n3', terminal: true });
  const negative = { kind: 'selector', namespace: 'db', selector: sel('app!=y') } as const;
  t.same(index.nodesFor(negative, 'db/a'), ['n2'], 'the namespace fallback keeps bound, unfinished pods, not self');
  t.same(index.nodesFor(negative, 'other/a'), ['n1', 'n2'], 'a same-named pod of another namespace is not self');
  t.equal(index.size, 2);
  index.upsert('db/b', { namespace: 'db', labels: {}, controllerUid: null, nodeName: 'n2', terminal: true });
  t.same(index.nodesFor(negative, ''), ['n1'], 'a pod that finished leaves the index');
  t.ok(index.remove('db/a'));
  t.equal(index.size, 0, 'removing label-less pods counts them out');
  t.same(index.nodesFor(negative, ''), [], 'nothing left');
});
