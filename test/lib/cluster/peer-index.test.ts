import t from 'tap';
import { PeerIndex, type PeerPod } from '../../../lib/cluster/peer-index.ts';
import { parseSelector, type LabelSelector } from '../../../lib/core/selector.ts';

function sel(text: string): LabelSelector {
  const s = parseSelector(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

const pods: (PeerPod & { key: string })[] = [
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
  const index = new PeerIndex();
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
  const index = new PeerIndex();
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
  const index = new PeerIndex();
  const pod = (name: string, labels: Record<string, string>, node: string): [string, PeerPod] => [
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
