/**
 * Replicas close together but never on one node by berth's doing. A 3-replica StatefulSet asks only for
 * `berth.io/max-peer-latency: 500us` on six nodes in two low-latency groups (100 µs within a group, 1.5 ms across).
 * The real StatefulSet controller (kube-controller-manager, OrderedReady) creates the replicas, the real
 * kube-scheduler (shipped wiring) calls `berth extender --kube` (the berth-extender service account under the
 * shipped RBAC), and the test plays the kubelet once berth has seen each binding. All three must land on distinct
 * nodes of one group: a peer on the candidate node is no network peer, so sharing a node must not score best, and
 * filter turns away nodes that already run a peer while another candidate qualifies.
 *
 * Scaled to four, the fourth replica has no node left in its group without a peer, and the other group is too far:
 * then, and only then, a peer-hosting node of the group is allowed.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { applyManifests } from '../kube/kube-fixtures.ts';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { startBerth, type Berth } from './berth-process.ts';
import { EXTENDER_USER } from './requeue-setup.ts';
import { PodWatch, StandInAgents, loadShippedConfig, schedulerConfig } from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const GROUPS = ['east', 'west'];
const NODES = GROUPS.flatMap((g) => [1, 2, 3].map((i) => ({ name: `${g}-${i}`, group: g })));
const groupOf = (node: string): string => NODES.find((n) => n.name === node)?.group ?? '?';
const NEAR_US = 100;
const FAR_US = 1_500;

function statefulSet(marker: string): k8s.V1StatefulSet {
  return model<k8s.V1StatefulSet>({
    metadata: { name: 'db' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' }, annotations: { 'berth.io/max-peer-latency': '500us' } },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { [marker]: '1' } },
            },
          ],
        },
      },
    },
  });
}

/** How many db pods berth's pod informer has seen bound (GET /v1/explain lists the peers' nodes, with repeats). */
async function placedSeen(berth: Berth): Promise<number> {
  const res = await fetch(`${berth.url}/v1/explain?latency=1s&peers=${encodeURIComponent('app=db')}&namespace=default`);
  return ((await res.json()) as { peerNodes?: string[] }).peerNodes?.length ?? 0;
}

t.test('StatefulSet replicas land on distinct nodes of one low-latency group', { skip: gate.skip }, async (t) => {
  const shipped = await loadShippedConfig();
  const cp = await startControlPlane(t, { users: [{ name: EXTENDER_USER }] });
  const admin = cp.kubeConfig();
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
  for (const n of NODES) await cp.createNode(n.name, { zone: `zone-${n.group}` });
  await cp.startControllerManager(); // after the nodes: see test/e2e/kube/burst.test.ts

  const agents = new StandInAgents();
  for (const n of NODES)
    agents.set(n.name, {
      zone: `zone-${n.group}`,
      peers: NODES.filter((p) => p.name !== n.name).map(
        (p) => [p.name, p.group === n.group ? NEAR_US : FAR_US] as const,
      ),
    });
  for (const r of agents.reports())
    await new KubeReportPublisher({ k8s, kc: admin, node: r.node, timeoutMs: 10_000 }).publish(
      r,
      new AbortController().signal,
    );
  const berth = await startBerth(t, cp.dir, ['--kube', '--kubeconfig', await cp.writeKubeconfig(EXTENDER_USER)]);
  await waitFor(async () => (await fetch(`${berth.url}/readyz`)).status === 200, {
    description: 'berth --kube to be ready',
  });
  await cp.startScheduler(schedulerConfig(shipped, { url: berth.url }));
  const pods = new PodWatch(admin);
  const apps = admin.makeApiClient(k8s.AppsV1Api);

  /** Plays the kubelet for replica i once berth has seen it bound; returns its node. */
  const place = async (i: number): Promise<string> => {
    const node = await pods.bound(`db-${i}`, 60_000);
    await waitFor(async () => (await placedSeen(berth)) === i + 1, { description: `berth to see db-${i} on ${node}` });
    await pods.markRunning(`db-${i}`);
    return node;
  };

  await apps.createNamespacedStatefulSet({ namespace: 'default', body: statefulSet(shipped.marker) });
  const placed: string[] = [];
  for (let i = 0; i < 3; i++) placed.push(await place(i));
  t.comment(`db-0..2: ${placed.map((n) => `${n} (${groupOf(n)})`).join(', ')}`);
  t.equal(new Set(placed).size, 3, 'three distinct nodes');
  t.equal(new Set(placed.map(groupOf)).size, 1, 'all in one low-latency group');

  await apps.patchNamespacedStatefulSetScale(
    { name: 'db', namespace: 'default', body: { spec: { replicas: 4 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const fourth = await place(3);
  t.comment(`db-3: ${fourth} (${groupOf(fourth)})`);
  t.equal(groupOf(fourth), groupOf(placed[0] ?? ''), 'a fourth replica stays in the group, sharing a node');
  t.ok(placed.includes(fourth), 'the only way left within 500 µs of its peers');
});
