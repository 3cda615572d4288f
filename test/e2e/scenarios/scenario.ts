/**
 * Shared scaffolding of the scheduling scenarios: the scheduler configuration (the shipped
 * manifests/scheduler/extender-config.yaml pointed at the test's berth), the two node modes, stand-in agents, the
 * pods the scenarios create, and what the real kube-scheduler recorded about them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  V1PodStatus,
  type KubeConfig,
  type V1Affinity,
  type V1OwnerReference,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { isRecord } from '../../../lib/core/check.ts';
import type { NodeReport } from '../../../lib/core/report.ts';
import { report, type ReportSpec } from '../../helpers/builders.ts';
import { model, waitFor } from '../harness/control-plane.ts';
import type { Berth } from './berth-process.ts';

const root = join(import.meta.dirname, '..', '..', '..');
export const SHIPPED_SCHEDULER_CONFIG = join(root, 'manifests', 'scheduler', 'extender-config.yaml');

/** kube-scheduler's two ways of sending candidates; berth needs --accept-full-nodes for the second. */
export interface NodeMode {
  readonly name: string;
  readonly nodeCacheCapable: boolean;
  readonly berthArgs: readonly string[];
}
export const MODES: readonly NodeMode[] = [
  { name: 'node names (nodeCacheCapable: true)', nodeCacheCapable: true, berthArgs: [] },
  { name: 'full nodes (nodeCacheCapable: false)', nodeCacheCapable: false, berthArgs: ['--accept-full-nodes'] },
];

type Doc = Record<string, unknown>;

function record(v: unknown, what: string): Doc {
  if (!isRecord(v)) throw new Error(`${SHIPPED_SCHEDULER_CONFIG}: ${what} is not a mapping`);
  return v;
}

/** The shipped configuration, with its one berth extender and the marker resource that opts pods in. */
export interface ShippedConfig {
  readonly doc: Doc;
  readonly extender: Doc;
  /** The managedResources name pods request to be sent to berth (berth.io/managed). */
  readonly marker: string;
}

export async function loadShippedConfig(): Promise<ShippedConfig> {
  const doc = record(parse(await readFile(SHIPPED_SCHEDULER_CONFIG, 'utf8')), 'the document');
  const extenders = doc['extenders'];
  if (!Array.isArray(extenders) || extenders.length !== 1)
    throw new Error(`${SHIPPED_SCHEDULER_CONFIG}: expected exactly one extender`);
  const extender = record(extenders[0], 'extenders[0]');
  const managed = extender['managedResources'];
  const first: unknown = Array.isArray(managed) ? managed[0] : undefined;
  const marker = isRecord(first) && typeof first['name'] === 'string' ? first['name'] : null;
  if (marker === null) throw new Error(`${SHIPPED_SCHEDULER_CONFIG}: the scenarios expect a managedResources marker`);
  return { doc, extender, marker };
}

export interface WiringOptions {
  /** Base URL of the berth the scheduler must call (http on loopback, or a WireTap in front of it). */
  readonly url: string;
  readonly nodeCacheCapable?: boolean;
  readonly ignorable?: boolean;
}

/**
 * The shipped configuration with test values: urlPrefix keeps its path but points at `url`, TLS is dropped (plain
 * HTTP on loopback: the mTLS wiring is tested in test/manifests/), and leader election is off so that a restarted
 * scheduler schedules at once instead of waiting for the previous lease. Everything else (verbs, weight,
 * httpTimeout, managedResources, ignorable unless overridden) is what ships.
 */
export function schedulerConfig(shipped: ShippedConfig, o: WiringOptions): string {
  const doc = structuredClone(shipped.doc);
  const extender = { ...shipped.extender };
  const prefix = new URL(String(extender['urlPrefix'])).pathname;
  extender['urlPrefix'] = `${o.url}${prefix}`;
  delete extender['enableHTTPS'];
  delete extender['tlsConfig'];
  if (o.nodeCacheCapable !== undefined) extender['nodeCacheCapable'] = o.nodeCacheCapable;
  if (o.ignorable !== undefined) extender['ignorable'] = o.ignorable;
  doc['extenders'] = [extender];
  doc['leaderElection'] = { leaderElect: false };
  return stringify(doc);
}

/**
 * The same scheduler without berth: no extenders, and the marker resource ignored by NodeResourcesFit as
 * `ignoredByScheduler: true` does when berth is configured (no node advertises it), so the very same pods fit.
 */
export function schedulerConfigWithoutBerth(shipped: ShippedConfig): string {
  const doc = structuredClone(shipped.doc);
  delete doc['extenders'];
  doc['leaderElection'] = { leaderElect: false };
  doc['profiles'] = [
    {
      schedulerName: 'default-scheduler',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { ignoredResources: [shipped.marker] } }],
    },
  ];
  return stringify(doc);
}

/**
 * Stands in for the node agents, which do not run here: each node's report is built with the shared test builder
 * and republished with a new sequence whenever the test changes what the node "measures", as an agent would.
 */
export class StandInAgents {
  readonly #specs = new Map<string, ReportSpec>();
  #sequence = 0;

  set(node: string, spec: ReportSpec): void {
    this.#specs.set(node, spec);
  }

  spec(node: string): ReportSpec | undefined {
    return this.#specs.get(node);
  }

