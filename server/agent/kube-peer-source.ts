/**
 * Latency peers from the API server: every NodeReport that advertises a probe address is a peer, with its zone.
 * Needs `list` on nodereports (the optional berth-agent-peers role in manifests/rbac/agent.yaml). A report whose
 * status is invalid is skipped and counted, like the HTTP source skips bad entries.
 */
import { parseHostPort } from '../../lib/core/host-port.ts';
import {
  reportFromObject,
  NODE_REPORT_GROUP,
  NODE_REPORT_PLURAL,
  NODE_REPORT_VERSION,
} from '../../lib/core/node-report-resource.ts';
import type { PeerCandidate } from '../../lib/agent/peer-sample.ts';
import { isRecord } from '../../lib/core/check.ts';
import { BerthError } from '../../lib/core/errors.ts';
import type { K8s, KubeConfig } from '../common/client-node.ts';
import type { PeerSource } from './latency/peer-source.ts';

export function peersFromNodeReports(list: unknown): { peers: PeerCandidate[]; skipped: number } {
  const items = isRecord(list) && Array.isArray(list['items']) ? (list['items'] as unknown[]) : [];
  const peers: PeerCandidate[] = [];
  let skipped = 0;
  for (const item of items) {
    const parsed = reportFromObject(item);
    if (!parsed.ok) {
      skipped++;
      continue;
    }
    const r = parsed.value;
    if (r === null || r.probe === null) continue;
    if (parseHostPort(r.probe, false) === null) {
      skipped++;
      continue;
    }
    peers.push({ node: r.node, zone: r.zone, probe: r.probe });
  }
  return { peers, skipped };
}

export class KubePeerSource implements PeerSource {
  readonly #custom: InstanceType<K8s['CustomObjectsApi']>;
  lastSkipped = 0;

  constructor(k8s: K8s, kc: KubeConfig) {
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  async list(signal: AbortSignal): Promise<readonly PeerCandidate[]> {
    if (signal.aborted) throw new BerthError('BERTH_ERR_PEERS', 'peer listing aborted');
    const list: unknown = await this.#custom.listClusterCustomObject({
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
    });
    const { peers, skipped } = peersFromNodeReports(list);
    this.lastSkipped = skipped;
    return peers;
  }
}
