/**
 * The objects of the answer-replay cluster (replay-cluster.ts): NodeReports as the agent writes them, pods and
 * claims as their controllers and the kubelet leave them, and the needs each StatefulSet's pods ask for.
 */
import { SELECTED_NODE } from '../../../lib/cluster/claim-volumes.ts';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { REPORT_API_VERSION, type NodeReport } from '../../../lib/core/report.ts';
import { reportToStatus } from '../../../lib/core/node-report-resource.ts';

export type Obj = Record<string, unknown>;
export const NODES = 60;
const GiB = 2 ** 30;

export const nodeName = (i: number): string => `node-${String(i).padStart(2, '0')}`;

function time(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function report(i: number, rnd: () => number, freeGiB: number): NodeReport {
  const speed = i % 17 === 5 ? null : ([10e9, 25e9, 100e9][i % 3] ?? 10e9);
  const peers = [];
  for (let k = 1; k <= 20; k++) {
    const p50 = 60 + Math.floor(rnd() * 2500);
    peers.push({ node: nodeName((i + k * 7) % NODES), p50Us: p50, p99Us: p50 * 2, samples: 10 });
  }
  peers.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return {
    apiVersion: REPORT_API_VERSION,
    node: nodeName(i),
    zone: `z${i % 3}`,
    takenAt: '2026-11-21T10:00:00Z',
    agent: { instance: `agent-${i}`, sequence: 1 },
    probe: null,
    devices: [{ name: 'nvme0n1', model: 'test', sizeBytes: 2000 * GiB }],
    pools: [
      {
        name: 'nvme0',
        kind: 'lvm',
        capacityBytes: 1000 * GiB,
        freeBytes: freeGiB * GiB,
        device: 'nvme0n1',
        deviceModel: 'test',
        nvme: true,
      },
      ...(i % 4 === 0
        ? [
            {
              name: 'nvme1',
              kind: 'lvm' as const,
              capacityBytes: 1000 * GiB,
              freeBytes: Math.floor(freeGiB / 2) * GiB,
              device: 'nvme0n1',
              deviceModel: 'test',
              nvme: true,
            },
          ]
        : []),
    ],
    nics: [{ name: 'eth0', speedBps: speed, rxBps: Math.floor(rnd() * 8e9), txBps: Math.floor(rnd() * 4e9) }],
    peers,
    problems: [],
  };
}

export function reportObject(r: NodeReport, writtenAtMs: number, sequence = 1): Obj {
  const status = reportToStatus({ ...r, agent: { ...r.agent, sequence } });
  return {
    apiVersion: 'berth.io/v1alpha1',
    kind: 'NodeReport',
    metadata: {
      name: r.node,
      uid: `report-${r.node}`,
      managedFields: [
        {
          manager: 'berth-agent',
          operation: 'Apply',
          apiVersion: 'berth.io/v1alpha1',
          time: time(writtenAtMs),
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: {},
        },
      ],
    },
    status,
  };
}

export function pod(
  ns: string,
  name: string,
  opts: { node?: string; labels?: Obj; annotations?: Obj; owner?: string; claims?: string[]; phase?: string },
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      labels: opts.labels ?? {},
      annotations: { 'prometheus.io/scrape': 'true', ...opts.annotations },
      ...(opts.owner === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'x', uid: opts.owner, controller: true },
            ],
          }),
      managedFields: [{ manager: 'kubelet', operation: 'Update', time: '2026-11-21T10:00:00Z' }],
    },
    spec: {
      ...(opts.node === undefined ? {} : { nodeName: opts.node }),
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
      volumes: [
        ...(opts.claims ?? []).map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
        { name: 'cfg', configMap: { name: 'cfg' } },
      ],
    },
    status: { phase: opts.phase ?? (opts.node === undefined ? 'Pending' : 'Running') },
  };
}

export function claim(
  ns: string,
  name: string,
  opts: { cls: string; size: string; volume?: string; node?: string },
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: ns,
      uid: `pvc-${ns}-${name}`,
      annotations: opts.node === undefined ? {} : { [SELECTED_NODE]: opts.node },
    },
    spec: {
      storageClassName: opts.cls,
      resources: { requests: { storage: opts.size } },
      ...(opts.volume === undefined ? {} : { volumeName: opts.volume }),
    },
  };
}

/** Needs of StatefulSet k's pods, varied across sets so every rule and rejection shows up. */
export function setAnnotations(k: number): Obj {
  const a: Obj = {};
  if (k % 3 !== 2) a[ANNOTATIONS.nvmeCapacity] = `${100 + (k % 5) * 150}Gi`;
  if (k % 4 === 1) a[ANNOTATIONS.minBandwidth] = `${2 + (k % 3) * 4}G`;
  if (k % 2 === 0) a[ANNOTATIONS.maxPeerLatency] = k % 6 === 0 ? '500us' : '2ms';
  if (k % 5 === 3) a[ANNOTATIONS.peers] = `app=db-${k},role in (replica)`;
  if (k === 7) a[ANNOTATIONS.nvmeCapacity] = 'lots';
  return a;
}
