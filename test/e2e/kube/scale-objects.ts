/**
 * Seeded, realistic cluster objects for the scale benchmark and its reduced CI run: pods the way a StatefulSet or
 * a Deployment and then the kubelet leave them (labels, owner references, two containers with env, probes and
 * mounts, a kubelet-like status written through the status subresource, and the managedFields both writers leave:
 * about 10 KB of JSON each as the API server returns them), the claims of the stateful ones, and NodeReports with
 * the agent's default peer count (lib/agent/options.ts: report-peers-max 128; at 5,000 nodes every report
 * carries the full 128, since each 10 s round probes 24 peers and the window keeps 5 minutes of them).
 */
import { createHash } from 'node:crypto';
import { REPORT_API_VERSION, type NodeReport } from '../../../lib/core/report.ts';
import { AGENT_OPTIONS } from '../../../lib/agent/options.ts';
import { reportToStatus } from '../../../lib/core/node-report-resource.ts';

export const PEERS_PER_REPORT = Number(AGENT_OPTIONS['report-peers-max'].default);
export const NVME_CLASS = 'local-nvme';
export const NAMESPACES = 40;

export function nodeName(i: number): string {
  return `ip-10-${(i >> 16) & 255}-${(i >> 8) & 255}-${i & 255}.ec2.internal`;
}

/** Small deterministic hash helpers: stable uids, hashes and IPs from an index. */
function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function uid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function ip(i: number, net: number): string {
  return `10.${net}.${(i >> 8) & 255}.${i & 255}`;
}

export interface PodPlan {
  readonly index: number;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  /** StatefulSet pods have a claim and berth's annotations; Deployment pods neither. */
  readonly stateful: boolean;
  readonly set: string;
  readonly ordinal: number;
}

/** Pod i of the cluster: one in three belongs to a 3-replica StatefulSet, the rest to 10-replica Deployments. */
export function podPlan(i: number, nodes: number): PodPlan {
  const stateful = i % 3 === 0;
  const namespace = `team-${i % NAMESPACES}`;
  const group = Math.floor(i / (stateful ? 3 : 10));
  const set = stateful ? `pg-${group}` : `web-${group}`;
  const ordinal = stateful ? Math.floor(i / 3) % 3 : i % 10;
  const name = stateful ? `${set}-${ordinal}-${i}` : `${set}-5d8f7c9b4-${hex(`p${i}`, 5)}`;
  return { index: i, namespace, name, node: nodeName((i * 7919) % nodes), stateful, set, ordinal };
}

export function claimName(p: PodPlan): string {
  return `data-${p.name}`;
}

function env(p: PodPlan): { name: string; value?: string; valueFrom?: unknown }[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'SERVICE_NAME', value: p.set },
    { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: `${p.set}-credentials`, key: 'password' } } },
  ];
}

function probe(path: string, port: number): unknown {
  return {
    httpGet: { path, port, scheme: 'HTTP' },
    initialDelaySeconds: 10,
    timeoutSeconds: 5,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 6,
  };
}

