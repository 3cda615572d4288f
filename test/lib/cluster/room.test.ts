import t from 'tap';
import { Gbps, GiB, type ReportSpec } from '../../helpers/builders.ts';
import { fitsOn, roomAppeared, type WaitingPod } from '../../../lib/cluster/room.ts';
import { cluster, needing, nvme, waitingPod } from '../../helpers/waiting-pods.ts';

const TTL = 180_000;

t.test('fitsOn judges one node as filter would', async (t) => {
  const { engine, reserved, put, setPeers, clock } = cluster();
  put('small', { ...nvme(100), peers: [['peer', 200]] });
  put('big', { ...nvme(400), peers: [['peer', 2_000]] });
  put('peer', nvme(0));
  setPeers(['peer']);
  const p200 = needing(200);
  t.equal(fitsOn('big', p200, engine, clock.now()), true, '200Gi fits in 400Gi free');
  t.equal(fitsOn('small', p200, engine, clock.now()), false, 'not in 100Gi');
  t.equal(fitsOn('nowhere', p200, engine, clock.now()), false, 'a node without a report');
  reserved.set('big', [300 * GiB]);
  t.equal(fitsOn('big', p200, engine, clock.now()), false, 'volumes reserved for pods in flight count');
  t.equal(fitsOn('big', p200, engine, clock.now() + TTL + 1), false, 'a stale report');
  const near = waitingPod('db-1', { 'berth.io/max-peer-latency': '500us' });
  t.equal(fitsOn('small', near, engine, clock.now()), true, '200 µs to the peer');
  t.equal(fitsOn('big', near, engine, clock.now()), false, '2 ms to the peer');
});

t.test('roomAppeared: a need went from not met to met, and the engine lets the node through', async (t) => {
  const link = (headroomG: number | null): ReportSpec => ({
    ...nvme(500),
    nics: [
      {
        name: 'eth0',
        speedBps: headroomG === null ? null : 10 * Gbps,
        rxBps: 0,
        txBps: (10 - (headroomG ?? 0)) * Gbps,
      },
    ],
  });
  const pools = (a: number, b: number): ReportSpec => ({
    pools: [
      ['a', a, 500],
      ['b', b, 500],
    ],
  });
  const bw = waitingPod('bw', { 'berth.io/min-bandwidth': '2G' });
  const both = waitingPod('both', { 'berth.io/nvme-capacity': '200Gi', 'berth.io/min-bandwidth': '8G' });
  const one = needing(100, 'two');
  const twoVolumes: WaitingPod = { ...one, needs: { ...one.needs, nvmeVolumes: [100 * GiB, 100 * GiB] } };
  const latency = waitingPod('lat', { 'berth.io/max-peer-latency': '500us' });
  const cases: [string, WaitingPod, ReportSpec | 'none' | 'stale', ReportSpec, number[], boolean][] = [
    ['NVMe crossed the need', needing(200), nvme(100), nvme(300), [], true],
    ['NVMe went up, still short', needing(200), nvme(100), nvme(150), [], false],
    ['NVMe enough before already: nothing new', needing(200), nvme(250), nvme(300), [], false],
    [
      'reservations blocked it before, the report made room beside them',
      needing(200),
      nvme(300),
      nvme(450),
      [200],
      true,
    ],
    ['reservations still block it', needing(200), nvme(100), nvme(300), [200], false],
    ['two volumes: the second pool grew enough', twoVolumes, pools(150, 50), pools(150, 150), [], true],
    ['a node reporting for the first time', needing(200), 'none', nvme(300), [], true],
    ['a node whose report had gone stale', needing(200), 'stale', nvme(300), [], true],
    ['a node reporting for the first time, too small', needing(200), 'none', nvme(150), [], false],
    ['headroom crossed the need', bw, link(1), link(3), [], true],
    ['link speed became known', bw, link(null), link(3), [], true],
    ['headroom enough before', bw, link(3), link(4), [], false],
    ['NVMe crossed, bandwidth short', both, { ...link(3), ...nvme(100) }, { ...link(3), ...nvme(300) }, [], false],
    ['NVMe crossed, bandwidth met', both, { ...link(9), ...nvme(100) }, { ...link(9), ...nvme(300) }, [], true],
    ['peer latency alone: RTTs are not compared', latency, nvme(100), nvme(300), [], false],
    [
      'peer latency alone, a new node near the peers',
      latency,
      'none',
      { ...nvme(100), peers: [['peer', 100]] },
      [],
      true,
    ],
    [
      'peer latency alone, a new node far from them',
      latency,
      'none',
      { ...nvme(100), peers: [['peer', 900]] },
      [],
      false,
    ],
  ];
  for (const [name, p, before, after, reservedGi, want] of cases) {
    const c = cluster();
    c.setPeers(['peer']);
    c.put('peer', nvme(0));
    if (before !== 'none') c.put('n1', before === 'stale' ? nvme(0) : before);
    if (before === 'stale') c.clock.advance(TTL + 1);
    const was = c.put('n1', after);
    const reserved = reservedGi.map((g) => g * GiB);
    t.equal(
      roomAppeared(
        p,
        'n1',
        was,
        reserved,
        { ...c.engine, reservations: () => new Map([['n1', reserved]]) },
        c.clock.now(),
      ),
      want,
      name,
    );
  }
});
