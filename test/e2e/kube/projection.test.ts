/**
 * berth's readers against a real kube-apiserver v1.36: the same pods, claims and StorageClasses LISTed in protobuf
 * and in JSON give identical projections, and the projection holds what was written (the recorded fixtures of
 * test/server/kube/proto-objects.test.ts come from the same objects). Then the informer itself: a paginated LIST
 * in pages of 2, and a pod created, bound and finished seen through its protobuf WATCH (a finished pod leaves, as the field selector says).
 */
import t from 'tap';
import { Interner, PodProjector, type PodRecord } from '../../../lib/extender/pod.ts';
import { ApiClient } from '../../../server/kube/api-get.ts';
import { claimCodec, classCodec, podCodec, type ResourceCodec } from '../../../server/kube/resources.ts';
import { Slicer } from '../../../server/kube/slicer.ts';
import { SupervisedInformer } from '../../../server/kube/supervised-informer.ts';
import { projectList } from '../../server/kube/projection-check.ts';
import { e2eGate, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { PLAN_PODS, readBoth, writeEdgeObjects, writePlanObjects } from './projection-objects.ts';
import { ApiWriter, loadBasics } from './scale-loader.ts';
import { podObject, podPlan } from './scale-objects.ts';

t.setTimeout(180_000);
const gate = e2eGate(t);

t.test('protobuf and JSON agree; the informer lists in pages and watches', { skip: gate.skip }, async (t) => {
  const cp = await startControlPlane(t);
  const kc = cp.kubeConfig();
  const w = await ApiWriter.create(kc, 4);
  t.teardown(() => {
    w.close();
  });
  await loadBasics(w);
  await writePlanObjects(w, 100);
  await writeEdgeObjects(w);
  const codecs: [string, string, () => ResourceCodec<unknown>][] = [
    ['pods', '/api/v1/pods', () => ({ ...podCodec(new PodProjector()), fieldSelector: null })],
    ['claims', '/api/v1/persistentvolumeclaims', () => claimCodec(new Interner())],
    ['classes', '/apis/storage.k8s.io/v1/storageclasses', () => classCodec()],
  ];
  for (const [name, path, codec] of codecs) {
    const both = await readBoth(kc, path);
    const json = projectList(codec(), both.json, false);
    t.same(projectList(codec(), both.proto, true), json, `${name}: ${json.items.length} the same from both encodings`);
  }
  const pods = projectList(podCodec(new PodProjector()), (await readBoth(kc, '/api/v1/pods')).proto, true);
  const plan = podPlan(PLAN_PODS[0], 100);
  const pg = pods.items.find((p) => p.key === `${plan.namespace}/${plan.name}`)?.value;
  t.same(pg?.labels, (podObject(plan)['metadata'] as { labels: object }).labels, 'labels as written');
  t.equal(pg?.nodeName, plan.node, 'node as written');

  const held = new Map<string, PodRecord>();
  const api = new ApiClient(kc);
  const informer = new SupervisedInformer({
    api,
    codec: podCodec(new PodProjector()),
    sink: {
      upsert: (key, v) => {
        held.set(key, v);
      },
      remove: (key) => {
        held.delete(key);
      },
      keys: () => held.keys(),
      size: () => held.size,
    },
    slicer: new Slicer(),
    pageSize: 2,
    watchdogTimeoutMs: 60_000,
    resyncPeriodMs: 600_000,
    now: () => Date.now(),
    random: Math.random,
    log: () => undefined,
  });
  t.teardown(async () => {
    await informer.stop();
    api.close();
  });
  informer.start();
  await waitFor(() => informer.health.phase === 'synced', { description: 'the informer synced' });
  t.equal(held.has('team-0/done'), false, 'the finished pod is left out by the field selector');
  t.equal(held.size, PLAN_PODS.length + 2, 'every unfinished pod');
  t.ok((informer.lastList?.pages ?? 0) >= 3, `in ${informer.lastList?.pages ?? 0} pages of 2`);
  await w.send('POST', '/api/v1/namespaces/team-1/pods', {
    metadata: { name: 'w' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await waitFor(() => held.get('team-1/w') !== undefined, { description: 'the created pod' });
  await w.send('POST', '/api/v1/namespaces/team-1/pods/w/binding', {
    metadata: { name: 'w' },
    target: { kind: 'Node', name: 'n1' },
  });
  await waitFor(() => held.get('team-1/w')?.nodeName === 'n1', { description: 'the binding' });
  await w.send(
    'PATCH',
    '/api/v1/namespaces/team-1/pods/w/status',
    { status: { phase: 'Succeeded' } },
    'application/merge-patch+json',
  );
  await waitFor(() => !held.has('team-1/w'), { description: 'the finished pod leaving' });
  t.pass('created, bound and finished: seen through the watch (the finished pod leaves as the selector says)');
  t.equal(informer.health.restarts, 0, 'no restart');
});
