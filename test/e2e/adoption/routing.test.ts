/**
 * Automatic routing on a real kube-apiserver v1.36 with the real kube-scheduler: the shipped
 * MutatingAdmissionPolicy and webhook (manifests/admission/pod-routing-*.yaml) mark pods that need berth, with no
 * change to their StatefulSets, and berth (a real `berth extender --kube` process, mTLS on its listener, the API
 * server presenting the client certificate from the admission configuration scripts/gen-certs.sh writes) is then
 * asked about them by kube-scheduler and places them. What is counted: berth's own request metrics for `filter`
 * and `admission`, and the API server's fail-open count for the webhook.
 *
 * The nodes: nvme-big (800Gi free NVMe), nvme-small (50Gi), disk-only (no NVMe). Every pod that needs 100Gi or
 * 200Gi can only fit on nvme-big, so landing there is berth's doing (the in-tree plugins see three equal nodes).
 */
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ClusterState } from '../../../lib/cluster/cluster-state.ts';
import { MARKER } from '../../../lib/cluster/routing.ts';
import { apiClaimSource } from '../../../server/kube/claim-source.ts';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { loadShippedConfig, SHIPPED_SCHEDULER_CONFIG } from '../scenarios/scenario.ts';
import { testSchedulerConfig } from '../../helpers/manifests/berth-tls.ts';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { freePorts } from '../harness/ports.ts';
import { GiB, localNvmeClass, nodeReport } from '../kube/burst-fixtures.ts';
import {
  applyManifests,
  tokenKubeConfig,
  EXTENDER_NS,
  EXTENDER_SA,
  serviceAccountToken,
  TestProvisioner,
} from '../kube/kube-fixtures.ts';
import {
  apiserverAdmissionConfig,
  berthCount,
  berthProcess,
  boundNodes,
  createAll,
  failOpenCount,
  marked,
  podOf,
  routingCerts,
  shippedObjects,
  shippedWebhook,
  statefulPods,
  statefulSet,
  tokenKubeconfigFile,
} from './routing-fixtures.ts';

t.setTimeout(480_000);
const gate = e2eGate(t);
const WEBHOOK = 'pod-routing.berth.io';
const NS = 'apps';
const NEEDS_200GI = { 'berth.io/nvme-capacity': '200Gi' };
const NVME = { classes: ['local-nvme'], provisioners: [] };

