import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  V1LeaseSpec,
  V1MicroTime,
  V1NodeSpec,
  type KubeConfig,
  type V1Lease,
  type V1NodeStatus,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import { kubernetesVersion } from './binaries.ts';
import { model } from './model.ts';

export interface FakeNodeOptions {
  /** topology.kubernetes.io/zone; omitted when not given. */
  zone?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: V1Taint[];
  /** Extended resources or anything else to add to capacity and allocatable. */
  extraResources?: Record<string, string>;
}

/** The taint the TaintNodesByCondition admission plugin puts on every new Node. */
const notReadyTaintKey = 'node.kubernetes.io/not-ready';

export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error) || tries >= 10) throw error;
    }
  }
}

/**
 * Creates a Node that looks to the scheduler like a healthy kubelet registered it, the way
 * kwok fakes nodes: the object, then Ready status with capacity via the status subresource,
 * then the not-ready taint removed (the node lifecycle controller would do that, but it only
 * runs when the test starts kube-controller-manager). Returns the final Node.
 */
export async function createNode(kc: KubeConfig, name: string, options: FakeNodeOptions = {}): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...(options.zone === undefined ? {} : { 'topology.kubernetes.io/zone': options.zone }),
    ...options.labels,
  };
  const created = await core.createNode({
    body: model<V1Node>({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels, annotations: { 'berth.e2e/fake-node': 'true', ...options.annotations } },
      spec: { taints: options.taints ?? [] },
    }),
  });

  const resources: Record<string, string> = {
    cpu: options.cpu ?? '8',
    memory: options.memory ?? '32Gi',
    pods: String(options.pods ?? 110),
    'ephemeral-storage': options.ephemeralStorage ?? '100Gi',
    ...options.extraResources,
  };
  const now = new Date();
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: 'set by the berth e2e harness (no kubelet)',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  created.status = model<V1NodeStatus>({
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition('Ready', 'True', 'KubeletReady'),
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: name },
    ],
    nodeInfo: {
      architecture: 'amd64',
      operatingSystem: 'linux',
      osImage: 'berth e2e fake node',
      kernelVersion: '',
      kubeletVersion: kubernetesVersion(),
      kubeProxyVersion: '',
      containerRuntimeVersion: 'fake://0',
      machineID: name,
      systemUUID: name,
      bootID: name,
    },
    phase: 'Running',
  });
  await core.replaceNodeStatus({ name, body: created });

  return retryOnConflict(async () => {
    const current = await core.readNode({ name });
    const taints = current.spec?.taints ?? [];
    if (!taints.some((taint) => taint.key === notReadyTaintKey)) return current;
    current.spec ??= new V1NodeSpec();
    current.spec.taints = taints.filter((taint) => taint.key !== notReadyTaintKey);
    return core.replaceNode({ name, body: current });
  });
}

/**
 * Renews each fake node's Lease in kube-node-lease, as a kubelet does every 10 s. Without it
 * the node lifecycle controller (kube-controller-manager) would mark the nodes unreachable
 * after its 50 s grace period, taint them and evict their pods.
 */
export class NodeHeartbeat {
  readonly #coordination: CoordinationV1Api;
  /** Node name to uid: the Lease is owned by its Node so garbage collection removes it too. */
  readonly #nodes = new Map<string, string>();
  readonly #timer: NodeJS.Timeout;
  #beating: Promise<void> = Promise.resolve();

  constructor(kc: KubeConfig, intervalMs = 10_000) {
    this.#coordination = kc.makeApiClient(CoordinationV1Api);
    this.#timer = setInterval(() => {
      this.#beating = this.#beatAll();
    }, intervalMs);
    this.#timer.unref();
  }

  async add(node: V1Node): Promise<void> {
    const name = node.metadata?.name;
    const uid = node.metadata?.uid;
    if (name === undefined || uid === undefined)
      throw new Error('NodeHeartbeat.add needs a Node read from the apiserver');
    this.#nodes.set(name, uid);
    await this.#renew(name, uid);
  }

  remove(nodeName: string): void {
    this.#nodes.delete(nodeName);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
  }

  async #beatAll(): Promise<void> {
    // A missed beat (apiserver restarting, node deleted by the test) is fine: the next one
    // comes in 10 s, well inside the 50 s grace period.
    await Promise.all([...this.#nodes].map(([name, uid]) => this.#renew(name, uid).catch(() => undefined)));
  }

  async #renew(nodeName: string, nodeUid: string): Promise<void> {
    const namespace = 'kube-node-lease';
    await retryOnConflict(async () => {
      try {
        const lease = await this.#coordination.readNamespacedLease({ name: nodeName, namespace });
        lease.spec ??= new V1LeaseSpec();
        lease.spec.holderIdentity = nodeName;
        lease.spec.leaseDurationSeconds = 40;
        lease.spec.renewTime = new V1MicroTime();
        await this.#coordination.replaceNamespacedLease({ name: nodeName, namespace, body: lease });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await this.#coordination.createNamespacedLease({
          namespace,
          body: model<V1Lease>({
            metadata: {
              name: nodeName,
              namespace,
              ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }],
            },
            spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: new V1MicroTime() },
          }),
        });
      }
    });
  }
}
