/**
 * Traffic that makes every dashboard panel move: node reports for a small fleet whose free NVMe and NIC load
 * drift, and kube-scheduler-shaped filter/prioritize calls for a mix of pods (NVMe that fits or not, bandwidth,
 * peer latency, pods with no needs, the odd malformed request). Bounded in time and count; loopback only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeReportObject } from '../../../lib/core/node-report-resource.ts';
import type { NodeReport } from '../../../lib/core/report.ts';
import { Gbps, pod, report, seededRandom } from '../builders.ts';
import type { ApiClient } from './apiserver.ts';

export const FLEET = ['nvme-a', 'nvme-b', 'nvme-c', 'small-d', 'busy-e', 'far-f'] as const;

/** The fleet's reports at step `step`: values drift so that time series are not flat. */
export function fleetReports(step: number): NodeReport[] {
  return FLEET.map((node, i) => {
    const wave = Math.sin(step / 6 + i);
    const free = node === 'small-d' ? 40 + 10 * wave : 600 - 40 * i + 60 * wave;
    const load = node === 'busy-e' ? 22 + wave : 3 + 2 * wave;
    const peers = FLEET.filter((p) => p !== node).map(
      (p, j) =>
        [p, Math.round((node === 'far-f' || p === 'far-f' ? 900 : 120 + 40 * j) * (1 + 0.2 * Math.abs(wave)))] as const,
    );
    return report(node, {
      zone: i < 3 ? 'zone-a' : 'zone-b',
      pools: [['nvme0', Math.max(1, Math.round(free)), 1000]],
      sequence: step + 1,
      instance: `load-${node}`,
      nics: [{ name: 'eth0', speedBps: 25 * Gbps, rxBps: (load / 2) * Gbps, txBps: (load / 2) * Gbps }],
      peers,
    });
  });
}

/** Writes the fleet as NodeReport objects (object, then status), as berth agents do with server-side apply. */
export async function applyNodeReports(
  api: ApiClient,
  reports: readonly NodeReport[],
  owners: ReadonlyMap<string, string>,
): Promise<void> {
  for (const r of reports) {
    const obj = nodeReportObject(r, { name: r.node, uid: owners.get(r.node) ?? '' });
    const res = await api.apply(
      { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata },
      { dryRun: false },
    );
    if (res.status >= 300)
      throw new Error(`NodeReport ${r.node}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    const query = 'fieldManager=berth-agent&force=true&fieldValidation=Strict';
    const status = await api.send(
      'PATCH',
      `/apis/${obj.apiVersion}/nodereports/${r.node}/status?${query}`,
      { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: r.node }, status: obj.status },
      'application/apply-patch+yaml',
    );
    if (status.status >= 300)
      throw new Error(
        `NodeReport ${r.node} status: HTTP ${status.status} ${JSON.stringify(status.body).slice(0, 300)}`,
      );
  }
}

type PodMaker = () => Record<string, unknown>;

const PODS: readonly PodMaker[] = [
  () => pod({ 'berth.io/nvme-capacity': '100Gi' }, { name: 'db-0', ownerUid: 'sts-db' }),
  () => pod({ 'berth.io/nvme-capacity': '700Gi' }, { name: 'big-0' }),
  () => pod({ 'berth.io/min-bandwidth': '20G' }, { name: 'stream-0' }),
  () =>
    pod(
      { 'berth.io/nvme-capacity': '50Gi', 'berth.io/max-peer-latency': '300us', 'berth.io/peers': 'app=kv' },
      { name: 'kv-1', labels: { app: 'kv' } },
    ),
  () => pod({}, { name: 'web-0' }),
];

export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
}

/** Calls filter and prioritize on every base URL until `untilMs`, about every `everyMs`, plus one malformed body in 40. */
export async function driveVerbs(
  baseUrls: readonly string[],
  prefix: string,
  untilMs: number,
  everyMs = 40,
): Promise<LoadResult> {
  const random = seededRandom(7);
  let requests = 0;
  let failures = 0;
  const names = [...FLEET, 'ghost-g'];
  const post = async (url: string, body: string): Promise<void> => {
    requests++;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    if (res.status >= 500) failures++;
  };
  for (let i = 0; Date.now() < untilMs && i < 100_000; i++) {
    const p = PODS[Math.floor(random() * PODS.length)] ?? PODS[0];
    const args = JSON.stringify({ Pod: p?.(), Nodes: null, NodeNames: names.filter(() => random() < 0.85) });
    for (const base of baseUrls) {
      await post(`${base}${prefix}/filter`, args);
      await post(`${base}${prefix}/prioritize`, args);
      if (i % 40 === 39) await post(`${base}${prefix}/filter`, '{"Pod": 5}');
    }
    await sleep(everyMs);
  }
  return { requests, failures };
}