t.test('pods that need berth are routed to it at admission, and nothing else is', { skip: gate.skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-routing-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const certs = await routingCerts(join(dir, 'certs'));
  const [port = 0, metricsPort = 0] = await freePorts(2);
  const cp = await startControlPlane(t, {
    users: [{ name: 'nobody' }],
    apiserverFlags: [`--admission-control-config-file=${await apiserverAdmissionConfig(certs, port)}`],
  });
  const admin = cp.kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
  for (const n of ['nvme-big', 'nvme-small', 'disk-only']) await cp.createNode(n);
  await cp.startControllerManager();
  const storage = admin.makeApiClient(k8s.StorageV1Api);
  await storage.createStorageClass({ body: localNvmeClass('local-nvme') });
  const standard = localNvmeClass('standard');
  standard.provisioner = 'example.com/network-disk';
  await storage.createStorageClass({ body: standard });
  const provisioner = new TestProvisioner(admin, 'local-nvme');
  t.teardown(() => {
    provisioner.stop();
  });
  for (const [node, report] of [
    ['nvme-big', nodeReport('nvme-big', 800 * GiB, 1000 * GiB, 1)],
    ['nvme-small', nodeReport('nvme-small', 50 * GiB, 1000 * GiB, 1)],
    ['disk-only', { ...nodeReport('disk-only', 0, 0, 1), devices: [], pools: [] }],
  ] as const)
    await new KubeReportPublisher({ k8s, kc: admin, node, timeoutMs: 10_000 }).publish(
      report,
      new AbortController().signal,
    );
  await core.createNamespace({ body: model<k8s.V1Namespace>({ metadata: { name: NS } }) });

  // berth as the Deployment runs it: its own ServiceAccount and the shipped RBAC, mTLS on the listener.
  const token = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA);
  const kubeconfig = await tokenKubeconfigFile(cp, token, join(dir, 'berth.kubeconfig'));
  const berthArgs = { certs, kubeconfig, port, metricsPort, args: ['--nvme-storage-classes=local-nvme'] };
  let berth = berthProcess({ ...berthArgs, logPath: join(cp.dir, 'berth-1.log') });
  t.teardown(async () => {
    await berth.stop();
    if (!t.passing()) process.stderr.write(`\n# berth log (${berth.logPath}):\n${berth.tail(40)}\n`);
  });
  const ready = async (): Promise<void> => {
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200,
      { timeoutMs: 30_000, description: 'berth to be ready' },
    );
  };
  berth.start();
  await ready();

  await createAll(admin, [
    ...(await shippedObjects('admission/pod-routing-policy.yaml')),
    await shippedWebhook(`https://127.0.0.1:${port}`, certs.caPem),
  ]);
  // Policies and webhooks take effect once the API server's own informers have them: probe with dry runs.
  await core.createNamespacedPersistentVolumeClaim({
    namespace: NS,
    body: model<k8s.V1PersistentVolumeClaim>({
      metadata: { name: 'probe-nvme' },
      spec: {
        storageClassName: 'local-nvme',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    }),
  });
  const dryRun = async (pod: k8s.V1Pod, namespace = NS): Promise<k8s.V1Pod> =>
    core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' });
  // The webhook marks annotated pods too: the policy is known to act when a pod is marked without asking berth.
  const policyActs = () =>
    waitFor(
      async () => {
        const before = await berthCount(metricsPort, 'admission');
        const pod = await dryRun(podOf('probe-a', NEEDS_200GI));
        return marked(pod) && (await berthCount(metricsPort, 'admission')) === before;
      },
      { description: 'the policy to mark an annotated pod without asking berth' },
    );
  await policyActs();
  await waitFor(async () => marked(await dryRun(podOf('probe-b', {}, 'probe-nvme'))), {
    description: 'the webhook to act',
  });

  const shipped = await loadShippedConfig();
  await cp.startScheduler(
    testSchedulerConfig(await readFile(SHIPPED_SCHEDULER_CONFIG, 'utf8'), {
      extenderUrl: `https://127.0.0.1:${port}`,
      ca: certs.ca,
      cert: certs.schedulerCert,
      key: certs.schedulerKey,
    }),
  );
  t.equal(shipped.marker, MARKER, 'the scheduler configuration manages the marker the admission rule adds');
  const apps = admin.makeApiClient(k8s.AppsV1Api);

  await t.test("the webhook's claim lookup, for a claim its informers have not delivered yet", async (t) => {
    // A cluster state that has seen nothing, so every answer comes from the API server, with the shipped RBAC.
    const empty = new ClusterState({ match: NVME, ledger: { ttlMs: 60_000, provisionalTtlMs: 0, clockSkewMs: 0 } });
    const source = apiClaimSource(k8s, tokenKubeConfig(cp, token), empty, NVME);
    const found = await source.claim(NS, 'probe-nvme');
    t.match(found, { claim: { name: 'probe-nvme', storageClass: 'local-nvme', volumeName: null } }, 'read (get)');
    t.equal(found.error, undefined, 'without error');
    t.same(await source.claim(NS, 'nope'), { claim: null }, 'a claim that does not exist is null');
    t.match(await source.storageClass('standard'), { provisioner: 'example.com/network-disk' }, 'a StorageClass too');
    const denied = apiClaimSource(k8s, tokenKubeConfig(cp, cp.token('nobody')), empty, NVME);
    t.match(await denied.claim(NS, 'probe-nvme'), { claim: null, error: /could not be read.*403/ }, 'no rights: said');
  });

  await t.test('a StatefulSet with only annotations', async (t) => {
    const [filter0, admission0] = [await berthCount(metricsPort, 'filter'), await berthCount(metricsPort, 'admission')];
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: statefulSet('anno', { replicas: 2, annotations: NEEDS_200GI }),
    });
    const pods = await statefulPods(core, NS, 'anno', 2);
    t.ok(pods.every(marked), `both pods carry ${MARKER} as limit and request`);
    t.same(pods[0]?.spec?.containers[0]?.resources?.limits, { memory: '16Mi', [MARKER]: '1' }, 'their own limits kept');
    const nodes = await boundNodes(core, NS, ['anno-0', 'anno-1']);
    t.same(nodes, ['nvme-big', 'nvme-big'], 'placed on the only node with 200Gi free NVMe');
    const filters = (await berthCount(metricsPort, 'filter')) - filter0;
    t.ok(filters >= 2, `berth's filter was called for them (${filters} calls)`);
    t.equal(
      await berthCount(metricsPort, 'admission'),
      admission0,
      'marked by the policy in the API server: berth was not asked',
    );
  });

  await t.test('a StatefulSet with only a local-NVMe volumeClaimTemplate', async (t) => {
    const [filter0, admission0] = [await berthCount(metricsPort, 'filter'), await berthCount(metricsPort, 'admission')];
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: statefulSet('vol', { replicas: 2, storageClass: 'local-nvme' }),
    });
    const pods = await statefulPods(core, NS, 'vol', 2);
    t.ok(pods.every(marked), `both pods carry ${MARKER}`);
    t.same(pods[0]?.metadata?.annotations ?? {}, {}, 'with no annotation: the claim alone routed them');
    t.equal((await berthCount(metricsPort, 'admission')) - admission0, 2, 'berth decided it, once per pod (webhook)');
    const nodes = await boundNodes(core, NS, ['vol-0', 'vol-1']);
    t.same(nodes, ['nvme-big', 'nvme-big'], 'placed on the only node with 100Gi free NVMe');
    const filters = (await berthCount(metricsPort, 'filter')) - filter0;
    t.ok(filters >= 2, `berth's filter was called for them (${filters} calls)`);
    t.same(
      provisioner.provisioned.filter((p) => p.claim.startsWith(`${NS}/data-vol-`)).map((p) => p.node),
      ['nvme-big', 'nvme-big'],
      'their volumes were provisioned there',
    );
  });

  await t.test('pods that need nothing of berth are not touched', async (t) => {
    const [filter0, admission0] = [await berthCount(metricsPort, 'filter'), await berthCount(metricsPort, 'admission')];
    await core.createNamespacedPod({ namespace: NS, body: podOf('plain') });
    const [node] = await boundNodes(core, NS, ['plain']);
    const plain = await core.readNamespacedPod({ name: 'plain', namespace: NS });
    t.notOk(marked(plain), `a plain pod has no ${MARKER}`);
    t.same(plain.spec?.containers[0]?.resources, { requests: { cpu: '10m' } }, 'its resources are as written');
    t.ok(node, `it was scheduled (to ${node ?? '?'}) without berth`);
    t.equal(await berthCount(metricsPort, 'filter'), filter0, "berth's filter was not called");
    t.equal(await berthCount(metricsPort, 'admission'), admission0, 'nor its webhook (matchConditions)');

    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: model<k8s.V1PersistentVolumeClaim>({
        metadata: { name: 'shared' },
        spec: {
          storageClassName: 'standard',
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      }),
    });
    const withDisk = await dryRun(podOf('network-disk', {}, 'shared'));
    t.notOk(marked(withDisk), 'a pod mounting a claim of another class is not marked');
    t.equal((await berthCount(metricsPort, 'admission')) - admission0, 1, 'berth was asked about it and said no');

    for (const ns of ['kube-system', 'berth-agent', 'berth-system']) {
      const pod = podOf(`excluded-${ns}`, NEEDS_200GI);
      // berth-system enforces the restricted Pod Security level.
      const spec = pod.spec!;
      if (spec.containers[0]) spec.containers[0].securityContext = restricted();
      spec.securityContext = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } };
      t.notOk(marked(await dryRun(pod, ns)), `an annotated pod in ${ns} is not marked`);
    }
    t.equal((await berthCount(metricsPort, 'admission')) - admission0, 1, 'berth was not asked about those either');
  });

  await t.test('without the policy (clusters before 1.36), the webhook marks annotated pods', async (t) => {
    const admission0 = await berthCount(metricsPort, 'admission');
    const [, binding] = await shippedObjects('admission/pod-routing-policy.yaml');
    if (binding === undefined) throw new Error('no MutatingAdmissionPolicyBinding shipped');
    await k8s.KubernetesObjectApi.makeApiClient(admin).delete(binding);
    const pod = await waitFor(
      async () => {
        const p = await dryRun(podOf('webhook-only', NEEDS_200GI));
        return marked(p) && (await berthCount(metricsPort, 'admission')) > admission0 ? p : null;
      },
      { description: 'the webhook to mark an annotated pod on its own' },
    );
    t.ok(marked(pod), 'marked, by berth');
    await createAll(admin, [binding]);
    await policyActs();
  });

  await t.test('with berth stopped, or hung, pods are still created', async (t) => {
    await berth.stop();
    const failOpen0 = await failOpenCount(cp, WEBHOOK);
    let startedAt = performance.now();
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: statefulSet('anno-down', { replicas: 1, annotations: NEEDS_200GI }),
    });
    const [annotated] = await statefulPods(core, NS, 'anno-down', 1);
    t.ok(marked(annotated), 'an annotated pod is created, and still marked (the policy needs no berth)');
    const waiting = await waitFor(
      async () =>
        (await core.readNamespacedPod({ name: 'anno-down-0', namespace: NS })).status?.conditions?.find(
          (c) => c.type === 'PodScheduled' && c.status === 'False',
        ),
      { description: 'kube-scheduler to try the pod and fail to reach berth' },
    );
    t.comment(`while berth is down it waits: PodScheduled=False ${waiting.reason ?? ''}: ${waiting.message ?? ''}`);
    t.equal(waiting.reason, 'SchedulerError', 'it waits for berth (ignorable: false), visibly');
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: statefulSet('vol-down', { replicas: 1, storageClass: 'local-nvme' }),
    });
    const [claimed] = await statefulPods(core, NS, 'vol-down', 1);
    t.notOk(marked(claimed), 'a pod with a local-NVMe claim is created unmarked (failurePolicy: Ignore)');
    t.comment(
      `both StatefulSets' pods existed ${Math.round(performance.now() - startedAt)} ms after creation with berth down`,
    );
    t.ok(
      (await failOpenCount(cp, WEBHOOK)) > failOpen0,
      "the API server counted the webhook's failure as failing open",
    );
    await core.createNamespacedPod({ namespace: NS, body: podOf('plain-down') });
    t.ok((await boundNodes(core, NS, ['plain-down']))[0], 'other pods still schedule');

    // Hung: something accepts connections on berth's port and never answers.
    const sockets = new Set<Socket>();
    const hung = createServer((s) => sockets.add(s.on('error', () => undefined)));
    await new Promise<void>((resolve) => hung.listen(port, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const s of sockets) s.destroy();
      hung.close();
    });
    const failOpen1 = await failOpenCount(cp, WEBHOOK);
    startedAt = performance.now();
    await core.createNamespacedPod({ namespace: NS, body: podOf('during-hang', {}, 'probe-nvme') });
    const elapsed = performance.now() - startedAt;
    t.ok(await core.readNamespacedPod({ name: 'during-hang', namespace: NS }), 'a pod is created while berth hangs');
    t.ok(elapsed >= 2_500, `after the webhook's timeoutSeconds (3 s): ${Math.round(elapsed)} ms`);
    t.ok((await failOpenCount(cp, WEBHOOK)) > failOpen1, 'counted as failing open');
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => hung.close(resolve));

    // berth back: the annotated pod created during the outage was marked, so kube-scheduler brings it to berth.
    berth = berthProcess({ ...berthArgs, logPath: join(cp.dir, 'berth-2.log') });
    berth.start();
    await ready();
    const [node] = await boundNodes(core, NS, ['anno-down-0']);
    t.ok((await berthCount(metricsPort, 'filter')) > 0, 'berth filtered it');
    t.equal(node, 'nvme-big', 'once berth is back, the pod created during the outage is placed by it');
  });
});

function restricted(): k8s.V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
