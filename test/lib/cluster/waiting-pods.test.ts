import t from 'tap';
import { config, Gbps, GiB, pod, report, TestClock, type ReportSpec } from '../../helpers/builders.ts';
import {
  FORGET_AFTER_MS,
  fitsOn,
  mayHaveRoom,
  nodeFigures,
  requeueValue,
  WaitingPods,
  type EngineView,
  type NodeFigures,
  type RequeueLimits,
  type WaitingPod,
} from '../../../lib/cluster/waiting-pods.ts';
import { NO_NEEDS, podNeeds, type Needs } from '../../../lib/extender/needs.ts';
import { podFacts, type PodFacts } from '../../../lib/extender/pod.ts';
import { ReportStore } from '../../../lib/extender/report-store.ts';

const TTL = 180_000;
const limits: RequeueLimits = { ratePerSecond: 10, podIntervalMs: 30_000, maxPods: 100 };

function facts(name: string, uid = `uid-${name}`): PodFacts {
  return { ...podFacts(pod({}, { name })), uid };
}

function figures(o: Partial<NodeFigures> = {}): NodeFigures {
  return { fresh: true, largestNvmeFree: 0, nvmeFree: 0, headroomBps: null, ...o };
}

const nvme = (...gib: number[]): Needs => ({ ...NO_NEEDS, nvmeVolumes: gib.map((g) => g * GiB) });
const peersRule = { kind: 'controller', namespace: 'default', uid: 'sts' } as const;

t.test('nodeFigures reads what room depends on from a node view', async (t) => {
  const store = new ReportStore();
  const now = 1_000_000;
  store.ingest(
    report('a', {
      pools: [
        ['nvme0', 300, 1000],
        ['nvme1', 500, 1000],
      ],
    }),
    now,
  );
  store.ingest(report('b', { nics: [{ name: 'eth0', speedBps: null, rxBps: 0, txBps: 0 }] }), now);
  t.same(nodeFigures(store.get('a'), now, TTL), {
    fresh: true,
    largestNvmeFree: 500 * GiB,
    nvmeFree: 800 * GiB,
    headroomBps: 23 * Gbps, // 25G link, 2G out (the busier direction)
  });
  t.equal(nodeFigures(store.get('a'), now + TTL + 1, TTL).fresh, false, 'older than the TTL: not fresh');
  t.equal(nodeFigures(store.get('b'), now, TTL).headroomBps, null, 'no link speed: no headroom figure');
  t.same(nodeFigures(undefined, now, TTL), figures({ fresh: false }), 'no report: nothing');
});

t.test('mayHaveRoom: the node now meets the figures, and the report changed one the pod needs', async (t) => {
  const latency: Needs = { ...NO_NEEDS, maxPeerLatencyUs: 500, peers: peersRule };
  const bandwidth: Needs = { ...NO_NEEDS, minBandwidthBps: 2 * Gbps };
  const cases: [string, Needs, NodeFigures, NodeFigures, boolean][] = [
    [
      'NVMe crossed the need',
      nvme(200),
      figures({ largestNvmeFree: 100 * GiB, nvmeFree: 100 * GiB }),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      true,
    ],
    [
      'NVMe went up but still short',
      nvme(200),
      figures({ largestNvmeFree: 100 * GiB, nvmeFree: 100 * GiB }),
      figures({ largestNvmeFree: 150 * GiB, nvmeFree: 150 * GiB }),
      false,
    ],
    [
      'NVMe enough before and unchanged: nothing new',
      nvme(200),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      false,
    ],
    [
      'NVMe enough before and more now (reservations may have blocked it): the engine decides',
      nvme(200),
      figures({ largestNvmeFree: 250 * GiB, nvmeFree: 250 * GiB }),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      true,
    ],
    [
      'two volumes need their total free',
      nvme(100, 100),
      figures({ largestNvmeFree: 100 * GiB, nvmeFree: 150 * GiB }),
      figures({ largestNvmeFree: 150 * GiB, nvmeFree: 180 * GiB }),
      false,
    ],
    [
      'two volumes, total and largest met',
      nvme(100, 100),
      figures({ largestNvmeFree: 100 * GiB, nvmeFree: 150 * GiB }),
      figures({ largestNvmeFree: 150 * GiB, nvmeFree: 300 * GiB }),
      true,
    ],
    [
      'a node that turned fresh',
      nvme(200),
      figures({ fresh: false }),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      true,
    ],
    [
      'a stale report brings nothing',
      nvme(200),
      figures({ fresh: false }),
      figures({ fresh: false, largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB }),
      false,
    ],
    ['headroom crossed the need', bandwidth, figures({ headroomBps: Gbps }), figures({ headroomBps: 3 * Gbps }), true],
    ['link speed became known', bandwidth, figures(), figures({ headroomBps: 3 * Gbps }), true],
    ['link speed unknown now', bandwidth, figures({ headroomBps: Gbps }), figures(), false],
    [
      'NVMe met but bandwidth short',
      { ...nvme(200), minBandwidthBps: 10 * Gbps },
      figures({ largestNvmeFree: 100 * GiB, nvmeFree: 100 * GiB, headroomBps: 3 * Gbps }),
      figures({ largestNvmeFree: 300 * GiB, nvmeFree: 300 * GiB, headroomBps: 3 * Gbps }),
      false,
    ],
    ['peer latency: any fresh report, the engine decides', latency, figures(), figures(), true],
    ['peers without a limit never reject a node', { ...NO_NEEDS, peers: peersRule }, figures(), figures(), false],
  ];
  for (const [name, needs, before, after, want] of cases) t.equal(mayHaveRoom(needs, before, after), want, name);
});

