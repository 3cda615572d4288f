/**
 * berth's one write, against a real kube-apiserver v1.36: the extender's service account (a static-token user with
 * its user name, under exactly the shipped RBAC and admission policy) may patch the berth.io/requeue annotation of a
 * pod, with berth's own patch code (server/kube/requeue.ts), and nothing else. Every other change is refused: by
 * RBAC where the shipped role grants no verb, and by the ValidatingAdmissionPolicy
 * (manifests/admission/requeue-policy.yaml) where RBAC cannot tell (a patch can change anything) and also where a
 * broader role would let it through (the test grants one and tries again). An administrator is not bound by it.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { REQUEUE_ANNOTATION, requeueValue, type Touch } from '../../../lib/cluster/waiting-pods.ts';
import { apiPatcher, REQUEUE_FIELD_MANAGER } from '../../../server/kube/requeue.ts';
import { applyManifests, EXTENDER_NS, EXTENDER_SA } from '../kube/kube-fixtures.ts';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { scenarioPod } from './scenario.ts';

t.setTimeout(180_000);
const gate = e2eGate(t);

const EXTENDER_USER = `system:serviceaccount:${EXTENDER_NS}:${EXTENDER_SA}`;
const POLICY = 'berth-extender-requeue-only';

/** The outcome of an API call: 'ok', or the status code and the API server's message. */
async function attempt(call: () => Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call();
    return { status: 200, message: 'ok' };
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    const message = (JSON.parse(body) as { message?: string }).message ?? body;
    return { status: err.code, message };
  }
}

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

