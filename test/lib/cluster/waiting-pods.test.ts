import t from 'tap';
import { FORGET_AFTER_MS, requeueValue, WaitingPods, type RequeueLimits } from '../../../lib/cluster/waiting-pods.ts';
import { cluster, needing, nvme } from '../../helpers/waiting-pods.ts';

const TTL = 180_000;
const limits: RequeueLimits = { ratePerSecond: 10, podIntervalMs: 30_000, maxPods: 100 };

/** Waiting pods over a real report store: `away` is a filter turning a pod away, `room` a node's report with room. */
function scene(l: RequeueLimits = limits) {
  const c = cluster();
  const w = new WaitingPods(l);
  const away = (name: string, gi = 200, uid?: string): void => {
    const p = needing(gi, name, uid);
    w.turnedAway(p.facts, p.needs, c.clock.now());
  };
  /** The node reported 100Gi free, and now 500Gi: the pods needing 101-500Gi may go there. */
  const room = (node: string): number => {
    c.put(node, nvme(100));
    const before = c.put(node, nvme(500));
    return w.reportArrived(node, before, c.engine, c.clock.now());
  };
  return { ...c, w, away, room };
}

t.test('a report that turns a node from no to yes asks for one touch', async (t) => {
  const { w, away, room, clock, engine, store } = scene();
  away('db-0', 200);
  away('db-1', 50);
  away('db-2', 600);
  t.equal(room('n1'), 1, 'one wanted');
  const { touches, wakeAtMs } = w.take(clock.now());
  t.same(
    touches.map((x) => [x.namespace, x.name, x.uid, x.node, x.value]),
    [['default', 'db-0', 'uid-db-0', 'n1', requeueValue('n1', clock.now())]],
    'db-0 only: db-1 fitted before the report, db-2 does not fit',
  );
  t.equal(wakeAtMs, null, 'nothing held back');
  t.same(w.take(clock.now()).touches, [], 'a touch is made once');
  t.match(requeueValue('n1', Date.parse('2026-11-21T10:00:00.123Z')), 'room on n1 at 2026-11-21T10:00:00.123Z');
  away('db-3', 300);
  clock.advance(TTL + 1);
  t.equal(w.reportArrived('n1', undefined, engine, clock.now()), 0, 'a report that is stale by now asks for nothing');
  t.equal(store.size, 1);
});

t.test('one touch per pod until kube-scheduler retried it, or the interval passed', async (t) => {
  const { w, away, room, clock } = scene();
  away('db-0');
  room('n1');
  const first = clock.now();
  t.equal(w.take(clock.now()).touches.length, 1, 'the first touch goes at once');

  clock.advance(5_000);
  room('n2');
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
  away('db-0'); // kube-scheduler retried: the touch was used
  clock.advance(1_000);
  room('n3');
  t.same(
    w.take(clock.now()).touches.map((x) => x.node),
    ['n3'],
    'after a retry the next room is asked for at once',
  );
});

t.test('a retry by kube-scheduler makes a wanted touch moot', async (t) => {
  const { w, away, room, clock } = scene({ ...limits, ratePerSecond: 1 });
  away('a');
  away('b');
  room('n1');
  t.equal(w.take(clock.now()).touches.length, 1, 'one token');
  away('b');
  clock.advance(1_000);
  t.same(w.take(clock.now()).touches, [], 'b was retried before its turn: no touch');
});

t.test('the rate in all: a token bucket of one second', async (t) => {
  const { w, away, room, clock } = scene({ ...limits, ratePerSecond: 2 });
  for (let i = 0; i < 5; i++) away(`p${i}`);
  t.equal(room('n1'), 5);
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
  const { w, away, clock } = scene({ ...limits, maxPods: 2 });
  away('a');
  clock.advance(1);
  away('b');
  clock.advance(1);
  away('a'); // asked again: now the most recent
  away('c');
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
  const { w, away, room, clock } = scene();
  away('db-0', 200, 'old');
  room('n1');
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

  away('db-0', 200, 'new');
  t.equal(w.uidOf('default/db-0'), 'new', 'the new pod replaces the old');
  w.failed(touch);
  t.same(w.take(clock.now()).touches, [], "the old pod's failed touch is not retried for the new one");
  room('n2');
  t.same(
    w.take(clock.now()).touches.map((x) => x.uid),
    ['new'],
    'the new pod is touched at once',
  );
});
