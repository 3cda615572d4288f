import t from 'tap';
import { Ledger, type LedgerOptions } from '../../../lib/cluster/ledger.ts';

const GiB = 2 ** 30;
const opts: LedgerOptions = { ttlMs: 60_000, provisionalTtlMs: 5_000, clockSkewMs: 1_000 };
const claim = (key: string, node: string, gib: number) => ({
  key,
  owner: `uid-${key}`,
  node,
  volumes: [gib * GiB],
  source: 'selected-node' as const,
});

t.test('transitions', async (t) => {
  const cases: {
    name: string;
    run: (l: Ledger) => void;
    node: string;
    want: number[];
    released?: Partial<Record<string, number>>;
  }[] = [
    {
      name: 'reserve holds the volume on its node',
      run: (l) => l.reserve(claim('ns/a', 'n1', 10), 0),
      node: 'n1',
      want: [10 * GiB],
    },
    { name: 'other nodes hold nothing', run: (l) => l.reserve(claim('ns/a', 'n1', 10), 0), node: 'n2', want: [] },
    {
      name: 'the same claim on another node moves',
      node: 'n1',
      want: [],
      released: { moved: 1 },
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.reserve(claim('ns/a', 'n2', 10), 1);
      },
    },
    {
      name: 'the same claim on the same node is not counted twice',
      node: 'n1',
      want: [20 * GiB],
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.reserve(claim('ns/a', 'n1', 20), 1);
      },
    },
    {
      name: 'a report never releases a pending (unprovisioned) claim',
      node: 'n1',
      want: [10 * GiB],
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.reportArrived('n1', 50_000);
      },
    },
    {
      name: 'a report taken after provisioning + skew releases it',
      node: 'n1',
      want: [],
      released: { report: 1 },
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.confirm('ns/a', 2_000);
        l.reportArrived('n1', 3_001);
      },
    },
    {
      name: 'a report taken within the skew allowance does not',
      node: 'n1',
      want: [10 * GiB],
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.confirm('ns/a', 2_000);
        l.reportArrived('n1', 3_000);
      },
    },
    {
      name: 'a report of another node does not',
      node: 'n1',
      want: [10 * GiB],
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.confirm('ns/a', 2_000);
        l.reportArrived('n2', 90_000);
      },
    },
    {
      name: 'the TTL releases a pending claim',
      node: 'n1',
      want: [],
      released: { ttl: 1 },
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.expire(60_000);
      },
    },
    {
      name: 'confirm restarts the TTL',
      node: 'n1',
      want: [10 * GiB],
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.confirm('ns/a', 50_000);
        l.expire(100_000);
      },
    },
    {
      name: 'deletion releases',
      node: 'n1',
      want: [5 * GiB],
      released: { deleted: 1 },
      run: (l) => {
        l.reserve(claim('ns/a', 'n1', 10), 0);
        l.reserve(claim('ns/b', 'n1', 5), 0);
        l.release('ns/a', 'deleted');
      },
    },
    {
      name: 'a binding reservation is provisioned at once',
      node: 'n1',
      want: [],
      released: { report: 1 },
      run: (l) => {
        l.reserve({ ...claim('pod/ns/p', 'n1', 10), source: 'binding', provisioned: true }, 0);
        l.reportArrived('n1', 1_001);
      },
    },
  ];
  for (const c of cases) {
    const l = new Ledger(opts);
    c.run(l);
    t.same(l.reserved(c.node), c.want, c.name);
    const released = l.stats().released;
    for (const [reason, n] of Object.entries(c.released ?? {}))
      t.equal(released[reason as keyof typeof released], n, `${c.name}: released ${reason}`);
  }
});

t.test('provisional holds', async (t) => {
  const l = new Ledger(opts);
  l.provisional('pod-a', ['n1', 'n2'], [10 * GiB], 1_000);
  t.same(l.reserved('n1'), [10 * GiB], 'held on every tied node');
  t.same(l.reserved('n2'), [10 * GiB]);
  t.equal(l.inFlight, 0, 'provisional holds are not in-flight reservations');
  l.provisional('pod-a', ['n3'], [10 * GiB], 1_500);
  t.same(l.reserved('n1'), [], 'a new prioritize answer replaces the old holds');
  const seen = l.placed('pod-a', 'n3', 1_040 + 500);
  t.same(
    seen,
    { owner: 'pod-a', node: 'n3', hit: true, windowMs: 40 },
    'placement on a held node is a hit, window measured',
  );
  t.same(l.reserved('n3'), [], 'and the hold is gone');
  t.equal(l.placed('pod-a', 'n3', 2_000), null, 'a pod with no hold reports nothing');
  l.provisional('pod-b', ['n1'], [10 * GiB], 0);
  t.same(l.placed('pod-b', 'n2', 30)?.hit, false, 'placement elsewhere is a miss');
  l.provisional('pod-c', ['n1', 'n2'], [10 * GiB], 0);
  l.expire(5_000);
  t.same([l.reserved('n1'), l.reserved('n2')], [[], []], 'holds expire after the provisional TTL');
  l.provisional('pod-d', ['n1'], [10 * GiB], 0);
  l.forgetOwner('pod-d', 'deleted');
  t.same(
    l.stats().provisional,
    { hit: 1, miss: 1, expired: 1, replaced: 1, deleted: 1 },
    'one count per pod, not per tied node',
  );
  l.provisional('pod-e', ['n1'], [], 0);
  t.same(l.reserved('n1'), [], 'a pod without volumes holds nothing');
});

t.test('counts and in-flight high-water mark', async (t) => {
  const l = new Ledger(opts);
  l.reserve(claim('ns/a', 'n1', 1), 0);
  l.reserve(claim('ns/b', 'n1', 1), 0);
  l.reserve(claim('ns/c', 'n2', 1), 0);
  l.release('ns/a', 'deleted');
  l.reserve(claim('ns/d', 'n2', 1), 0);
  const s = l.stats();
  t.equal(s.inFlight, 3);
  t.equal(s.maxInFlight, 3);
  t.equal(s.reserved['selected-node'], 4);
  t.equal(l.release('ns/missing', 'deleted'), null, 'releasing an unknown key is a no-op');
  const before = l.reserved('n2');
  t.equal(l.reserved('n2'), before, 'the per-node array is reused until the node changes');
});
