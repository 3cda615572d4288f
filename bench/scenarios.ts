/**
 * Seeded benchmark inputs shared by the server and the load generator: a cluster of production-like node names
 * with reports, and a StatefulSet pod (the recorded one) asking for NVMe, bandwidth and peer latency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeReport } from '../lib/core/report.ts';
import { report, seededRandom } from '../test/helpers/builders.ts';

export const CLUSTER_SIZE = 5000;
export const NODE_COUNTS = [100, 500, 5000] as const;

export function nodeName(i: number): string {
  return `ip-10-${(i >> 16) & 255}-${(i >> 8) & 255}-${i & 255}.ec2.internal`;
}

export function clusterReports(seed = 1): NodeReport[] {
  const rnd = seededRandom(seed);
  const reports: NodeReport[] = [];
  for (let i = 0; i < CLUSTER_SIZE; i++) {
    const cap = [1600, 3200, 7600][i % 3] ?? 1600;
    const peers = Array.from(
      { length: 24 },
      () => [nodeName(Math.floor(rnd() * CLUSTER_SIZE)), 100 + Math.floor(rnd() * 900)] as const,
    );
    reports.push(
      report(nodeName(i), {
        zone: `zone-${i % 3}`,
        pools: [
          ['nvme0', Math.floor(rnd() * cap), cap],
          ['nvme1', Math.floor(rnd() * cap), cap],
        ],
        nics: [{ name: 'eth0', speedBps: 25e9, rxBps: rnd() * 10e9, txBps: rnd() * 10e9 }],
        peers,
      }),
    );
  }
  return reports;
}

/** The recorded StatefulSet pod, with berth's annotations added. */
export function statefulPod(): Record<string, unknown> {
  const path = join(
    import.meta.dirname,
    '../test/fixtures/kube-scheduler-v1.30/stateful-pod/node-names/filter.request.json',
  );
  const pod = (JSON.parse(readFileSync(path, 'utf8')) as { Pod: { metadata: { annotations: Record<string, string> } } })
    .Pod;
  pod.metadata.annotations = {
    ...pod.metadata.annotations,
    'berth.io/nvme-capacity': '200Gi',
    'berth.io/min-bandwidth': '2G',
    'berth.io/max-peer-latency': '2ms',
  };
  return pod;
}
