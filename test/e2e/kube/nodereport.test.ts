/**
 * NodeReports through a real kube-apiserver v1.36 (with kube-controller-manager for garbage collection):
 * the agent's server-side apply, the own-node admission policy with real node-bound tokens, extender replicas
 * reading through least-privilege RBAC and answering identically, TokenReview push auth, and reports going away
 * with their Node.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { NODE_REPORT_GROUP, NODE_REPORT_PLURAL, NODE_REPORT_VERSION } from '../../../lib/core/node-report-resource.ts';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { KubeReportPublisher, FIELD_MANAGER } from '../../../server/agent/publish-kube.ts';
import { isPublishError } from '../../../server/agent/publish/publisher.ts';
import { report, pod } from '../../helpers/builders.ts';
import { e2eGate, startControlPlane, waitFor } from '../harness/control-plane.ts';
import {
  AGENT_NS,
  AGENT_SA,
  EXTENDER_NS,
  EXTENDER_SA,
  applyManifests,
  extenderArgs,
  placeholderPod,
  post,
  serviceAccountToken,
  startKubeExtender,
  tokenKubeConfig,
  waitReady,
} from './kube-fixtures.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

/** The refused publish (BERTH_ERR_PUBLISH): its message and the API server's status. */
async function publishError(p: Promise<void>): Promise<{ message: string; status: number | null } | null> {
  return p.then(
    () => null,
    (e: unknown) => (isPublishError(e) ? { message: e.message, status: e.upstream?.status ?? null } : null),
  );
}

