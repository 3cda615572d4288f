/**
 * Objects that exercise every field the projections read, written to a real API server, and their collections
 * read back raw in both encodings. Used by projection.test.ts (live) and by bench/scale/record-proto-fixtures.ts,
 * which keeps the bytes as test/fixtures/kube-proto/ for the unit tests of the protobuf reader.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, PROTOBUF } from '../../../server/kube/api-get.ts';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { SELECTED_NODE } from '../../../lib/cluster/claim-volumes.ts';
import type { ApiWriter } from './scale-loader.ts';
import { claimObject, podObject, podPlan, podStatus } from './scale-objects.ts';

export const PLAN_PODS = [0, 1, 3, 40] as const;

/** Pods and claims beyond the benchmark's: defaults, several owners and claims, a finished pod, a beta class. */
export async function writeEdgeObjects(w: ApiWriter): Promise<void> {
  await w.send('POST', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'plain' }, provisioner: 'x.y/z' });
  const mk = (ns: string, body: Record<string, unknown>): Promise<void> =>
    w.send('POST', `/api/v1/namespaces/${ns}/pods`, body);
  await mk('default', {
    metadata: { name: 'bare' },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  });
  await mk('team-0', {
    metadata: {
      name: 'many',
      labels: { 'example.com/tier': 'db', empty: '' },
      annotations: {
        [ANNOTATIONS.nvmeCapacity]: '1Ti',
        [ANNOTATIONS.peers]: 'app in (a,b),!canary',
        'berth.io/unknown': 'kept: berth reads the prefix',
        'other.io/x': 'dropped',
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: '11111111-1111-1111-1111-111111111111' },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: 'set',
          uid: '22222222-2222-2222-2222-222222222222',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: 'node-x',
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
      volumes: [
        { name: 'a', persistentVolumeClaim: { claimName: 'claim-a' } },
        { name: 'cm', configMap: { name: 'cm' } },
        { name: 'b', persistentVolumeClaim: { claimName: 'claim-b', readOnly: true } },
      ],
    },
  });
  await mk('team-0', {
    metadata: { name: 'done', labels: { app: 'job' } },
    spec: { nodeName: 'node-y', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
  });
  await w.send(
    'PATCH',
    '/api/v1/namespaces/team-0/pods/done/status',
    { status: { phase: 'Succeeded' } },
    'application/merge-patch+json',
  );
  await w.send('POST', '/api/v1/namespaces/team-0/persistentvolumeclaims', {
    metadata: {
      name: 'claim-a',
      annotations: { 'volume.beta.kubernetes.io/storage-class': 'local-nvme', [SELECTED_NODE]: 'node-x' },
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1500Mi' } } },
  });
  await w.send('POST', '/api/v1/namespaces/team-0/persistentvolumeclaims', {
    metadata: { name: 'claim-b' },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'plain', resources: { requests: { storage: '1Gi' } } },
  });
}

export async function writePlanObjects(w: ApiWriter, nodes: number): Promise<void> {
  for (const i of PLAN_PODS) {
    const p = podPlan(i, nodes);
    const pods = `/api/v1/namespaces/${p.namespace}/pods`;
    if (p.stateful) await w.send('POST', `/api/v1/namespaces/${p.namespace}/persistentvolumeclaims`, claimObject(p));
    await w.send('POST', `${pods}?fieldManager=kube-controller-manager`, podObject(p));
    await w.send(
      'PATCH',
      `${pods}/${p.name}/status?fieldManager=kubelet`,
      { status: podStatus(p, '2026-12-01T00:00:00Z') },
      'application/strategic-merge-patch+json',
    );
  }
}

/** A collection's whole LIST body as the API server sends it, in protobuf and in JSON. */
export async function readBoth(kc: KubeConfig, path: string): Promise<{ proto: Buffer; json: Buffer }> {
  const api = new ApiClient(kc);
  const read = async (accept: string): Promise<Buffer> => {
    const res = await api.get(path, {}, accept, new AbortController().signal);
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  };
  try {
    return { proto: await read(PROTOBUF), json: await read('application/json') };
  } finally {
    api.close();
  }
}
