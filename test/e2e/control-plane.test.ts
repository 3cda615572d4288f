import t from 'tap';
import { ApiException, CoreV1Api, VersionApi, type V1Pod } from '@kubernetes/client-node';
import {
  e2eGate,
  kubernetesVersion,
  model,
  startControlPlane,
  waitFor,
  type ControlPlane,
} from './harness/control-plane.ts';

// Starting etcd + apiserver + scheduler takes ~10 s; the whole file must fit comfortably.
t.setTimeout(180_000);

const gate = e2eGate(t);
const restrictedUser = 'e2e-no-permissions';

t.test('the harness runs a real control plane on loopback', { skip: gate.skip }, async (t) => {
  const startedAt = Date.now();
  const controlPlane: ControlPlane = await startControlPlane(t, {
    users: [{ name: restrictedUser }],
    scheduler: `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
`,
  });
  t.comment(`control plane ready in ${Date.now() - startedAt} ms at ${controlPlane.server}`);

  const version = await controlPlane.kubeConfig().makeApiClient(VersionApi).getCode();
  t.equal(version.gitVersion, kubernetesVersion(), 'the apiserver answers /version with the pinned release');

  const core = controlPlane.kubeConfig().makeApiClient(CoreV1Api);
  await controlPlane.createNode('e2e-node-a', {
    zone: 'zone-a',
    cpu: '4',
    memory: '8Gi',
    labels: { 'berth.io/test': 'yes' },
  });
  const node = await core.readNode({ name: 'e2e-node-a' });
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  t.equal(ready?.status, 'True', 'the fake node is Ready');
  t.equal(node.status?.allocatable?.['cpu'], '4', 'allocatable cpu is what the test asked for');
  t.equal(node.metadata?.labels?.['topology.kubernetes.io/zone'], 'zone-a', 'the zone label is set');
  t.same(node.spec?.taints ?? [], [], 'the not-ready taint added on registration is gone');

  await core.createNamespacedPod({
    namespace: 'default',
    body: model<V1Pod>({
      metadata: { name: 'plain-pod' },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.k8s.io/pause:3.10',
            resources: { requests: { cpu: '100m', memory: '64Mi' } },
          },
        ],
      },
    }),
  });
  const nodeName = await waitFor(
    async () => (await core.readNamespacedPod({ name: 'plain-pod', namespace: 'default' })).spec?.nodeName,
    {
      timeoutMs: 30_000,
      description: 'kube-scheduler to bind plain-pod',
    },
  );
  t.equal(nodeName, 'e2e-node-a', 'the real kube-scheduler bound the pod to the only node');

  const restricted = controlPlane.kubeConfig(restrictedUser).makeApiClient(CoreV1Api);
  const denied = await restricted.listNamespacedPod({ namespace: 'default' }).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(denied instanceof ApiException && denied.code === 403, 'RBAC is enforced: a user with no bindings gets 403');

  await controlPlane.restartScheduler();
  await core.createNamespacedPod({
    namespace: 'default',
    body: model<V1Pod>({
      metadata: { name: 'after-restart' },
      spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
    }),
  });
  await waitFor(
    async () => (await core.readNamespacedPod({ name: 'after-restart', namespace: 'default' })).spec?.nodeName,
    {
      timeoutMs: 30_000,
      description: 'the restarted kube-scheduler to bind after-restart',
    },
  );
  t.pass('a restarted scheduler schedules again');

  await controlPlane.restartApiserver();
  const afterRestart = await core.readNamespacedPod({ name: 'plain-pod', namespace: 'default' });
  t.equal(afterRestart.spec?.nodeName, 'e2e-node-a', 'a restarted apiserver serves the same etcd data');

  const pids = controlPlane.processes.flatMap((managed) => (managed.pid === undefined ? [] : [managed.pid]));
  await controlPlane.stop();
  t.ok(pids.length >= 3, 'etcd, apiserver and scheduler were running');
  t.same(pids.filter(isAlive), [], 'stop() leaves no control-plane process behind');
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
