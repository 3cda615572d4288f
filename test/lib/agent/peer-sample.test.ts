import t from 'tap';
import {
  fnv1a32,
  orderPeers,
  type PeerCandidate,
  pickPeers,
  rotatingWindow,
  samplePeers,
} from '../../../lib/agent/peer-sample.ts';

function cluster(zones: readonly string[], perZone: number): PeerCandidate[] {
  return zones.flatMap((z) =>
    Array.from({ length: perZone }, (_, i) => ({ node: `${z}-n${i}`, zone: z, probe: `10.0.0.1:${7000 + i}` })),
  );
}
const LIMITS = { zonePeers: 4, otherPeers: 3 };

t.test('rotatingWindow', async (t) => {
  const cases: { name: string; items: number[]; round: number; size: number; want: number[] }[] = [
    { name: 'small list: everything', items: [1, 2], round: 5, size: 3, want: [1, 2] },
    { name: 'round 0', items: [1, 2, 3, 4, 5], round: 0, size: 2, want: [1, 2] },
    { name: 'round 1', items: [1, 2, 3, 4, 5], round: 1, size: 2, want: [3, 4] },
    { name: 'wraps', items: [1, 2, 3, 4, 5], round: 2, size: 2, want: [5, 1] },
    { name: 'size 0', items: [1, 2, 3], round: 0, size: 0, want: [] },
    { name: 'negative round', items: [1, 2, 3, 4, 5], round: -1, size: 2, want: [4, 5] },
  ];
  for (const c of cases) t.same(rotatingWindow(c.items, c.round, c.size), c.want, c.name);
});

t.test('fnv1a32 known values', async (t) => {
  t.equal(fnv1a32(''), 0x811c9dc5);
  t.equal(fnv1a32('a'), 0xe40c292c);
});

t.test('self excluded, duplicates dropped, small zones probed in full', async (t) => {
  const peers = [...cluster(['z1'], 3), { node: 'z1-n0', zone: 'z1', probe: '10.9.9.9:1' }, ...cluster(['z2'], 2)];
  const got = samplePeers(peers, { node: 'z1-n1', zone: 'z1' }, 0, LIMITS);
  const names = got.map((p) => p.node);
  t.notOk(names.includes('z1-n1'), 'self excluded');
  t.equal(names.filter((n) => n === 'z1-n0').length, 1, 'duplicate node listed once');
  t.equal(got.find((p) => p.node === 'z1-n0')?.probe, '10.0.0.1:7000', 'first entry wins');
  t.same(names.filter((n) => n.startsWith('z1')).sort(), ['z1-n0', 'z1-n2'], 'all same-zone peers');
  t.same(names.filter((n) => n.startsWith('z2')).sort(), ['z2-n0', 'z2-n1'], 'others fit under the cap');
});

t.test('bounded per round at any cluster size, and every peer visited', async (t) => {
  for (const n of [10, 100, 5000]) {
    const peers = cluster(['z1', 'z2', 'z3', 'z4', 'z5'], n / 5);
    const self = { node: 'z1-n0', zone: 'z1' };
    const seen = new Set<string>();
    const others = peers.filter((p) => p.zone !== 'z1').length;
    const zoneMates = n / 5 - 1;
    const rounds = Math.max(Math.ceil(others / LIMITS.otherPeers), Math.ceil(zoneMates / LIMITS.zonePeers));
    let max = 0;
    const ordered = orderPeers(peers, self); // once per peer-list refresh, as the prober does
    for (let r = 0; r < rounds; r++) {
      const s = pickPeers(ordered, r, LIMITS);
      max = Math.max(max, s.length);
      for (const p of s) seen.add(p.node);
    }
    t.ok(
      max <= LIMITS.zonePeers + LIMITS.otherPeers,
      `${n} nodes: at most ${LIMITS.zonePeers + LIMITS.otherPeers} probes targets per round (max ${max})`,
    );
    t.equal(seen.size, n - 1, `${n} nodes: every peer visited within ${rounds} rounds`);
  }
});

t.test('no zone: everyone is "other"', async (t) => {
  const got = samplePeers(cluster(['z1'], 10), { node: 'x', zone: null }, 0, LIMITS);
  t.equal(got.length, LIMITS.otherPeers);
});

t.test('different agents walk the cluster in different orders (spread incoming probes)', async (t) => {
  const peers = cluster(['z1', 'z2'], 100);
  const a = samplePeers(peers, { node: 'z1-n0', zone: 'z1' }, 0, { zonePeers: 0, otherPeers: 10 }).map((p) => p.node);
  const b = samplePeers(peers, { node: 'z1-n1', zone: 'z1' }, 0, { zonePeers: 0, otherPeers: 10 }).map((p) => p.node);
  t.not(a.join(), b.join());
  t.same(
    samplePeers(peers, { node: 'z1-n0', zone: 'z1' }, 0, { zonePeers: 0, otherPeers: 10 }).map((p) => p.node),
    a,
    'deterministic',
  );
  // Incoming load: with 200 agents each probing 10 others per round, no node should be a hot spot.
  const incoming = new Map<string, number>();
  for (const self of peers)
    for (const p of samplePeers(peers, self, 0, { zonePeers: 0, otherPeers: 10 }))
      incoming.set(p.node, (incoming.get(p.node) ?? 0) + 1);
  const worst = Math.max(...incoming.values());
  t.ok(worst <= 30, `most-probed node receives ${worst} probes (mean 10)`);
});
