import t from 'tap';
import { config, GiB, judgeContext, report, storeOf, TestClock, type JudgeSpec } from '../../helpers/builders.ts';
import type { Needs } from '../../../lib/extender/needs.ts';
import { evaluateNode, evaluateNodes, type RequestContext } from '../../../lib/extender/verdict.ts';
import type { NodeReport } from '../../../lib/core/report.ts';

const clock = new TestClock();

function ctx(
  reports: NodeReport[],
  needs: Partial<Needs>,
  extra: JudgeSpec = {},
  raw: Parameters<typeof config>[0] = {},
): RequestContext {
  return judgeContext(storeOf(reports, clock.now()), needs, {
    nowMs: clock.now(),
    policy: config(raw).policy,
    ...extra,
  });
}

const peersRule = { kind: 'controller', namespace: 'default', uid: 'sts' } as const;

t.test('rejections carry a code, the right list and figures', async (t) => {
  const cases: [string, RequestContext, string, RegExp, boolean][] = [
    ['no report', ctx([], { nvmeVolumes: [GiB] }), 'no_report', /^no report from berth agent$/, true],
    [
      'stale report',
      ctx([report('a')], { nvmeVolumes: [GiB] }, { nowMs: clock.now() + 181_000 }),
      'report_stale',
      /^report stale \(older than 180s\)$/,
      true,
    ],
    [
      'capacity',
      ctx([report('a', { pools: [['nvme0', 120, 1000]] })], { nvmeVolumes: [200 * GiB] }),
      'nvme_capacity',
      /^needs 200Gi NVMe; most free on a candidate: 120Gi in one pool$/,
      true,
    ],
    [
      'capacity with reservations',
      ctx(
        [report('a', { pools: [['nvme0', 120, 1000]] })],
        { nvmeVolumes: [100 * GiB] },
        { reserved: { a: [50 * GiB] } },
      ),
      'nvme_capacity',
      /^needs 100Gi NVMe; most free on a candidate: 70Gi in one pool$/,
      true,
    ],
    [
      'several volumes',
      ctx(
        [
          report('a', {
            pools: [
              ['nvme0', 100, 1000],
              ['nvme1', 100, 1000],
            ],
          }),
        ],
        { nvmeVolumes: [150 * GiB, 10 * GiB] },
      ),
      'nvme_capacity',
      /^needs 160Gi in 2 volumes NVMe/,
      true,
    ],
    [
      'no NVMe pool',
      ctx([report('a', { pools: [] })], { nvmeVolumes: [GiB] }),
      'no_nvme',
      /node reports no NVMe pool/,
      true,
    ],
    [
      'bandwidth',
      ctx([report('a', { nics: [{ name: 'eth0', speedBps: 10e9, rxBps: 8e9, txBps: 1e9 }] })], {
        minBandwidthBps: 10e9,
      }),
      'bandwidth',
      /^needs 10Gbit\/s bandwidth; most headroom on a candidate: 2Gbit\/s$/,
      false,
    ],
    [
      'unknown link speed',
      ctx([report('a', { nics: [{ name: 'ens3', speedBps: null, rxBps: 0, txBps: 0 }] })], { minBandwidthBps: 1e9 }),
      'link_unknown',
      /^needs 1Gbit\/s bandwidth; node reports no link speed$/,
      false,
    ],
    [
      'no NIC',
      ctx([report('a', { nics: [] })], { minBandwidthBps: 1e9 }),
      'link_unknown',
      /^needs 1Gbit\/s bandwidth; node reports no network interface$/,
      false,
    ],
    [
      'peer latency',
      ctx(
        [report('a', { peers: [['b', 900]] }), report('b')],
        { maxPeerLatencyUs: 500, peers: peersRule, latency: true },
        { peerNodes: ['b'] },
      ),
      'peer_latency',
      /^needs ≤ 500us to peers; nearest candidate: 900us to its furthest peer$/,
      true,
    ],
  ];
  for (const [name, c, code, message, unresolvable] of cases) {
    const v = evaluateNode('a', c);
    t.equal(v.rejection?.code, code, `${name}: code`);
    t.match(v.rejection?.message ?? '', message, `${name}: message`);
    t.equal(v.rejection?.unresolvable, unresolvable, `${name}: list`);
    t.equal(v.score, null, `${name}: no score`);
  }
});

t.test('neutral stale policy passes with score 5', async (t) => {
  const c = ctx([], { nvmeVolumes: [GiB] }, {}, { 'stale-policy': 'neutral' });
  const v = evaluateNode('a', c);
  t.equal(v.rejection, null);
  t.equal(v.score, 5);
});

