import t from 'tap';
import { config, GiB, judgeContext, report, storeOf, TestClock, type JudgeSpec } from '../../helpers/builders.ts';
import type { Needs } from '../../../lib/extender/needs.ts';
import { evaluateNode, type RequestContext } from '../../../lib/extender/verdict.ts';
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
      /^needs 200Gi NVMe, 120Gi free in pool nvme0$/,
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
      /^needs 100Gi NVMe, 70Gi free in pool nvme0 \(50Gi reserved for pods in flight\)$/,
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
      /^needs 10Gbit\/s bandwidth, 2Gbit\/s headroom on eth0$/,
      false,
    ],
    [
      'unknown link speed',
      ctx([report('a', { nics: [{ name: 'ens3', speedBps: null, rxBps: 0, txBps: 0 }] })], { minBandwidthBps: 1e9 }),
      'link_unknown',
      /link speed of ens3 unknown/,
      false,
    ],
    [
      'no NIC',
      ctx([report('a', { nics: [] })], { minBandwidthBps: 1e9 }),
      'link_unknown',
      /no network interface/,
      false,
    ],
    [
      'peer latency',
      ctx(
        [report('a', { peers: [['b', 900]] }), report('b')],
        { maxPeerLatencyUs: 500, peers: peersRule },
        { peerNodes: ['b'] },
      ),
      'peer_latency',
      /^needs ≤ 500us to peers, 900us to b$/,
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
    { nvmeVolumes: [100 * GiB], minBandwidthBps: 10e9, peers: peersRule },
    { peerNodes: ['b', 'c', 'a'] },
  );
  const v = evaluateNode('a', c);
  t.equal(v.rejection, null);
  t.equal(v.terms.capacity, 0.5, 'spread: (600-100)/1000');
  t.equal(v.terms.bandwidth, 0.4, '(25-5-10)/25');
  t.equal(v.terms.latency, 1 - (500 + 1500 + 0) / 3 / 2000, 'mean over b, c and a itself (0), reference 2ms');
  t.equal(v.score, Math.round((10 * (0.5 + 0.4 + (1 - 2000 / 3 / 2000))) / 3));
  t.equal(v.facts.freeAfterBytes, 500 * GiB);
  t.equal(v.facts.worstPeerNode, 'c');
  t.equal(v.facts.worstPeerRttUs, 1500);
});

t.test('peer RTT is looked up in both directions; unmeasured peers are neutral', async (t) => {
  const a = report('a');
  const b = report('b', { peers: [['a', 400]] });
  const both = evaluateNode('a', ctx([a, b], { peers: peersRule }, { peerNodes: ['b'] }));
  t.equal(both.facts.meanPeerRttUs, 400, "taken from b's report");
  const none = evaluateNode('a', ctx([a, report('b')], { peers: peersRule }, { peerNodes: ['b'] }));
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
