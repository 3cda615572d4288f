/**
 * The cluster the benchmark schedules into, built once per run on the e2e harness: etcd and kube-apiserver, berth's
 * namespaces, NodeReport CRD and extender RBAC from manifests/, fake Nodes (no kubelets), one NodeReport per node
 * written through the API with the agent's own publisher, and the StatefulSets whose replicas the phases create.
 */
import * as k8s from '@kubernetes/client-node';
import { KubeReportPublisher } from '../../server/agent/publish-kube.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import { report, seededRandom } from '../../test/helpers/builders.ts';
import { startControlPlane, type ControlPlane } from '../../test/e2e/harness/control-plane.ts';
import { createNode } from '../../test/e2e/harness/nodes.ts';
import { applyManifests, EXTENDER_NS, EXTENDER_SA } from '../../test/e2e/kube/kube-fixtures.ts';
import { nodeName } from '../scenarios.ts';
import { Api, inPool } from './api.ts';

export const NAMESPACE = 'bench';
export const EXTENDER_USER = `system:serviceaccount:${EXTENDER_NS}:${EXTENDER_SA}`;
/** Replicas per StatefulSet: a small database or Kafka cluster. */
export const REPLICAS = 5;
const ZONES = 3;
const PEERS_PER_REPORT = 24;

/** What the harness' startControlPlane needs of a test, for a plain script: teardowns run by close(). */
export class RunLifecycle {
  readonly #teardowns: (() => unknown)[] = [];
  #ok = true;

  teardown(fn: () => unknown): void {
    this.#teardowns.push(fn);
  }

  passing(): boolean {
    return this.#ok;
  }

  async close(ok: boolean): Promise<void> {
    this.#ok = ok;
    for (const fn of this.#teardowns.reverse()) await fn();
  }
}

/**
 * One node's report: two NVMe pools of 1.6, 3.2 or 7.6 TiB partly used, a 25G NIC under random load, and RTTs to
 * 24 random other nodes (most pairs of a 1,000-node cluster are unmeasured, as with real agents).
 */
function nodeReport(i: number, nodes: number, rnd: () => number): NodeReport {
  const cap = [1600, 3200, 7600][i % 3] ?? 1600;
  return report(nodeName(i), {
    zone: `zone-${i % ZONES}`,
    pools: [
      ['nvme0', Math.floor(rnd() * cap), cap],
      ['nvme1', Math.floor(rnd() * cap), cap],
    ],
    nics: [{ name: 'eth0', speedBps: 25e9, rxBps: rnd() * 10e9, txBps: rnd() * 10e9 }],
    peers: Array.from(
      { length: PEERS_PER_REPORT },
      () => [nodeName(Math.floor(rnd() * nodes)), 100 + Math.floor(rnd() * 900)] as const,
    ),
  });
}

export interface StatefulSetRef {
  readonly name: string;
  readonly uid: string;
}

export interface BenchCluster {
  readonly cp: ControlPlane;
  readonly api: Api;
  readonly nodes: readonly string[];
  readonly statefulSets: readonly StatefulSetRef[];
  /** Kubeconfig of berth's ServiceAccount user (only the shipped RBAC applies to it). */
  readonly extenderKubeconfig: string;
  /** Writes every node's report again, as the agents' heartbeat would: new sequence, taken now. */
  refreshReports(): Promise<void>;
}

export async function buildCluster(
  life: RunLifecycle,
  opts: { nodes: number; statefulSets: number; log: (line: string) => void },
): Promise<BenchCluster> {
  const cp = await startControlPlane(life, { users: [{ name: EXTENDER_USER }] });
  const admin = cp.kubeConfig();
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
  const api = new Api(cp.server, cp.pki.caPem, cp.token(), 16);
  life.teardown(() => {
    api.close();
  });

  const nodes = Array.from({ length: opts.nodes }, (_, i) => nodeName(i));
  let started = performance.now();
  // createNode, not cp.createNode: no Lease heartbeats (no controller-manager runs to look at them), which would
  // otherwise renew 1,000 Leases every 10 s during the measurements.
  await inPool(
    nodes.map((name, i) => ({ name, i })),
    16,
    ({ name, i }) => createNode(admin, name, { zone: `zone-${i % ZONES}`, cpu: '16', memory: '64Gi' }),
  );
  opts.log(`${opts.nodes} nodes created in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const rnd = seededRandom(7);
  const baseReports = nodes.map((_, i) => nodeReport(i, opts.nodes, rnd));
  const publishers = nodes.map((node) => new KubeReportPublisher({ k8s, kc: admin, node, timeoutMs: 30_000 }));
  let sequence = 0;
  const refreshReports = async (): Promise<void> => {
    sequence += 1;
    const takenAt = new Date().toISOString();
    await inPool(
      baseReports.map((r, i) => ({ r, i })),
      16,
      ({ r, i }) =>
        publishers[i]?.publish(
          { ...r, takenAt, agent: { instance: `bench-${r.node}`, sequence } },
          new AbortController().signal,
        ) ?? Promise.resolve(),
    );
  };
  started = performance.now();
  await refreshReports();
  opts.log(`${opts.nodes} NodeReports written in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  await api.call('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: NAMESPACE } }));
  const statefulSets: StatefulSetRef[] = [];
  await inPool(
    Array.from({ length: opts.statefulSets }, (_, g) => `db-${g}`),
    16,
    async (name) => {
      statefulSets.push(await createStatefulSet(api, name));
    },
  );
  statefulSets.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { cp, api, nodes, statefulSets, extenderKubeconfig: await cp.writeKubeconfig(EXTENDER_USER), refreshReports };
}

/**
 * A StatefulSet object: no controller-manager runs, so it creates no pods (the phases create its replicas, at a
 * rate the controller's own client could not reach), but kube-scheduler's default topology spreading finds it
 * and spreads its replicas, as it would in a cluster.
 */
async function createStatefulSet(api: Api, name: string): Promise<StatefulSetRef> {
  const body = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas: REPLICAS,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  };
  const res = await api.call('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets`, JSON.stringify(body));
  const uid = (JSON.parse(res.body) as { metadata?: { uid?: string } }).metadata?.uid;
  if (uid === undefined) throw new Error(`StatefulSet ${name} came back without a uid`);
  return { name, uid };
}