t.test('the extender may change one annotation of a pod and nothing else', { skip: gate.skip }, async (t) => {
  const cp = await startControlPlane(t, { users: [{ name: EXTENDER_USER }] });
  const admin = cp.kubeConfig();
  await applyManifests(admin, [
    'namespaces.yaml',
    'crd/nodereports.yaml',
    'rbac/extender.yaml',
    'admission/requeue-policy.yaml',
  ]);
  const asAdmin = admin.makeApiClient(k8s.CoreV1Api);
  const extenderKc = cp.kubeConfig(EXTENDER_USER);
  const asBerth = extenderKc.makeApiClient(k8s.CoreV1Api);
  const namespace = 'default';
  const base = scenarioPod('waiting', { labels: { app: 'db' }, annotations: { 'team.example/owner': 'dba' } });
  const created = await asAdmin.createNamespacedPod({ namespace, body: base });
  const uid = created.metadata?.uid ?? '';
  const patch = (body: object, who = asBerth, name = 'waiting') =>
    attempt(() => who.patchNamespacedPod({ name, namespace, body }, merge));
  const touch = (o: Partial<Touch> = {}): Touch => ({
    key: `${namespace}/waiting`,
    namespace,
    name: 'waiting',
    uid,
    node: 'nvme-a',
    value: requeueValue('nvme-a', Date.now()),
    ...o,
  });
  const write = apiPatcher(k8s, extenderKc);

  // A policy takes effect a moment after it is created: wait until a forbidden patch is refused by it (a new label
  // value each time: a patch that changes nothing is allowed, rightly).
  let probe = 0;
  await waitFor(
    async () => (await patch({ metadata: { labels: { probe: String(++probe) } } })).message.includes(POLICY),
    { description: 'the requeue admission policy to be enforced' },
  );

  await t.test("berth's own patch goes through, and says who wrote it", async (t) => {
    const value = requeueValue('nvme-a', Date.parse('2026-11-21T10:00:00.123Z'));
    t.same(await write(touch({ value })), { ok: true }, 'berth.io/requeue patched');
    const pod = await asAdmin.readNamespacedPod({ name: 'waiting', namespace });
    t.equal(pod.metadata?.annotations?.[REQUEUE_ANNOTATION], 'room on nvme-a at 2026-11-21T10:00:00.123Z');
    t.equal(pod.metadata?.annotations?.['team.example/owner'], 'dba', 'the other annotation is untouched');
    t.ok(
      pod.metadata?.managedFields?.some((m) => m.manager === REQUEUE_FIELD_MANAGER && m.operation === 'Update'),
      `managedFields name ${REQUEUE_FIELD_MANAGER}`,
    );
    t.same(await write(touch()), { ok: true }, 'and again, with a new time');
  });

  await t.test('only a pod not bound yet', async (t) => {
    const bound = scenarioPod('bound');
    if (bound.spec !== undefined) bound.spec.nodeName = 'nvme-a';
    const placed = await asAdmin.createNamespacedPod({ namespace, body: bound });
    const outcome = await write(touch({ name: 'bound', key: `${namespace}/bound`, uid: placed.metadata?.uid ?? '' }));
    t.equal(outcome.ok, false, 'refused');
    t.match(outcome.ok ? '' : outcome.error, /403/, `by the policy: ${outcome.ok ? '' : outcome.error}`);
    const r = await patch(
      { metadata: { annotations: { [REQUEUE_ANNOTATION]: requeueValue('x', Date.now()) } } },
      asBerth,
      'bound',
    );
    t.ok(r.status === 403 && /not bound to a node yet/.test(r.message), r.message);
  });

  await t.test('the uid precondition: a pod recreated under the same name is not touched', async (t) => {
    const outcome = await write(touch({ uid: 'a-pod-that-was-deleted' }));
    t.equal(outcome.ok, false, 'refused');
    t.equal(outcome.ok ? null : outcome.gone, true, 'reported as gone, so berth forgets the pod');
    t.comment(outcome.ok ? '' : outcome.error);
    const missing = await write(touch({ name: 'no-such-pod' }));
    t.equal(missing.ok ? null : missing.gone, true, 'a deleted pod: gone');
  });

  const refusedByPolicy: [string, object, RegExp][] = [
    ['add a label', { metadata: { labels: { app: 'other' } } }, /may not change a pod's spec, labels/],
    ['add another annotation', { metadata: { annotations: { 'x.example/y': 'z' } } }, /no annotation of a pod but/],
    ['change another annotation', { metadata: { annotations: { 'team.example/owner': 'x' } } }, /no annotation/],
    ['remove another annotation', { metadata: { annotations: { 'team.example/owner': null } } }, /no annotation/],
    [
      'write berth.io/requeue in another form',
      { metadata: { annotations: { [REQUEUE_ANNOTATION]: 'please schedule me first' } } },
      /berth.io\/requeue must read/,
    ],
    ['change the spec', { spec: { activeDeadlineSeconds: 30 } }, /may not change a pod's spec/],
    ['add a finalizer', { metadata: { finalizers: ['example.com/keep'] } }, /finalizers/],
    [
      'add an owner',
      {
        metadata: {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: '00000000-0000-0000-0000-000000000001' },
          ],
        },
      },
      /owner references/,
    ],
  ];
  await t.test('every other patch of the pod is refused by the admission policy', async (t) => {
    for (const [what, body, why] of refusedByPolicy) {
      const r = await patch(body);
      t.equal(r.status, 403, `${what}: 403`);
      t.ok(r.message.includes(POLICY) && why.test(r.message), `${what}: ${r.message}`);
    }
  });

  const verbs: [string, () => Promise<unknown>][] = [
    ['create a pod', () => asBerth.createNamespacedPod({ namespace, body: scenarioPod('berths-own') })],
    ['delete the pod', () => asBerth.deleteNamespacedPod({ name: 'waiting', namespace })],
    [
      'patch its status',
      () =>
        asBerth.patchNamespacedPodStatus({ name: 'waiting', namespace, body: { status: { phase: 'Failed' } } }, merge),
    ],
    [
      'evict it',
      () =>
        asBerth.createNamespacedPodEviction({
          name: 'waiting',
          namespace,
          body: model<k8s.V1Eviction>({ metadata: { name: 'waiting', namespace } }),
        }),
    ],
    [
      'bind it to a node',
      () =>
        asBerth.createNamespacedPodBinding({
          name: 'waiting',
          namespace,
          body: model<k8s.V1Binding>({
            metadata: { name: 'waiting' },
            target: { apiVersion: 'v1', kind: 'Node', name: 'nvme-a' },
          }),
        }),
    ],
  ];
  await t.test("a patch cannot reach the pod's status either", async (t) => {
    const r = await patch({ status: { phase: 'Failed', message: 'set by berth' } });
    const pod = await asAdmin.readNamespacedPod({ name: 'waiting', namespace });
    t.not(pod.status?.phase, 'Failed', `status unchanged (the API server answered ${r.status}: ${r.message})`);
  });

  await t.test('what the shipped role does not grant is refused by RBAC', async (t) => {
    for (const [what, call] of verbs) {
      const r = await attempt(call);
      t.equal(r.status, 403, `${what}: 403`);
      t.match(r.message, /cannot (create|delete|patch) resource/, `${what}: ${r.message}`);
    }
  });

  await t.test('with a broader role, the policy still refuses all of it', async (t) => {
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: model<k8s.V1ClusterRole>({
        metadata: { name: 'too-much' },
        rules: [{ apiGroups: [''], resources: ['pods', 'pods/status', 'pods/eviction', 'pods/binding'], verbs: ['*'] }],
      }),
    });
    await rbac.createClusterRoleBinding({
      body: model<k8s.V1ClusterRoleBinding>({
        metadata: { name: 'too-much' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'too-much' },
        subjects: [{ kind: 'ServiceAccount', name: EXTENDER_SA, namespace: EXTENDER_NS }],
      }),
    });
    await waitFor(async () => (await attempt(verbs[1]?.[1] ?? (async () => undefined))).message.includes(POLICY), {
      description: 'the broader role to be in effect',
    });
    for (const [what, call] of verbs) {
      const r = await attempt(call);
      t.equal(r.status, 403, `${what}: 403`);
      t.ok(r.message.includes(POLICY) && /may only annotate pods/.test(r.message), `${what}: ${r.message}`);
    }
    const current = await asAdmin.readNamespacedPod({ name: 'waiting', namespace });
    current.metadata ??= new k8s.V1ObjectMeta();
    current.metadata.labels = { app: 'replaced' };
    const put = await attempt(() => asBerth.replaceNamespacedPod({ name: 'waiting', namespace, body: current }));
    t.equal(put.status, 403, 'a full update (PUT) changing a label: 403');
    t.match(put.message, /may not change a pod's spec, labels/);
    t.same(await write(touch()), { ok: true }, 'the annotation still goes through');
  });

  await t.test('an administrator is not bound by the policy', async (t) => {
    t.equal((await patch({ metadata: { labels: { app: 'db2' } } }, asAdmin)).status, 200, 'label');
    t.equal((await patch({ spec: { activeDeadlineSeconds: 30 } }, asAdmin)).status, 200, 'spec');
    const pod = await asAdmin.readNamespacedPod({ name: 'waiting', namespace });
    t.equal(pod.metadata?.labels?.['app'], 'db2');
  });
});
