/**
 * Shared pieces of the Kubernetes e2e tests: apply berth's manifests to the real API server, mint service account
 * tokens (TokenRequest, optionally bound to a pod on a node so they carry the node-name claim), run extender
 * replicas in-process against the API server, and play the local-volume provisioner.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import { type RawOptions } from '../../../lib/extender/options.ts';
import { describeProblems } from '../../../lib/core/check.ts';
import { NODE_REPORT_GROUP, NODE_REPORT_PLURAL, NODE_REPORT_VERSION } from '../../../lib/core/node-report-resource.ts';
import { SELECTED_NODE } from '../../../lib/cluster/claim-volumes.ts';
import { startExtender, type RunningExtender } from '../../../server/extender/run.ts';
import { createKubeSide, type KubeSide } from '../../../server/kube/kube-side.ts';
import { createLogger } from '../../../server/common/log.ts';
import { model, waitFor, type ControlPlane } from '../harness/control-plane.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export const AGENT_NS = 'berth-agent';
export const AGENT_SA = 'berth-agent';
export const EXTENDER_NS = 'berth-system';
export const EXTENDER_SA = 'berth-extender';

/** Creates every object of the given manifests/ files, in order, as the admin. */
export async function applyManifests(kc: k8s.KubeConfig, files: readonly string[]): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const file of files) {
    const text = await readFile(join(root, 'manifests', file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as k8s.KubernetesObject | null;
      if (obj === null) continue;
      await client.create(obj);
    }
  }
  if (files.includes('crd/nodereports.yaml')) {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await waitFor(
      () =>
        custom
          .listClusterCustomObject({
            group: NODE_REPORT_GROUP,
            version: NODE_REPORT_VERSION,
            plural: NODE_REPORT_PLURAL,
          })
          .then(() => true),
      { description: 'the NodeReport CRD to be served' },
    );
  }
}

/** A KubeConfig that talks to `server` (default: the API server) with a bearer token, verifying the test CA. */
export function tokenKubeConfig(cp: ControlPlane, token: string, server: string = cp.server): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server, caData: Buffer.from(cp.pki.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: 'sa' }],
    currentContext: 'e2e',
  });
  return kc;
}

/** A pod object standing for a DaemonSet pod already bound to `node` (no kubelet runs it). */
export async function placeholderPod(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  serviceAccount: string,
  node: string,
): Promise<k8s.V1Pod> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return core.createNamespacedPod({
    namespace,
    body: model<k8s.V1Pod>({
      metadata: { name },
      spec: {
        serviceAccountName: serviceAccount,
        nodeName: node,
        containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
      },
    }),
  });
}

/** TokenRequest for a service account; bound to `pod` it carries the pod's node in the node-name claim. */
export async function serviceAccountToken(
  kc: k8s.KubeConfig,
  namespace: string,
  sa: string,
  opts: { pod?: k8s.V1Pod; audiences?: string[] } = {},
): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pod = opts.pod;
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name: sa,
    body: model<k8s.AuthenticationV1TokenRequest>({
      spec: {
        expirationSeconds: 3600,
        ...(opts.audiences ? { audiences: opts.audiences } : { audiences: [] }),
        ...(pod
          ? {
              boundObjectRef: {
                apiVersion: 'v1',
                kind: 'Pod',
                name: pod.metadata?.name ?? '',
                uid: pod.metadata?.uid ?? '',
              },
            }
          : {}),
      },
    }),
  });
  const token = tr.status?.token;
  if (token === undefined) throw new Error('TokenRequest returned no token');
  return token;
}

export interface KubeExtender {
  readonly running: RunningExtender;
  readonly kube: KubeSide;
  close(): Promise<void>;
}

/** An extender replica in this process, with its Kubernetes side attached, as `berth extender --kube` runs it. */
export async function startKubeExtender(kc: k8s.KubeConfig, raw: RawOptions = {}): Promise<KubeExtender> {
  const parsed = parseExtenderConfig({
    listen: '127.0.0.1:0',
    'shutdown-delay': '0s',
    'report-ttl': '10m',
    kube: true,
    ...raw,
  });
  if (!parsed.ok) throw new Error(describeProblems(parsed.problems));
  const config = parsed.value;
  if (config.kube === null) throw new Error('kube options missing');
  const kube = await createKubeSide(config, config.kube, { kubeConfig: kc });
  const running = await startExtender(config, {
    cluster: kube.cluster,
    authenticateReport: kube.authenticateReport,
    onClose: () => kube.close(),
    logger: false,
  });
  const logs: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
  kube.attach(running.deps.store, running.deps.metrics.registry, log);
  return { running, kube, close: () => running.close() };
}

export async function waitReady(ext: KubeExtender, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await fetch(`${ext.running.url}/readyz`)).status === 200, {
    timeoutMs,
    description: `${ext.running.url} to be ready`,
  });
}

/** What a kube-scheduler filter/prioritize body looks like for a pod (nodeCacheCapable: true). */
export function extenderArgs(pod: unknown, nodes: readonly string[]): string {
  return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: nodes });
}

export async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

/**
 * Plays the local-volume provisioner, which does not run here (no kubelet, no CSI driver): for every claim of
 * `storageClass` that gets volume.kubernetes.io/selected-node, it creates a local PV of the claimed size with that
 * node's affinity and a claimRef, as a real provisioner would. kube-controller-manager's PV controller binds them.
 */
export class TestProvisioner {
  readonly #core: k8s.CoreV1Api;
  readonly #storageClass: string;
  readonly #done = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  readonly provisioned: { claim: string; node: string; bytes: string }[] = [];
  #busy = false;

  constructor(kc: k8s.KubeConfig, storageClass: string, intervalMs = 100) {
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.#storageClass = storageClass;
    this.#timer = setInterval(() => {
      void this.#tick();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const claims = await this.#core.listPersistentVolumeClaimForAllNamespaces();
      for (const pvc of claims.items) {
        const node = pvc.metadata?.annotations?.[SELECTED_NODE];
        const key = `${pvc.metadata?.namespace ?? ''}/${pvc.metadata?.name ?? ''}`;
        if (
          node === undefined ||
          pvc.spec?.storageClassName !== this.#storageClass ||
          pvc.spec.volumeName ||
          this.#done.has(key)
        )
          continue;
        const storage = pvc.spec.resources?.requests?.['storage'] ?? '1Gi';
        await this.#core.createPersistentVolume({
          body: model<k8s.V1PersistentVolume>({
            metadata: {
              name: `pv-${pvc.metadata?.uid ?? key.replace('/', '-')}`,
              annotations: { 'pv.kubernetes.io/provisioned-by': 'berth-e2e-provisioner' },
            },
            spec: {
              capacity: { storage },
              accessModes: ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Delete',
              storageClassName: this.#storageClass,
              local: { path: `/mnt/nvme/${key.replace('/', '-')}` },
              claimRef: {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                namespace: pvc.metadata?.namespace ?? '',
                name: pvc.metadata?.name ?? '',
                uid: pvc.metadata?.uid ?? '',
              },
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
                  ],
                },
              },
            },
          }),
        });
        this.#done.add(key);
        this.provisioned.push({ claim: key, node, bytes: storage });
      }
    } catch {
      // The API server may be restarting; the next tick tries again.
    } finally {
      this.#busy = false;
    }
  }
}