t.test('passing nodes get terms and a score', async (t) => {
  const r = report('a', {
    pools: [['nvme0', 600, 1000]],
    nics: [{ name: 'eth0', speedBps: 25e9, rxBps: 0, txBps: 5e9 }],
    peers: [
      ['b', 500],
      ['c', 1500],
    ],
  });
  const c = ctx(
    [r, report('b'), report('c')],
    { nvmeVolumes: [100 * GiB], minBandwidthBps: 10e9, peers: peersRule, latency: true },
    { peerNodes: ['b', 'c', 'a'] },
  );
  const v = evaluateNode('a', c);
  t.equal(v.rejection, null);
  t.equal(v.terms.capacity, 0.5, 'spread: (600-100)/1000');
  t.equal(v.terms.bandwidth, 0.4, '(25-5-10)/25');
  t.equal(v.terms.latency, 1 - (500 + 1500) / 2 / 2000, 'mean over b and c; a peer on a itself is left out');
  t.equal(v.score, Math.round((10 * (0.5 + 0.4 + (1 - 1000 / 2000))) / 3));
  t.equal(v.facts.freeAfterBytes, 500 * GiB);
  t.equal(v.facts.worstPeerNode, 'c');
  t.equal(v.facts.worstPeerRttUs, 1500);
});

t.test('peer RTT is looked up in both directions; unmeasured peers are neutral', async (t) => {
  const a = report('a');
  const b = report('b', { peers: [['a', 400]] });
  const both = evaluateNode('a', ctx([a, b], { peers: peersRule, latency: true }, { peerNodes: ['b'] }));
  t.equal(both.facts.meanPeerRttUs, 400, "taken from b's report");
  const none = evaluateNode('a', ctx([a, report('b')], { peers: peersRule, latency: true }, { peerNodes: ['b'] }));
  t.equal(none.terms.latency, 0.5);
  t.equal(none.rejection, null, 'an unmeasured peer never rejects');
});

t.test('binpack prefers fuller nodes', async (t) => {
  const full = report('full', { pools: [['p', 200, 1000]] });
  const empty = report('empty', { pools: [['p', 900, 1000]] });
  const c = ctx([full, empty], { nvmeVolumes: [100 * GiB] }, {}, { 'capacity-strategy': 'binpack' });
  const sFull = evaluateNode('full', c).score ?? -1;
  const sEmpty = evaluateNode('empty', c).score ?? -1;
  t.ok(sFull > sEmpty, `binpack: full ${sFull} > empty ${sEmpty}`);
  const spread = ctx([full, empty], { nvmeVolumes: [100 * GiB] });
  t.ok(
    (evaluateNode('empty', spread).score ?? -1) > (evaluateNode('full', spread).score ?? -1),
    'spread: the opposite',
  );
});

t.test("each rejected node's own figures are its detail (explain, debug logs)", async (t) => {
  const cases: [string, RequestContext, string][] = [
    [
      'capacity',
      ctx([report('a', { pools: [['nvme0', 120, 1000]] })], { nvmeVolumes: [200 * GiB] }),
      '120Gi free in pool nvme0',
    ],
    [
      'capacity with reservations',
      ctx(
        [report('a', { pools: [['nvme0', 120, 1000]] })],
        { nvmeVolumes: [100 * GiB] },
        { reserved: { a: [50 * GiB] } },
      ),
      '70Gi free in pool nvme0 (50Gi reserved for pods in flight)',
    ],
    [
      'bandwidth',
      ctx([report('a', { nics: [{ name: 'eth0', speedBps: 10e9, rxBps: 8e9, txBps: 1e9 }] })], {
        minBandwidthBps: 10e9,
      }),
      '2Gbit/s headroom on eth0',
    ],
    [
      'unknown link speed',
      ctx([report('a', { nics: [{ name: 'ens3', speedBps: null, rxBps: 0, txBps: 0 }] })], { minBandwidthBps: 1e9 }),
      'link speed of ens3 unknown',
    ],
    ['no NIC', ctx([report('a', { nics: [] })], { minBandwidthBps: 1e9 }), 'no network interface'],
    [
      'peer latency',
      ctx(
        [report('a', { peers: [['b', 900]] }), report('b')],
        { maxPeerLatencyUs: 500, peers: peersRule, latency: true },
        { peerNodes: ['b'] },
      ),
      '900us to b (limit 500us)',
    ],
  ];
  for (const [name, c, detail] of cases) t.equal(evaluateNode('a', c).detail, detail, name);
  t.equal(evaluateNode('a', ctx([report('a')], { nvmeVolumes: [GiB] })).detail, null, 'a passing node has none');
});