t.test('fitsOn judges one node as filter would', async (t) => {
  const clock = new TestClock();
  const store = new ReportStore();
  const put = (node: string, spec: ReportSpec): void => {
    store.ingest(report(node, { sequence: clock.now(), ...spec }), clock.now());
  };
  put('small', { pools: [['nvme0', 100, 1000]], peers: [['peer', 200]] });
  put('big', { pools: [['nvme0', 400, 1000]], peers: [['peer', 2_000]] });
  put('peer', { pools: [['nvme0', 0, 1000]] });
  const reserved = new Map<string, number[]>();
  const engine: EngineView = {
    policy: config().policy,
    view: (n) => store.get(n),
    reserved: (n) => reserved.get(n) ?? [],
    peerNodes: () => ['peer'],
  };
  const waiting = (annotations: Record<string, string>): WaitingPod => {
    const f = podFacts(pod(annotations, { name: 'db-1', ownerUid: 'sts' }));
    const needs = podNeeds(f);
    if (!needs.ok) throw new Error(needs.reason);
    return { key: 'default/db-1', facts: f, needs: needs.needs };
  };
  const p200 = waiting({ 'berth.io/nvme-capacity': '200Gi' });
  t.equal(fitsOn('big', p200, engine, clock.now()), true, '200Gi fits in 400Gi free');
  t.equal(fitsOn('small', p200, engine, clock.now()), false, 'not in 100Gi');
  t.equal(fitsOn('nowhere', p200, engine, clock.now()), false, 'a node without a report');
  reserved.set('big', [300 * GiB]);
  t.equal(fitsOn('big', p200, engine, clock.now()), false, 'volumes reserved for pods in flight count');
  t.equal(fitsOn('big', p200, engine, clock.now() + TTL + 1), false, 'a stale report');
  const near = waiting({ 'berth.io/max-peer-latency': '500us' });
  t.equal(fitsOn('small', near, engine, clock.now()), true, '200 µs to the peer');
  t.equal(fitsOn('big', near, engine, clock.now()), false, '2 ms to the peer');
});

/** A WaitingPods whose engine answers come from a table: which pods fit before and after a report. */
function arrive(w: WaitingPods, node: string, fitAfter: Set<string>, fitBefore: Set<string> = new Set()): number {
  const room = figures({ largestNvmeFree: 500 * GiB, nvmeFree: 500 * GiB });
  const none = figures({ largestNvmeFree: 0, nvmeFree: 0 });
  return w.reportArrived(node, none, room, (p, which) => (which === 'after' ? fitAfter : fitBefore).has(p.key));
}

t.test('a report that turns a node from no to yes asks for one touch', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods(limits);
  w.turnedAway(facts('db-0'), nvme(200), clock.now());
  w.turnedAway(facts('db-1'), nvme(200), clock.now());
  w.turnedAway(facts('db-2'), nvme(200), clock.now());
  t.equal(arrive(w, 'n1', new Set(['default/db-0', 'default/db-1']), new Set(['default/db-1'])), 1, 'one wanted');
  const { touches, wakeAtMs } = w.take(clock.now());
  t.same(
    touches.map((x) => [x.namespace, x.name, x.uid, x.node, x.value]),
    [['default', 'db-0', 'uid-db-0', 'n1', requeueValue('n1', clock.now())]],
    'db-0 only: db-1 fitted before the report, db-2 does not fit',
  );
  t.equal(wakeAtMs, null, 'nothing held back');
  t.same(w.take(clock.now()).touches, [], 'a touch is made once');
  t.match(requeueValue('n1', Date.parse('2026-11-21T10:00:00.123Z')), 'room on n1 at 2026-11-21T10:00:00.123Z');
  t.equal(
    w.reportArrived('n1', figures(), figures({ fresh: false }), () => true),
    0,
    'a stale report asks for nothing',
  );
});

