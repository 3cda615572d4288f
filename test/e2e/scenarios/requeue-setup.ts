/**
 * The "room appears" setup shared by requeue.test.ts and bench/requeue-latency.ts: a real control plane with
 * kube-scheduler wired by the shipped configuration, `berth extender --kube` as a child process acting as the
 * berth-extender service account under the shipped RBAC and admission policy, and stand-in agents writing
 * NodeReports with the agent's own publisher. Three nodes report 100Gi free NVMe; a pod asks for 200Gi and is
 * refused; then one node's report shows room, and nothing else happens in the cluster until the pod is bound.
 */
import * as k8s from '@kubernetes/client-node';
import { REQUEUE_ANNOTATION } from '../../../lib/cluster/waiting-pods.ts';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { applyManifests, EXTENDER_NS, EXTENDER_SA } from '../kube/kube-fixtures.ts';
import { startControlPlane, waitFor, type ControlPlane, type TestLifecycle } from '../harness/control-plane.ts';
import { startBerth, sumSamples, type Berth } from './berth-process.ts';
import {
  PodWatch,
  StandInAgents,
  loadShippedConfig,
  scenarioPod,
  schedulerConfig,
  type ShippedConfig,
} from './scenario.ts';

export const EXTENDER_USER = `system:serviceaccount:${EXTENDER_NS}:${EXTENDER_SA}`;
export const NODES = ['nvme-a', 'nvme-b', 'nvme-c'] as const;
const CAPACITY_GI = 1000;
const TIGHT_GI = 100;
const ROOM_GI = 400;
const NEED = '200Gi';

/** How one run went, in milliseconds from the moment the NodeReport write was sent. */
export interface RunResult {
  readonly node: string;
  /** Until the pod was seen bound (polled every 20 ms). */
  readonly boundMs: number;
  /** Until berth wrote the annotation (its own clock, from the annotation's value); null if it did not. */
  readonly annotatedMs: number | null;
  readonly annotation: string | null;
}

export class RoomAppears {
  readonly cp: ControlPlane;
  readonly pods: PodWatch;
  readonly #t: TestLifecycle;
  readonly #shipped: ShippedConfig;
  readonly #agents = new StandInAgents();
  readonly #publishers = new Map<string, KubeReportPublisher>();
  #berth: Berth | null = null;
  #runs = 0;

  private constructor(t: TestLifecycle, cp: ControlPlane, shipped: ShippedConfig) {
    this.#t = t;
    this.cp = cp;
    this.#shipped = shipped;
    this.pods = new PodWatch(cp.kubeConfig());
  }

  static async start(t: TestLifecycle): Promise<RoomAppears> {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t, { users: [{ name: EXTENDER_USER }] });
    await applyManifests(cp.kubeConfig(), [
      'namespaces.yaml',
      'crd/nodereports.yaml',
      'rbac/extender.yaml',
      'admission/requeue-policy.yaml',
    ]);
    const setup = new RoomAppears(t, cp, shipped);
    for (const node of NODES) {
      await cp.createNode(node, { zone: 'zone-a' });
      await setup.report(node, TIGHT_GI);
    }
    return setup;
  }

  get berth(): Berth {
    if (this.#berth === null) throw new Error('berth is not started');
    return this.#berth;
  }

  /** (Re)starts berth with `args` and points kube-scheduler at it. */
  async startBerth(args: readonly string[] = []): Promise<void> {
    await this.cp.stopScheduler();
    await this.#berth?.stop();
    const kubeconfig = await this.cp.writeKubeconfig(EXTENDER_USER);
    this.#berth = await startBerth(this.#t, this.cp.dir, ['--kube', '--kubeconfig', kubeconfig, ...args]);
    const berth = this.#berth;
    await waitFor(async () => (await fetch(`${berth.url}/readyz`)).status === 200, {
      description: 'berth --kube to be ready',
    });
    await this.cp.startScheduler(schedulerConfig(this.#shipped, { url: berth.url }));
  }

  /** What the node's agent would write: a NodeReport with `freeGi` free in its one NVMe pool. */
  async report(node: string, freeGi: number): Promise<void> {
    this.#agents.set(node, { zone: 'zone-a', pools: [['nvme0', freeGi, CAPACITY_GI]] });
    let publisher = this.#publishers.get(node);
    if (publisher === undefined) {
      publisher = new KubeReportPublisher({ k8s, kc: this.cp.kubeConfig(), node, timeoutMs: 10_000 });
      this.#publishers.set(node, publisher);
    }
    const [r] = this.#agents.reports([node]);
    if (r === undefined) throw new Error(`no report for ${node}`);
    await publisher.publish(r, new AbortController().signal);
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumSamples(await this.berth.metrics(), name, labels);
  }

  /**
   * Creates a pod needing 200Gi, waits until kube-scheduler has refused it and gone quiet (berth answered no
   * filter call for `quietMs`), and returns its name.
   */
  async refusedPod(quietMs = 1_500): Promise<string> {
    const name = `db-${++this.#runs}`;
    await this.pods.create(
      scenarioPod(name, { marker: this.#shipped.marker, annotations: { 'berth.io/nvme-capacity': NEED } }),
    );
    await this.pods.refused(name, 'Unschedulable');
    let calls = await this.berth.requestCount('filter');
    let since = performance.now();
    await waitFor(
      async () => {
        const now = await this.berth.requestCount('filter');
        if (now !== calls) [calls, since] = [now, performance.now()];
        return performance.now() - since >= quietMs;
      },
      { intervalMs: 100, description: `kube-scheduler to stop retrying ${name}` },
    );
    return name;
  }

  /**
   * Writes a report with room on `node` for the refused pod `name` and measures until the pod is bound. With
   * `nudge`, an unrelated pod is created right after the report: the cluster event a pod waited for without berth's
   * retry, the baseline of the benchmark.
   */
  async roomAppears(name: string, node: string, nudge = false): Promise<RunResult> {
    const start = performance.now();
    const wall = Date.now();
    await this.report(node, ROOM_GI);
    if (nudge) await this.pods.create(scenarioPod(`${name}-nudge`));
    const bound = await waitFor(() => this.pods.nodeOf(name), {
      timeoutMs: 60_000,
      intervalMs: 20,
      description: `${name} to be bound after room appeared on ${node}`,
    });
    const boundMs = performance.now() - start;
    if (bound !== node) throw new Error(`${name} was bound to ${bound}, not ${node} where the room is`);
    const pod = await this.pods.core.readNamespacedPod({ name, namespace: this.pods.namespace });
    const annotation = pod.metadata?.annotations?.[REQUEUE_ANNOTATION] ?? null;
    const at = annotation === null ? null : Date.parse(annotation.replace(/^.* at /, ''));
    return { node, boundMs, annotatedMs: at === null ? null : at - wall, annotation };
  }

  /** Between runs: the pods go, and the node's agent reports its room taken again. */
  async reset(node: string): Promise<void> {
    await this.pods.forceDelete();
    await this.report(node, TIGHT_GI);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}
