/**
 * Gathers what a request is judged by, once: the pod's needs, the policy, the time, the reservations by slot and
 * the peers' RTT lanes. Filter, prioritize and explain then only read.
 */
import { wantsPeers, type Needs } from './needs.ts';
import { PeerLatency } from './peer-latency.ts';
import type { ReportStore } from './report-store.ts';
import type { Policy, RequestContext } from './verdict.ts';

export interface RequestInput {
  readonly nowMs: number;
  readonly policy: Policy;
  readonly needs: Needs;
  /** Volumes held for pods in flight, by node name (ClusterView.reservations()). */
  readonly reservations: ReadonlyMap<string, readonly number[]>;
  /** Nodes that already run the pod's peers, one entry per peer. */
  readonly peerNodes: readonly string[];
}

const NO_RESERVATIONS: ReadonlyMap<number, readonly number[]> = new Map();

export function requestContext(store: ReportStore, input: RequestInput): RequestContext {
  let reserved = NO_RESERVATIONS;
  if (input.needs.nvmeVolumes.length > 0 && input.reservations.size > 0) {
    const bySlot = new Map<number, readonly number[]>();
    for (const [node, volumes] of input.reservations) {
      const slot = store.table.slot(node);
      if (slot >= 0) bySlot.set(slot, volumes);
    }
    reserved = bySlot;
  }
  const peerNodes = wantsPeers(input.needs) ? input.peerNodes : [];
  return {
    nowMs: input.nowMs,
    policy: input.policy,
    needs: input.needs,
    store,
    reserved,
    peers: new PeerLatency(store.table, store.rtts, store.peerLanes, peerNodes),
  };
}