t.test('one touch per pod until kube-scheduler retried it, or the interval passed', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods(limits);
  const all = new Set(['default/db-0']);
  w.turnedAway(facts('db-0'), nvme(200), clock.now());
  arrive(w, 'n1', all);
  const first = clock.now();
  t.equal(w.take(clock.now()).touches.length, 1, 'the first touch goes at once');

  clock.advance(5_000);
  arrive(w, 'n2', all);
  const held = w.take(clock.now());
  t.equal(held.touches.length, 0, 'not retried since: held back');
  t.equal(held.wakeAtMs, first + limits.podIntervalMs, 'until the interval has passed');
  clock.advance(1_000);
  w.take(clock.now());
  t.equal(w.stats().heldBack.pod, 1, 'counted once, however often it is looked at');
  clock.advance(limits.podIntervalMs - 6_000);
  t.same(
    w.take(clock.now()).touches.map((x) => x.node),
    ['n2'],
    'then it goes',
  );

  clock.advance(1_000);
  w.turnedAway(facts('db-0'), nvme(200), clock.now()); // kube-scheduler retried: the touch was used
  clock.advance(1_000);
  arrive(w, 'n3', all);
  t.same(
    w.take(clock.now()).touches.map((x) => x.node),
    ['n3'],
    'after a retry the next room is asked for at once',
  );
});

t.test('a retry by kube-scheduler makes a wanted touch moot', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods({ ...limits, ratePerSecond: 1 });
  w.turnedAway(facts('a'), nvme(200), clock.now());
  w.turnedAway(facts('b'), nvme(200), clock.now());
  arrive(w, 'n1', new Set(['default/a', 'default/b']));
  t.equal(w.take(clock.now()).touches.length, 1, 'one token');
  w.turnedAway(facts('b'), nvme(200), clock.now());
  clock.advance(1_000);
  t.same(w.take(clock.now()).touches, [], 'b was retried before its turn: no touch');
});

t.test('the rate in all: a token bucket of one second', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods({ ...limits, ratePerSecond: 2 });
  const keys = new Set<string>();
  for (let i = 0; i < 5; i++) {
    w.turnedAway(facts(`p${i}`), nvme(200), clock.now());
    keys.add(`default/p${i}`);
  }
  t.equal(arrive(w, 'n1', keys), 5);
  const first = w.take(clock.now());
  t.same(
    first.touches.map((x) => x.name),
    ['p0', 'p1'],
    'a burst of one second, in the order they were wanted',
  );
  t.equal(first.wakeAtMs, clock.now() + 500, 'the next token in half a second');
  t.equal(w.stats().heldBack.rate, 3, 'three held back by the rate');
  clock.advance(500);
  t.same(
    w.take(clock.now()).touches.map((x) => x.name),
    ['p2'],
  );
  clock.advance(10_000);
  t.same(
    w.take(clock.now(), 1).touches.map((x) => x.name),
    ['p3'],
    'at most `max` at once',
  );
  t.same(
    w.take(clock.now()).touches.map((x) => x.name),
    ['p4'],
  );
  t.equal(w.stats().heldBack.rate, 3, 'each held-back touch counted once');
});

t.test('what is forgotten, and why', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods({ ...limits, maxPods: 2 });
  w.turnedAway(facts('a'), nvme(200), clock.now());
  clock.advance(1);
  w.turnedAway(facts('b'), nvme(200), clock.now());
  clock.advance(1);
  w.turnedAway(facts('a'), nvme(200), clock.now()); // asked again: now the most recent
  w.turnedAway(facts('c'), nvme(200), clock.now());
  t.same(
    [w.has('default/a'), w.has('default/b'), w.has('default/c')],
    [true, false, true],
    'b turned away longest ago',
  );
  w.drop('default/a', 'placed');
  w.drop('default/a', 'placed');
  w.drop('default/nope', 'deleted');
  clock.advance(FORGET_AFTER_MS);
  w.take(clock.now());
  t.equal(w.size, 0, 'c not asked about for FORGET_AFTER_MS');
  t.same(w.stats().dropped, { passed: 0, placed: 1, deleted: 0, expired: 1, evicted: 1 }, 'each counted once');
});

t.test('a pod recreated under the same name starts over; a failed touch is retried after the interval', async (t) => {
  const clock = new TestClock();
  const w = new WaitingPods(limits);
  const all = new Set(['default/db-0']);
  w.turnedAway(facts('db-0', 'old'), nvme(200), clock.now());
  arrive(w, 'n1', all);
  const [touch] = w.take(clock.now()).touches;
  if (touch === undefined) throw new Error('no touch');
  t.equal(w.uidOf('default/db-0'), 'old');

  w.failed(touch);
  const again = w.take(clock.now());
  t.equal(again.touches.length, 0, 'not at once');
  t.equal(again.wakeAtMs, clock.now() + limits.podIntervalMs, 'after the interval');
  clock.advance(limits.podIntervalMs);
  t.same(
    w.take(clock.now()).touches.map((x) => x.uid),
    ['old'],
    'retried',
  );

  w.turnedAway(facts('db-0', 'new'), nvme(200), clock.now());
  t.equal(w.uidOf('default/db-0'), 'new', 'the new pod replaces the old');
  w.failed(touch);
  t.same(w.take(clock.now()).touches, [], "the old pod's failed touch is not retried for the new one");
  arrive(w, 'n2', all);
  t.same(
    w.take(clock.now()).touches.map((x) => x.uid),
    ['new'],
    'the new pod is touched at once',
  );
});