t.test('NodeReports: apply, admission, replicas, push auth, garbage collection', { skip: gate.skip }, async (t) => {
  const cp = await startControlPlane(t);
  const admin = cp.kubeConfig();
  await applyManifests(admin, [
    'namespaces.yaml',
    'crd/nodereports.yaml',
    'rbac/agent.yaml',
    'rbac/extender.yaml',
    'rbac/extender-push-auth.yaml',
    'admission/nodereport-policy.yaml',
  ]);
  // Nodes before kube-controller-manager (for garbage collection): its node controllers update new Nodes, and
  // the harness's createNode would then lose its status update to a 409.
  const nodeA = await cp.createNode('node-a', { zone: 'z1' });
  await cp.createNode('node-b', { zone: 'z2' });
  await cp.startControllerManager();
  const agentPodA = await placeholderPod(admin, AGENT_NS, 'agent-a', AGENT_SA, 'node-a');
  const agentPodB = await placeholderPod(admin, AGENT_NS, 'agent-b', AGENT_SA, 'node-b');
  const tokenA = await serviceAccountToken(admin, AGENT_NS, AGENT_SA, { pod: agentPodA });
  const tokenB = await serviceAccountToken(admin, AGENT_NS, AGENT_SA, { pod: agentPodB });
  const kcA = tokenKubeConfig(cp, tokenA);
  const publish = (kc: k8s.KubeConfig, node: string, free = 500): Promise<void> =>
    new KubeReportPublisher({ k8s, kc, node, timeoutMs: 10_000 }).publish(
      report(node, { pools: [['nvme0', free, 1000]], zone: node === 'node-a' ? 'z1' : 'z2' }),
      new AbortController().signal,
    );

  // The policy applies to what the API server actually sees, so it may take a moment to load after creation.
  await waitFor(
    async () => /may only write NodeReport/.test((await publishError(publish(kcA, 'node-b')))?.message ?? ''),
    { description: 'the admission policy to be enforced' },
  );

  await t.test('the agent applies its own report with server-side apply, owned by its Node', async (t) => {
    await publish(kcA, 'node-a');
    const custom = admin.makeApiClient(k8s.CustomObjectsApi);
    const obj = (await custom.getClusterCustomObject({
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
      name: 'node-a',
    })) as k8s.KubernetesObject & { status?: { summary?: { nvmeFree?: string } } };
    t.same(
      obj.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['Node', 'node-a', nodeA.metadata?.uid]],
      'ownerReference to the Node',
    );
    const managers = obj.metadata?.managedFields?.map((m) => [m.manager, m.operation, m.subresource ?? '']) ?? [];
    t.ok(
      managers.some(([m, op, sub]) => m === FIELD_MANAGER && op === 'Apply' && sub === 'status'),
      `status applied by ${FIELD_MANAGER}: ${JSON.stringify(managers)}`,
    );
    t.equal(obj.status?.summary?.nvmeFree, '500Gi', 'printer-column summary written');
  });

  await t.test('a report object deleted under a running agent is applied again', async (t) => {
    const publisher = new KubeReportPublisher({ k8s, kc: kcA, node: 'node-a', timeoutMs: 10_000 });
    const signal = new AbortController().signal;
    await publisher.publish(report('node-a', { sequence: 2 }), signal);
    await admin.makeApiClient(k8s.CustomObjectsApi).deleteClusterCustomObject({
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
      name: 'node-a',
    });
    const gone = await publishError(publisher.publish(report('node-a', { sequence: 3 }), signal));
    t.equal(gone?.status, 404, 'the status apply finds no object (the sender retries)');
    await publisher.publish(report('node-a', { sequence: 4 }), signal);
    const obj = (await admin.makeApiClient(k8s.CustomObjectsApi).getClusterCustomObject({
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
      name: 'node-a',
    })) as k8s.KubernetesObject & { status?: { agent?: { sequence?: number } } };
    t.equal(obj.status?.agent?.sequence, 4, 'the retry re-created the object, owner and all');
    t.equal(obj.metadata?.ownerReferences?.[0]?.uid, nodeA.metadata?.uid);
  });

  await t.test('the admission policy ties writes to the node in the token', async (t) => {
    const other = await publishError(publish(kcA, 'node-b'));
    t.equal(other?.status, 403, "a token bound to a pod on node-a cannot write node-b's report");
    t.match(other?.message ?? '', /the berth agent on node node-a may only write NodeReport node-a, not node-b/);
    const unbound = await serviceAccountToken(admin, AGENT_NS, AGENT_SA);
    const noClaim = await publishError(publish(tokenKubeConfig(cp, unbound), 'node-a'));
    t.equal(noClaim?.status, 403, 'a token without the node-name claim cannot write any report');
    t.match(noClaim?.message ?? '', /no authentication\.kubernetes\.io\/node-name claim/);
    t.equal(
      await publishError(publish(tokenKubeConfig(cp, tokenB), 'node-b')),
      null,
      "node-b's agent writes node-b's report",
    );
    const extenderToken = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA);
    const rbac = await publishError(publish(tokenKubeConfig(cp, extenderToken), 'node-a'));
    t.equal(rbac?.status, 403, 'RBAC: the extender cannot write reports');
  });

  // Two replicas, each as the berth-extender service account (the RBAC in manifests/rbac/extender*.yaml, nothing more).
  const extToken = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA);
  const opts = { 'nvme-storage-classes': 'local-nvme', 'reports-push': true, 'push-auth': 'tokenreview' as const };
  const replicas = [
    await startKubeExtender(tokenKubeConfig(cp, extToken), opts),
    await startKubeExtender(tokenKubeConfig(cp, extToken), opts),
  ];
  t.teardown(async () => {
    for (const r of replicas) await r.close();
  });
  for (const r of replicas) await waitReady(r);
  await waitFor(() => replicas.every((r) => r.running.deps.store.size === 2), {
    description: 'both replicas to hold both reports',
  });

  await t.test('replicas give byte-identical answers to the same request', async (t) => {
    const body = extenderArgs(pod({ [ANNOTATIONS.nvmeCapacity]: '300Gi' }, { name: 'db-0' }), [
      'node-a',
      'node-b',
      'node-c',
    ]);
    const answers = [];
    for (const verb of ['filter', 'prioritize']) {
      const [one, two] = await Promise.all(replicas.map((r) => post(`${r.running.url}/scheduler/${verb}`, body)));
      t.equal(one?.status, 200, verb);
      t.equal(one?.text, two?.text, `${verb}: identical bytes`);
      answers.push(one?.text ?? '');
    }
    t.match(answers[0], /"NodeNames":\["node-a","node-b"\]/, 'both reporting nodes pass');
    t.match(
      answers[0],
      /"node-c":"no report from berth agent"/,
      'the node without a report is rejected with the reason',
    );
  });

  await t.test('pushed reports are authenticated with TokenReview', async (t) => {
    const [ext] = replicas;
    if (ext === undefined) return;
    const pushTokenA = await serviceAccountToken(admin, AGENT_NS, AGENT_SA, { pod: agentPodA, audiences: ['berth'] });
    const apiAudience = tokenA; // bound to node-a, but for the API server's audience
    const push = async (node: string, token: string | null): Promise<number> =>
      (
        await fetch(`${ext.running.url}/v1/reports`, {
          method: 'POST',
          body: JSON.stringify(report(node, { sequence: 50, instance: 'push' })),
          headers: {
            'content-type': 'application/json',
            ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          },
        })
      ).status;
    t.equal(await push('node-a', pushTokenA), 200, 'the agent on node-a pushes node-a');
    t.equal(await push('node-b', pushTokenA), 403, 'but not node-b');
    t.equal(await push('node-a', null), 401, 'no token');
    t.equal(await push('node-a', apiAudience), 401, 'a token for another audience');
    const extPush = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA, { audiences: ['berth'] });
    t.equal(await push('node-a', extPush), 403, 'another service account');
    t.equal(ext.kube.authenticateReport !== null, true);
  });

  await t.test('deleting the Node removes its report, through garbage collection, from every replica', async (t) => {
    await admin.makeApiClient(k8s.CoreV1Api).deleteNode({ name: 'node-b' });
    const custom = admin.makeApiClient(k8s.CustomObjectsApi);
    await waitFor(
      async () => {
        try {
          await custom.getClusterCustomObject({
            group: NODE_REPORT_GROUP,
            version: NODE_REPORT_VERSION,
            plural: NODE_REPORT_PLURAL,
            name: 'node-b',
          });
          return false;
        } catch (e) {
          return e instanceof k8s.ApiException && e.code === 404;
        }
      },
      { timeoutMs: 60_000, description: 'the garbage collector to delete NodeReport node-b' },
    );
    await waitFor(() => replicas.every((r) => r.running.deps.store.get('node-b') === undefined), {
      description: 'replicas to drop node-b',
    });
    t.ok(
      replicas.every((r) => r.running.deps.store.get('node-a') !== undefined),
      'node-a stays',
    );
  });
});
