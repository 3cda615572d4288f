/**
 * The StatefulSet-shaped burst used by burst.test.ts: nodes with reports, a local-NVMe StorageClass, a fake agent
 * that republishes each node's report as volumes are provisioned on it, and the numbers read back afterwards.
 */
import * as k8s from '@kubernetes/client-node';
import { REPORT_API_VERSION, type NodeReport } from '../../../lib/core/report.ts';
import { SELECTED_NODE } from '../../../lib/cluster/claim-volumes.ts';
import { parseQuantity } from '../../../lib/core/units.ts';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { model } from '../harness/control-plane.ts';
import type { TestProvisioner } from './kube-fixtures.ts';

export const GiB = 2 ** 30;

export function nodeReport(node: string, freeBytes: number, capacityBytes: number, sequence: number): NodeReport {
  return {
    apiVersion: REPORT_API_VERSION,
    node,
    zone: null,
    takenAt: new Date().toISOString(),
    agent: { instance: `fake-${node}`, sequence },
    probe: null,
    devices: [{ name: 'nvme0n1', model: 'e2e', sizeBytes: capacityBytes }],
    pools: [
      { name: 'nvme0', kind: 'lvm', capacityBytes, freeBytes, device: 'nvme0n1', deviceModel: 'e2e', nvme: true },
    ],
    nics: [{ name: 'eth0', speedBps: 25e9, rxBps: 0, txBps: 0 }],
    peers: [],
    problems: [],
  };
}

/**
 * Stands in for the agents of `nodes`: publishes each node's report every `heartbeatMs`, with free space reduced
 * by the volumes the test provisioner has created there, as a real agent would measure after allocation.
 */
export class FakeAgents {
  readonly #publishers = new Map<string, KubeReportPublisher>();
  readonly #initialFree: ReadonlyMap<string, number>;
  readonly #capacity: number;
  readonly #provisioner: TestProvisioner;
  readonly #timer: NodeJS.Timeout;
  #sequence = 0;
  publishes = 0;

  constructor(
    kc: k8s.KubeConfig,
    initialFree: ReadonlyMap<string, number>,
    capacity: number,
    provisioner: TestProvisioner,
    heartbeatMs: number,
  ) {
    for (const node of initialFree.keys())
      this.#publishers.set(node, new KubeReportPublisher({ k8s, kc, node, timeoutMs: 10_000 }));
    this.#initialFree = initialFree;
    this.#capacity = capacity;
    this.#provisioner = provisioner;
    this.#timer = setInterval(() => {
      void this.publishAll().catch(() => undefined);
    }, heartbeatMs);
  }

  usedOn(node: string): number {
    let used = 0;
    for (const p of this.#provisioner.provisioned) if (p.node === node) used += parseQuantity(p.bytes) ?? 0;
    return used;
  }

  async publishAll(): Promise<void> {
    const seq = ++this.#sequence;
    await Promise.all(
      [...this.#publishers].map(async ([node, publisher]) => {
        const free = Math.max(0, (this.#initialFree.get(node) ?? 0) - this.usedOn(node));
        await publisher.publish(nodeReport(node, free, this.#capacity, seq), new AbortController().signal);
        this.publishes++;
      }),
    );
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

export function localNvmeClass(name: string): k8s.V1StorageClass {
  return model<k8s.V1StorageClass>({
    metadata: { name },
    provisioner: 'berth.io/e2e-local-nvme',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
  });
}

export function statefulSet(name: string, replicas: number, storageClass: string, size: string): k8s.V1StatefulSet {
  return model<k8s.V1StatefulSet>({
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      // All pods at once: no kubelet runs them, so OrderedReady would stop at the first.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: storageClass,
            resources: { requests: { storage: size } },
          },
        },
      ],
    },
  });
}

export function extenderSchedulerConfig(url: string): string {
  return `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 100
extenders:
  - urlPrefix: ${url}/scheduler
    filterVerb: filter
    prioritizeVerb: prioritize
    weight: 5
    nodeCacheCapable: true
    ignorable: false
    httpTimeout: 5s
`;
}

export interface BurstOutcome {
  readonly bound: number;
  readonly pending: string[];
  /** Bytes claimed (selected-node) per node. */
  readonly claimedByNode: Map<string, number>;
  readonly failedSchedulingMessages: Map<string, string>;
}

export async function burstOutcome(kc: k8s.KubeConfig, namespace: string): Promise<BurstOutcome> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pods = (await core.listNamespacedPod({ namespace })).items;
  const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
  const events = (await core.listNamespacedEvent({ namespace })).items;
  const claimedByNode = new Map<string, number>();
  for (const c of claims) {
    const node = c.metadata?.annotations?.[SELECTED_NODE];
    if (node === undefined) continue;
    claimedByNode.set(
      node,
      (claimedByNode.get(node) ?? 0) + (parseQuantity(c.spec?.resources?.requests?.['storage'] ?? '0') ?? 0),
    );
  }
  const failedSchedulingMessages = new Map<string, string>();
  for (const e of events)
    if (e.reason === 'FailedScheduling' && e.involvedObject.name !== undefined)
      failedSchedulingMessages.set(e.involvedObject.name, e.message ?? '');
  return {
    bound: pods.filter((p) => p.spec?.nodeName !== undefined).length,
    pending: pods.filter((p) => p.spec?.nodeName === undefined).map((p) => p.metadata?.name ?? ''),
    claimedByNode,
    failedSchedulingMessages,
  };
}