function containers(p: PodPlan): unknown[] {
  const image = p.stateful ? 'docker.io/bitnami/postgresql:16.4.0-debian-12-r9' : 'ghcr.io/example/web:2.14.3';
  const mounts = [
    { name: 'config', mountPath: '/etc/app/conf.d', readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ...(p.stateful ? [{ name: 'data', mountPath: '/var/lib/postgresql/data' }] : []),
  ];
  const securityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1001,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return [
    {
      name: p.stateful ? 'postgresql' : 'app',
      image,
      ports: [{ name: 'main', containerPort: p.stateful ? 5432 : 8080, protocol: 'TCP' }],
      env: env(p),
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
      volumeMounts: mounts,
      livenessProbe: probe('/healthz', 8080),
      readinessProbe: probe('/readyz', 8080),
      securityContext,
    },
    {
      name: 'metrics',
      image: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
      ports: [{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }],
      env: [{ name: 'DATA_SOURCE_URI', value: `127.0.0.1:5432/postgres?sslmode=disable` }],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      volumeMounts: mounts.slice(2, 3),
      securityContext,
    },
  ];
}

function volumes(p: PodPlan): unknown[] {
  return [
    ...(p.stateful ? [{ name: 'data', persistentVolumeClaim: { claimName: claimName(p) } }] : []),
    { name: 'config', configMap: { name: `${p.set}-config`, defaultMode: 420 } },
    { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
    {
      name: 'kube-api-access',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ];
}

/** What the controller creates: metadata and spec, already bound to its node (no scheduler runs in the bench). */
export function podObject(p: PodPlan): Record<string, unknown> {
  const labels: Record<string, string> = {
    app: p.set,
    'app.kubernetes.io/name': p.stateful ? 'postgresql' : 'web',
    'app.kubernetes.io/instance': p.set,
    'app.kubernetes.io/component': p.stateful ? 'primary' : 'frontend',
    'app.kubernetes.io/managed-by': 'Helm',
    'helm.sh/chart': p.stateful ? 'postgresql-15.5.20' : 'web-2.14.3',
    ...(p.stateful
      ? {
          'controller-revision-hash': `${p.set}-7d9f8c6b5d`,
          'statefulset.kubernetes.io/pod-name': p.name,
          'apps.kubernetes.io/pod-index': String(p.ordinal),
        }
      : { 'pod-template-hash': '5d8f7c9b4' }),
  };
  const annotations: Record<string, string> = {
    'checksum/config': hex(`cfg-${p.set}`, 64),
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '9187',
    ...(p.stateful
      ? { 'berth.io/max-peer-latency': '2ms', 'berth.io/min-bandwidth': '1G', 'berth.io/peers': `app=${p.set}` }
      : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      generateName: p.stateful ? undefined : `${p.set}-5d8f7c9b4-`,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: p.stateful ? 'StatefulSet' : 'ReplicaSet',
          name: p.stateful ? p.set : `${p.set}-5d8f7c9b4`,
          uid: uid(`owner-${p.namespace}-${p.set}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: p.node,
      containers: containers(p),
      volumes: volumes(p),
      serviceAccountName: p.stateful ? 'postgresql' : 'web',
      ...(p.stateful ? { hostname: p.name, subdomain: `${p.set}-hl` } : {}),
      securityContext: { fsGroup: 1001, fsGroupChangePolicy: 'OnRootMismatch' },
      terminationGracePeriodSeconds: 30,
    },
  };
}

/** The kubelet's view, written through the status subresource. */
export function podStatus(p: PodPlan, at: string): Record<string, unknown> {
  const podIp = ip(p.index, 64 + ((p.index >> 16) & 63));
  const hostIp = ip((p.index * 7919) % 65536, 0);
  const condition = (type: string): unknown => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at });
  const containerStatus = (name: string, image: string): unknown => ({
    name,
    state: { running: { startedAt: at } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image,
    imageID: `${image.split(':')[0] ?? image}@sha256:${hex(image, 64)}`,
    containerID: `containerd://${hex(`${p.name}-${name}`, 64)}`,
    started: true,
  });
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: at,
    containerStatuses: [
      containerStatus(p.stateful ? 'postgresql' : 'app', 'docker.io/bitnami/postgresql:16.4.0-debian-12-r9'),
      containerStatus('metrics', 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0'),
    ],
    qosClass: 'Burstable',
  };
}

/** The claim of a stateful pod: bound to a local volume on the pod's node, as a provisioner leaves it. */
export function claimObject(p: PodPlan): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(p),
      namespace: p.namespace,
      labels: { app: p.set },
      annotations: { 'volume.kubernetes.io/selected-node': p.node },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: NVME_CLASS,
      resources: { requests: { storage: '200Gi' } },
      volumeName: `pvc-${uid(`pv-${p.namespace}-${p.name}`)}`,
    },
  };
}

/** Node i's report: two NVMe pools, a 25G link, and the default 128 peers. */
export function nodeReportFor(i: number, nodes: number, takenAt: string): NodeReport {
  const cap = [1600, 3200, 7600][i % 3] ?? 1600;
  const GiB = 2 ** 30;
  const peers: NodeReport['peers'][number][] = [];
  const count = Math.min(PEERS_PER_REPORT, nodes - 1);
  for (let k = 1; k <= count; k++) {
    const peer = (i + k * 37) % nodes;
    const p50 = 80 + ((i * 31 + k * 17) % 900);
    peers.push({ node: nodeName(peer), p50Us: p50, p99Us: p50 * 3, samples: 30 });
  }
  peers.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const unique = peers.filter((p, k) => k === 0 || peers[k - 1]?.node !== p.node);
  return {
    apiVersion: REPORT_API_VERSION,
    node: nodeName(i),
    zone: `zone-${i % 3}`,
    takenAt,
    agent: { instance: `bench-${i}`, sequence: 1 },
    probe: `${ip(i, 0)}:7070`,
    devices: [
      { name: 'nvme0n1', model: 'Samsung PM9A3', sizeBytes: cap * GiB },
      { name: 'nvme1n1', model: 'Samsung PM9A3', sizeBytes: cap * GiB },
    ],
    pools: [
      {
        name: 'nvme0',
        kind: 'lvm',
        capacityBytes: cap * GiB,
        freeBytes: ((i * 13) % cap) * GiB,
        device: 'nvme0n1',
        deviceModel: 'Samsung PM9A3',
        nvme: true,
      },
      {
        name: 'nvme1',
        kind: 'lvm',
        capacityBytes: cap * GiB,
        freeBytes: ((i * 29) % cap) * GiB,
        device: 'nvme1n1',
        deviceModel: 'Samsung PM9A3',
        nvme: true,
      },
    ],
    nics: [{ name: 'eth0', speedBps: 25e9, rxBps: (i % 10) * 1e9, txBps: (i % 7) * 1e9 }],
    peers: unique,
    problems: [],
  };
}

export function nodeReportStatus(report: NodeReport): Record<string, unknown> {
  return reportToStatus(report);
}
