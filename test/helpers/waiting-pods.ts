/**
 * A report store with the engine's view of it and a clock, and pods turned away by filter: the scene of
 * test/lib/cluster/room.test.ts and waiting-pods.test.ts.
 */
import { config, pod, report, TestClock, type ReportSpec } from './builders.ts';
import type { EngineView, WaitingPod } from '../../lib/cluster/room.ts';
import { podNeeds } from '../../lib/extender/needs.ts';
import type { NodeView } from '../../lib/extender/node-view.ts';
import { podFacts } from '../../lib/extender/pod.ts';
import { ReportStore } from '../../lib/extender/report-store.ts';

export function waitingPod(name: string, annotations: Record<string, string>, uid = `uid-${name}`): WaitingPod {
  const facts = { ...podFacts(pod(annotations, { name, ownerUid: 'sts' })), uid };
  const needs = podNeeds(facts);
  if (!needs.ok) throw new Error(needs.reason);
  return { key: `default/${name}`, facts, needs: needs.needs };
}
export const needing = (gi: number, name = 'db-0', uid?: string): WaitingPod =>
  waitingPod(name, { 'berth.io/nvme-capacity': `${gi}Gi` }, uid);

/** A report store and the engine's view of it, with a clock; `put` publishes a node's report as its agent would. */
export function cluster() {
  const clock = new TestClock();
  const store = new ReportStore();
  const reserved = new Map<string, number[]>();
  let peers: string[] = [];
  let sequence = 0;
  const engine: EngineView = {
    policy: config().policy,
    store,
    reservations: () => reserved,
    peerNodes: () => peers,
  };
  /** Publishes `spec` for `node`; returns the view it replaced. */
  const put = (node: string, spec: ReportSpec): NodeView | undefined => {
    const before = store.get(node);
    store.ingest(report(node, { ...spec, sequence: ++sequence }), clock.now());
    return before;
  };
  const setPeers = (nodes: string[]): void => {
    peers = nodes;
  };
  return { clock, store, engine, reserved, put, setPeers };
}

export const nvme = (gi: number): ReportSpec => ({ pools: [['nvme0', gi, 1000]] });
