/**
 * Scenario 3, peer latency: replicas of a StatefulSet prefer nodes close to the replicas already placed. berth
 * must know where the peers run, so it runs in Kubernetes mode (`berth extender --kube`, a real child process)
 * against the control plane, as the berth-extender service account with exactly the shipped RBAC
 * (manifests/rbac/extender.yaml; the static-token user carries the service account's user name). Node reports
 * are NodeReport objects, written by the agent's own publisher: the test stands in for the six agents, whose
 * reports carry RTTs of 100 µs within a zone and 1.5 ms across zones. Two zones of three nodes: the replicas of one
 * StatefulSet fit in one zone on distinct nodes (berth keeps replicas apart).
 *
 * kube-controller-manager runs the real StatefulSet controller (OrderedReady); with no kubelet, the test marks each
 * bound replica Running and Ready, as a kubelet would, so the controller creates the next one. A second
 * StatefulSet without berth annotations is the control: kube-scheduler's default topology spreading puts its
 * replicas in different zones, so only berth's latency term can keep the first one's replicas together.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { applyManifests, EXTENDER_NS, EXTENDER_SA } from '../kube/kube-fixtures.ts';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { startBerth, sumSamples, type Berth } from './berth-process.ts';
import { PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const EXTENDER_USER = `system:serviceaccount:${EXTENDER_NS}:${EXTENDER_SA}`;
const NODES = ['a', 'b'].flatMap((z) => [1, 2, 3].map((i) => ({ name: `${z}-${i}`, zone: `zone-${z}` })));
const zoneOf = (node: string): string => NODES.find((n) => n.name === node)?.zone ?? '?';
const NEAR_US = 100;
const FAR_US = 1_500;
const REPLICAS = 3;

function statefulSet(name: string, marker: string, annotations: Record<string, string>): k8s.V1StatefulSet {
  return model<k8s.V1StatefulSet>({
    metadata: { name },
    spec: {
      replicas: REPLICAS,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { [marker]: '1' } },
            },
          ],
        },
      },
    },
  });
}

/** The nodes berth believes run the pods matching `selector` (GET /v1/explain, from its pod informer). */
async function peerNodesSeen(berth: Berth, selector: string): Promise<string[]> {
  const res = await fetch(`${berth.url}/v1/explain?latency=1s&peers=${encodeURIComponent(selector)}&namespace=default`);
  const body = (await res.json()) as { peerNodes?: string[] };
  return body.peerNodes ?? [];
}

t.test(
  'peer latency: StatefulSet replicas gather near their placed peers (berth --kube)',
  { skip: gate.skip },
  async (t) => {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t, { users: [{ name: EXTENDER_USER }] });
    const admin = cp.kubeConfig();
    await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
    for (const n of NODES) await cp.createNode(n.name, { zone: n.zone });
    await cp.startControllerManager(); // after the nodes: see test/e2e/kube/burst.test.ts

    const agents = new StandInAgents();
    for (const n of NODES) {
      agents.set(n.name, {
        zone: n.zone,
        peers: NODES.filter((p) => p.name !== n.name).map(
          (p) => [p.name, p.zone === n.zone ? NEAR_US : FAR_US] as const,
        ),
      });
    }
    for (const r of agents.reports()) {
      await new KubeReportPublisher({ k8s, kc: admin, node: r.node, timeoutMs: 10_000 }).publish(
        r,
        new AbortController().signal,
      );
    }
    const berth = await startBerth(t, cp.dir, ['--kube', '--kubeconfig', await cp.writeKubeconfig(EXTENDER_USER)]);
    await waitFor(async () => (await fetch(`${berth.url}/readyz`)).status === 200, {
      description: 'berth --kube to be ready (informers synced, reports read)',
    });
    await cp.startScheduler(schedulerConfig(shipped, { url: berth.url }));
    const pods = new PodWatch(admin);
    const apps = admin.makeApiClient(k8s.AppsV1Api);

    /** Lets the StatefulSet controller roll out, playing the kubelet; returns where each replica was bound. */
    const rollOut = async (name: string): Promise<string[]> => {
      const placed: string[] = [];
      for (let i = 0; i < REPLICAS; i++) {
        placed.push(await pods.bound(`${name}-${i}`, 60_000));
        // berth must have seen the binding before the next replica is judged (its informer, not the test, decides).
        await waitFor(async () => (await peerNodesSeen(berth, `app=${name}`)).length === i + 1, {
          description: `berth to see ${name}-${i} on ${placed[i] ?? '?'}`,
        });
        await pods.markRunning(`${name}-${i}`);
      }
      return placed;
    };

    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSet('db', shipped.marker, { 'berth.io/max-peer-latency': '2ms' }),
    });
    const db = await rollOut('db');
    const dbZone = zoneOf(db[0] ?? '');
    t.comment(
      `db (max-peer-latency 2ms, a preference here: every RTT is below it): ${db.map((n) => `${n} (${zoneOf(n)})`).join(', ')}`,
    );
    t.same(
      db.map(zoneOf),
      db.map(() => dbZone),
      `every db replica is in the first replica's zone, ${NEAR_US} µs from its peers`,
    );
    t.equal(new Set(db).size, REPLICAS, 'on distinct nodes: berth keeps replicas apart');

    await apps.createNamespacedStatefulSet({ namespace: 'default', body: statefulSet('web', shipped.marker, {}) });
    const web = await rollOut('web');
    t.comment(`web (control, no berth annotations): ${web.map((n) => `${n} (${zoneOf(n)})`).join(', ')}`);
    t.ok(
      new Set(web.map(zoneOf)).size >= 2,
      "without berth's latency term the default topology spreading puts replicas in several zones",
    );

    // A hard limit: 500 µs to the db pods (selector rule). Only the db zone qualifies, and every node there runs a
    // db pod: with nothing else fitting, sharing a node is allowed.
    const limit = { 'berth.io/peers': 'app=db', 'berth.io/max-peer-latency': '500us' };
    await pods.create(
      scenarioPod('client-near', { marker: shipped.marker, labels: { app: 'client' }, annotations: limit }),
    );
    const near = await pods.bound('client-near');
    t.equal(zoneOf(near), dbZone, `a pod allowing 500 µs to the db pods is placed in their zone (${near})`);
    const elsewhere = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: [dbZone] }] },
          ],
        },
      },
    };
    await pods.create(
      scenarioPod('client-far', {
        marker: shipped.marker,
        labels: { app: 'client' },
        annotations: limit,
        affinity: elsewhere,
      }),
    );
    const far = await pods.refused('client-far', 'Unschedulable');
    const message = far.events.at(-1) ?? '';
    t.comment(`FailedScheduling: ${message}`);
    t.ok(
      message.includes('needs ≤ 500us to peers; nearest candidate: 1.5ms to its furthest peer'),
      "the same pod restricted to the other zones stays Pending with berth's peer latency reason",
    );
    const rejected = sumSamples(await berth.metrics(), 'berth_filter_rejections_total', { reason: 'peer_latency' });
    t.ok(
      rejected >= 2 * NODES.filter((n) => n.zone !== dbZone).length,
      `berth rejected the other zones' nodes for both pods (${rejected} peer latency rejections)`,
    );
  },
);
