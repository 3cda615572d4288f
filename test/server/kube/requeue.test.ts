/**
 * The Requeuer's wiring between filter answers, pod events, accepted reports and the patches it sends, with the
 * write replaced by a recording function: what a patch does to a real API server and a real kube-scheduler (the
 * merge patch, the uid precondition, the admission policy, the retry) is proven in test/e2e/scenarios/requeue.test.ts.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { config, GiB, pod, report, TestClock } from '../../helpers/builders.ts';
import { podNeeds } from '../../../lib/extender/needs.ts';
import { podFacts } from '../../../lib/extender/pod.ts';
import { ReportStore } from '../../../lib/extender/report-store.ts';
import type { Touch } from '../../../lib/cluster/waiting-pods.ts';
import { Requeuer, type PatchOutcome } from '../../../server/kube/requeue.ts';
import { sumSamples } from '../../e2e/scenarios/berth-process.ts';

function setup(outcome: () => PatchOutcome = () => ({ ok: true })) {
  const clock = new TestClock();
  const store = new ReportStore();
  let sequence = 0;
  const put = (node: string, freeGi: number): void => {
    const before = store.get(node);
    store.ingest(report(node, { pools: [['nvme0', freeGi, 1000]], sequence: ++sequence }), clock.now());
    requeuer.reportAccepted(node, before);
  };
  const sent: Touch[] = [];
  const logs: string[] = [];
  const registry = new Registry();
  let release: () => void = () => undefined;
  let gate: Promise<void> | null = null;
  const requeuer = new Requeuer({
    limits: { ratePerSecond: 10, podIntervalMs: 30_000, maxPods: 100 },
    engine: { policy: config().policy, store, reservations: () => new Map(), peerNodes: () => [] },
    patch: async (touch) => {
      sent.push(touch);
      if (gate !== null) await gate;
      return outcome();
    },
    registry,
    log: (level, msg) => logs.push(`${level} ${msg}`),
    now: clock.now,
  });
  const turnAway = (name: string, annotations = { 'berth.io/nvme-capacity': '200Gi' }): void => {
    const f = podFacts(pod(annotations, { name }));
    const needs = podNeeds(f);
    if (!needs.ok) throw new Error(needs.reason);
    requeuer.filtered(f, needs.needs, []);
  };
  const hold = (): void => {
    gate = new Promise((resolve) => (release = resolve));
  };
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    sumSamples(await registry.metrics(), name, labels);
  return {
    clock,
    store,
    put,
    sent,
    logs,
    requeuer,
    turnAway,
    metric,
    hold,
    release: () => {
      release();
    },
  };
}

/** Lets the drain (setImmediate) run and the patches it started finish. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

t.test('a report that makes room patches the turned-away pod, once', async (t) => {
  const s = setup();
  s.put('n1', 100);
  s.turnAway('db-0');
  t.equal(await s.metric('berth_requeue_waiting_pods'), 1, 'remembered');
  s.put('n1', 150);
  await settle();
  t.equal(s.sent.length, 0, 'still too small: nothing');
  s.put('n1', 300);
  await settle();
  t.same(
    s.sent.map((x) => [x.key, x.uid, x.node]),
    [['default/db-0', 'uid-db-0', 'n1']],
    'patched for the room on n1',
  );
  t.match(s.sent[0]?.value, /^room on n1 at \d{4}-\d\d-\d\dT/);
  s.put('n1', 400);
  await settle();
  t.equal(s.sent.length, 1, 'n1 fitted already: no second patch');
  t.equal(await s.metric('berth_requeue_touches_total'), 1);
  t.same(s.logs, ['info room appeared: asked kube-scheduler to retry a pod']);
  await s.requeuer.close();
});

t.test('filter letting the pod through, its binding or its deletion end the wait', async (t) => {
  const s = setup();
  const f = podFacts(pod({ 'berth.io/nvme-capacity': '200Gi' }, { name: 'a' }));
  const needs = podNeeds(f);
  if (!needs.ok) throw new Error(needs.reason);
  for (const name of ['a', 'b', 'c', 'd']) s.turnAway(name);
  s.requeuer.filtered(f, needs.needs, ['n1']);
  s.requeuer.podEvent({ ...pod({}, { name: 'b' }), spec: { nodeName: 'n1' } }, false);
  s.requeuer.podEvent(pod({}, { name: 'c' }), true);
  s.requeuer.podEvent({ metadata: { name: 'd', namespace: 'default', uid: 'someone-else' } }, false);
  s.requeuer.podEvent(pod({}, { name: 'not-waiting' }), true);
  t.equal(s.requeuer.waiting.size, 0, 'nothing left');
  t.equal(await s.metric('berth_requeue_forgotten_total', { reason: 'passed' }), 1);
  t.equal(await s.metric('berth_requeue_forgotten_total', { reason: 'placed' }), 1);
  t.equal(await s.metric('berth_requeue_forgotten_total', { reason: 'deleted' }), 2, 'deleted, or replaced');
  s.requeuer.filtered({ ...f, uid: '' }, needs.needs, []);
  s.requeuer.filtered({ ...f, nodeName: 'n1' }, needs.needs, []);
  t.equal(s.requeuer.waiting.size, 0, 'pods without a uid, or already bound, are never remembered');
  await s.requeuer.close();
});

t.test('failures: a pod gone is forgotten; an error is counted, warned about once, and retried later', async (t) => {
  let result: PatchOutcome = { ok: false, gone: true, error: 'ApiException 404: not found' };
  const s = setup(() => result);
  s.turnAway('gone');
  s.put('n1', 300);
  await settle();
  t.equal(s.requeuer.waiting.size, 0, 'the deleted pod is forgotten');
  t.equal(await s.metric('berth_requeue_failures_total', { reason: 'gone' }), 1);

  result = { ok: false, gone: false, error: 'ApiException 403: denied' };
  s.turnAway('a');
  s.turnAway('b');
  s.put('n2', 300);
  await settle();
  t.equal(s.sent.length, 3, 'both tried');
  t.equal(await s.metric('berth_requeue_failures_total', { reason: 'error' }), 2);
  t.same(
    s.logs,
    ['warn could not annotate a pod for a retry (counted in berth_requeue_failures_total)'],
    'one warning for both',
  );
  t.equal(s.requeuer.waiting.dueCount, 2, 'both wait to be tried again after --requeue-pod-interval');
  await s.requeuer.close();
});

t.test('close waits for the patches in flight and sends nothing more', async (t) => {
  const s = setup();
  s.hold();
  s.turnAway('a');
  s.put('n1', 300);
  await settle();
  t.equal(s.sent.length, 1, 'in flight');
  let closed = false;
  const closing = s.requeuer.close().then(() => (closed = true));
  await settle();
  t.equal(closed, false, 'close waits');
  s.release();
  await closing;
  s.turnAway('b');
  s.put('n2', 300);
  await settle();
  t.equal(s.sent.length, 1, 'nothing after close');
  t.equal(s.store.get('n2')?.nvmeFreeBytes, 300 * GiB);
});