  get nodes(): string[] {
    return [...this.#specs.keys()];
  }

  /** Fresh reports (now, next sequence) for `nodes` (default: every node that has an agent). */
  reports(nodes: readonly string[] = this.nodes): NodeReport[] {
    const sequence = ++this.#sequence;
    return nodes.map((node) => ({
      ...report(node, { ...this.#specs.get(node), sequence, instance: `stand-in-${node}` }),
      takenAt: new Date().toISOString(),
    }));
  }

  /** What the agents' HTTP publishers do: push to the extender's /v1/reports. */
  async push(berth: Berth, nodes?: readonly string[]): Promise<void> {
    await berth.pushReports(this.reports(nodes));
  }
}

export interface PodOptions {
  readonly annotations?: Record<string, string>;
  /** The marker resource that makes kube-scheduler send the pod to berth; omit to leave the pod out. */
  readonly marker?: string;
  readonly labels?: Record<string, string>;
  readonly affinity?: V1Affinity;
  readonly nodeSelector?: Record<string, string>;
  readonly ownerReferences?: V1OwnerReference[];
}

export function scenarioPod(name: string, o: PodOptions = {}): V1Pod {
  return model<V1Pod>({
    metadata: {
      name,
      labels: o.labels ?? {},
      annotations: o.annotations ?? {},
      ...(o.ownerReferences ? { ownerReferences: o.ownerReferences } : {}),
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          resources: {
            requests: { cpu: '100m', memory: '64Mi' },
            // The README's opt-in: one container carries the marker as a limit (its request defaults to it).
            ...(o.marker === undefined ? {} : { limits: { [o.marker]: '1' } }),
          },
        },
      ],
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    },
  });
}

/** Reads pods and events of one namespace, as `kubectl describe pod` would show them. */
export class PodWatch {
  readonly core: CoreV1Api;
  readonly namespace: string;

  constructor(kc: KubeConfig, namespace = 'default') {
    this.core = kc.makeApiClient(CoreV1Api);
    this.namespace = namespace;
  }

  async create(pod: V1Pod): Promise<void> {
    await this.core.createNamespacedPod({ namespace: this.namespace, body: pod });
  }

  async nodeOf(name: string): Promise<string | undefined> {
    return (await this.core.readNamespacedPod({ name, namespace: this.namespace })).spec?.nodeName;
  }

  /** The node kube-scheduler bound the pod to. */
  async bound(name: string, timeoutMs = 30_000): Promise<string> {
    return waitFor(() => this.nodeOf(name), {
      timeoutMs,
      intervalMs: 50,
      description: `kube-scheduler to bind ${name}`,
    });
  }

  async scheduledCondition(name: string): Promise<V1PodCondition | undefined> {
    const pod = await this.core.readNamespacedPod({ name, namespace: this.namespace });
    return pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  }

  /** Waits for PodScheduled=False with `reason` (Unschedulable or SchedulerError) and a FailedScheduling event. */
  async refused(
    name: string,
    reason: string,
    timeoutMs = 30_000,
  ): Promise<{ condition: V1PodCondition; events: string[] }> {
    return waitFor(
      async () => {
        const condition = await this.scheduledCondition(name);
        if (condition?.status !== 'False' || condition.reason !== reason) return null;
        const events = await this.failedScheduling(name);
        return events.length > 0 ? { condition, events } : null;
      },
      { timeoutMs, intervalMs: 100, description: `${name} to be refused with PodScheduled=False reason ${reason}` },
    );
  }

  /** Messages of the pod's FailedScheduling events, oldest first. */
  async failedScheduling(name: string): Promise<string[]> {
    const events = await this.core.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: `involvedObject.name=${name},reason=FailedScheduling`,
    });
    return events.items.map((e) => e.message ?? '');
  }

  /**
   * What a kubelet would report once the pod's containers run: phase Running, Ready. A StatefulSet with the
   * default OrderedReady policy creates the next replica only then.
   */
  async markRunning(name: string): Promise<void> {
    const pod = await this.core.readNamespacedPod({ name, namespace: this.namespace });
    const now = new Date();
    const conditions = (pod.status?.conditions ?? []).filter(
      (c) => c.type !== 'Ready' && c.type !== 'ContainersReady' && c.type !== 'Initialized',
    );
    for (const type of ['Initialized', 'ContainersReady', 'Ready'])
      conditions.push(model<V1PodCondition>({ type, status: 'True', lastTransitionTime: now }));
    pod.status ??= new V1PodStatus();
    pod.status.phase = 'Running';
    pod.status.conditions = conditions;
    pod.status.startTime = now;
    await this.core.replaceNamespacedPodStatus({ name, namespace: this.namespace, body: pod });
  }

  /** Deletes pods (all, or those matching `labelSelector`) at once: no kubelet would finish a graceful delete. */
  async forceDelete(labelSelector?: string): Promise<void> {
    const which = labelSelector === undefined ? {} : { labelSelector };
    await this.core.deleteCollectionNamespacedPod({ namespace: this.namespace, gracePeriodSeconds: 0, ...which });
    await waitFor(
      async () => (await this.core.listNamespacedPod({ namespace: this.namespace, ...which })).items.length === 0,
      { description: 'pods to be deleted' },
    );
  }
}