t.test('nodes rejected for the same cause share one text, with the best figure any of them offered', async (t) => {
  const reports = [
    report('n1', { pools: [['p', 100, 4000]] }),
    report('n2', { pools: [['p', 800, 4000]] }),
    report('n3', { pools: [['p', 300, 4000]] }),
    report('none', { pools: [] }),
  ];
  const verdicts = evaluateNodes(['n1', 'n2', 'n3', 'none', 'ghost'], ctx(reports, { nvmeVolumes: [2048 * GiB] }));
  const texts = verdicts.map((v) => v.rejection?.message);
  t.same(texts, [
    'needs 2Ti NVMe; most free on a candidate: 800Gi in one pool',
    'needs 2Ti NVMe; most free on a candidate: 800Gi in one pool',
    'needs 2Ti NVMe; most free on a candidate: 800Gi in one pool',
    'needs 2Ti NVMe; node reports no NVMe pool',
    'no report from berth agent',
  ]);
  t.same(
    verdicts.map((v) => v.detail),
    [
      '100Gi free in pool p',
      '800Gi free in pool p',
      '300Gi free in pool p',
      'needs 2Ti NVMe; node reports no NVMe pool',
      'no report from berth agent',
    ],
  );
  const slow = [report('s1', { peers: [['peer', 900]] }), report('s2', { peers: [['peer', 1200]] }), report('peer')];
  const lat = evaluateNodes(
    ['s1', 's2'],
    ctx(slow, { maxPeerLatencyUs: 500, peers: peersRule, latency: true }, { peerNodes: ['peer'] }),
  );
  t.same(
    lat.map((v) => v.rejection?.message),
    Array(2).fill('needs ≤ 500us to peers; nearest candidate: 900us to its furthest peer'),
  );
  t.notOk(
    [...verdicts, ...lat].some((v) => v.rejection?.message.includes(', ')),
    'no ", " in reasons: kube-scheduler joins reason groups with it',
  );
});

t.test('replicas apart: a node running a peer is rejected while another qualifies', async (t) => {
  const rule = { peers: peersRule, nvmeVolumes: [GiB] };
  const three = [report('a'), report('b'), report('c')];
  const judged = (needs: Parameters<typeof ctx>[1], peerNodes: string[], names = ['a', 'b', 'c']) =>
    evaluateNodes(names, ctx(three, needs, { peerNodes })).map((v) => v.rejection?.code ?? 'pass');
  t.same(judged(rule, ['a']), ['peer_on_node', 'pass', 'pass'], 'a runs a peer: the others are preferred');
  t.same(judged(rule, ['a', 'b', 'c']), ['pass', 'pass', 'pass'], 'every candidate runs one: none is refused for it');
  t.same(judged(rule, ['a', 'b'], ['a', 'b']), ['pass', 'pass'], 'only peer-hosting candidates left: they pass');
  t.same(judged({ ...rule, coLocate: true }, ['a']), ['pass', 'pass', 'pass'], 'berth.io/co-location: allow');
  t.same(judged({ nvmeVolumes: [GiB] }, ['a']), ['pass', 'pass', 'pass'], 'no peer group, no rule');
  const why = evaluateNodes(['a', 'b'], ctx(three, rule, { peerNodes: ['a'] }))[0];
  t.equal(why?.rejection?.unresolvable, true, 'preemption must not evict the peer');
  t.match(why?.rejection?.message, /berth\.io\/co-location: allow/, 'the reason says how to allow it');
});

t.test(
  'a peer on the candidate node is not a network peer: left out of the mean and of max-peer-latency',
  async (t) => {
    const a = report('a', { peers: [['b', 300]] });
    const needs = { peers: peersRule, latency: true, maxPeerLatencyUs: 500, coLocate: true };
    const v = evaluateNode('a', ctx([a, report('b')], needs, { peerNodes: ['a', 'b'] }));
    t.equal(v.rejection, null);
    t.equal(v.facts.meanPeerRttUs, 300, 'the mean is over b alone');
    const alone = evaluateNode('a', ctx([a], needs, { peerNodes: ['a'] }));
    t.equal(alone.terms.latency, 0.5, 'only a same-node peer: no measured peer, neutral (never the best by itself)');
  },
);
