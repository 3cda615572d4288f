/**
 * A seeded cluster and a set of scheduling requests for the answer-replay check (answers-replay.ts): NodeReports
 * (some stale, some without a link speed), local-NVMe and other StorageClasses, StatefulSet pods with claims and
 * berth's annotations, noise pods, finished pods that must not count as peers, and the watch events that follow
 * the first sync (bindings, selected-node claims, deletions, a pod failing, a report changing and one going).
 * The requests are what kube-scheduler would send for the pods still pending: filter over a candidate list, then
 * prioritize over the nodes filter passed.
 */
import { seededRandom } from '../../helpers/builders.ts';
import type { NodeReport } from '../../../lib/core/report.ts';
import { claim, NODES, nodeName, pod, report, reportObject, setAnnotations, type Obj } from './replay-objects.ts';

export { reportObject, type Obj };

export const PATHS = {
  storageclasses: '/apis/storage.k8s.io/v1/storageclasses',
  persistentvolumeclaims: '/api/v1/persistentvolumeclaims',
  pods: '/api/v1/pods',
  nodereports: '/apis/berth.io/v1alpha1/nodereports',
} as const;

export const KINDS = {
  storageclasses: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' },
  persistentvolumeclaims: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  nodereports: { apiVersion: 'berth.io/v1alpha1', kind: 'NodeReport' },
} as const;

export type Collection = keyof typeof PATHS;

export interface Change {
  readonly collection: Collection;
  readonly put?: Obj;
  readonly delete?: string;
}

export interface ReplayCluster {
  readonly initial: readonly { collection: Collection; obj: Obj }[];
  readonly changes: readonly Change[];
  /** Pods kube-scheduler asks about, each with its candidate nodes. */
  readonly requests: readonly { pod: Obj; nodes: string[] }[];
  /** Extender flags the replay runs with. */
  readonly flags: Readonly<Record<string, string | boolean>>;
}

const SETS = 36;
const GiB = 2 ** 30;

export function replayCluster(nowMs: number, seed = 9): ReplayCluster {
  const rnd = seededRandom(seed);
  const initial: { collection: Collection; obj: Obj }[] = [];
  const add = (collection: Collection, obj: Obj): void => {
    initial.push({ collection, obj });
  };
  add('storageclasses', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'local-nvme' },
    provisioner: 'nvme.example.com/lvm',
  });
  add('storageclasses', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'fast' },
    provisioner: 'nvme.example.com/lvm',
  });
  add('storageclasses', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard' },
    provisioner: 'pd.csi.storage.gke.io',
  });
  const reports: NodeReport[] = [];
  for (let i = 0; i < NODES - 2; i++) {
    reports.push(report(i, rnd, Math.floor(rnd() * 1000)));
    const stale = i % 19 === 11;
    add('nodereports', reportObject(reports[i] as NodeReport, stale ? nowMs - 3_600_000 : nowMs - 5_000));
  }
  const pending: Obj[] = [];
  const changes: Change[] = [];
  for (let k = 0; k < SETS; k++) {
    const ns = `ns-${k % 4}`;
    const labels = { app: `db-${k}`, role: 'replica' };
    const annotations = setAnnotations(k);
    const cls = k % 3 === 2 ? 'local-nvme' : k % 3 === 1 ? 'fast' : 'standard';
    for (let r = 0; r < 4; r++) {
      const name = `db-${k}-${r}`;
      const claimName = `data-${name}`;
      const bound = r < 2;
      const node = nodeName(Math.floor(rnd() * NODES));
      add(
        'persistentvolumeclaims',
        claim(ns, claimName, {
          cls,
          size: `${50 + (k % 4) * 100}Gi`,
          ...(bound ? { volume: `pv-${name}`, node } : {}),
        }),
      );
      const obj = pod(ns, name, {
        labels: { ...labels, replica: String(r) },
        annotations,
        owner: `sts-${k}`,
        claims: [claimName],
        ...(bound ? { node } : {}),
      });
      add('pods', obj);
      if (!bound) pending.push(obj);
      if (r === 2 && k % 4 === 0) {
        // Bound after the first sync: with the annotation, the ledger reserves its NVMe on that node.
        const placed = pod(ns, name, {
          labels: { ...labels, replica: String(r) },
          annotations,
          owner: `sts-${k}`,
          claims: [claimName],
          node: nodeName((k * 5) % NODES),
        });
        changes.push({ collection: 'pods', put: placed });
      }
      if (r === 3 && k % 4 === 1) {
        // VolumeBinding chose a node for the claim: the ledger holds it there (pending).
        changes.push({
          collection: 'persistentvolumeclaims',
          put: claim(ns, claimName, { cls, size: `${50 + (k % 4) * 100}Gi`, node: nodeName((k * 3) % NODES) }),
        });
      }
    }
    // Finished replicas of the set: never peers.
    add('pods', pod(ns, `db-${k}-old`, { labels, owner: `sts-${k}`, node: nodeName(k % NODES), phase: 'Succeeded' }));
  }
  for (let d = 0; d < 240; d++) {
    const ns = `ns-${d % 4}`;
    const app = d % 7 === 0 ? `db-${d % SETS}` : `web-${d % 20}`;
    add(
      'pods',
      pod(ns, `web-${d}`, {
        labels: { app, role: d % 7 === 0 ? 'replica' : 'web' },
        node: nodeName(Math.floor(rnd() * NODES)),
      }),
    );
  }
  changes.push({ collection: 'pods', delete: 'ns-1/db-5-0' });
  changes.push({ collection: 'pods', delete: 'ns-2/web-14' });
  changes.push({
    collection: 'pods',
    put: pod('ns-0', 'db-8-1', {
      labels: { app: 'db-8', role: 'replica', replica: '1' },
      annotations: setAnnotations(8),
      owner: 'sts-8',
      claims: ['data-db-8-1'],
      node: nodeName(3),
      phase: 'Failed',
    }),
  });
  changes.push({
    collection: 'nodereports',
    put: reportObject(
      {
        ...(reports[4] as NodeReport),
        pools: [
          {
            name: 'nvme0',
            kind: 'lvm',
            capacityBytes: 1000 * GiB,
            freeBytes: 20 * GiB,
            device: 'nvme0n1',
            deviceModel: 'test',
            nvme: true,
          },
        ],
      },
      nowMs - 1_000,
      2,
    ),
  });
  changes.push({ collection: 'nodereports', delete: `/${nodeName(9)}` });
  const placedNames = new Set(
    changes.flatMap((c) =>
      c.put !== undefined && c.collection === 'pods' ? [String((c.put['metadata'] as Obj)['name'])] : [],
    ),
  );
  const requests = pending
    .filter((p) => !placedNames.has(String((p['metadata'] as Obj)['name'])))
    .map((p) => {
      const nodes = new Set<string>();
      while (nodes.size < 40) nodes.add(nodeName(Math.floor(rnd() * NODES)));
      return { pod: p, nodes: [...nodes].sort() };
    });
  for (let q = 0; q < 6; q++)
    requests.push({
      pod: pod('ns-9', `plain-${q}`, { labels: { app: 'plain' } }),
      nodes: [nodeName(q), nodeName(q + 1)],
    });
  const flags = {
    'nvme-storage-classes': 'local-nvme',
    'nvme-provisioners': 'nvme.example.com/lvm',
    'report-ttl': '10m',
    'reservation-ttl': '1h',
    'provisional-ttl': '1h',
  };
  return { initial, changes, requests, flags };
}
