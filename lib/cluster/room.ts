/**
 * Whether a node report made room for a pod berth turned away (lib/cluster/waiting-pods.ts decides what to do about
 * it). Cheap figures first: the node turned fresh, or a need of the pod (NVMe volumes with what is reserved on the
 * node, bandwidth headroom) went from not met to met. A node that met the figures already before the report tells
 * nothing new, so a pod kept off it for another reason (a taint, its own affinity) is not retried again and again.
 * Only then the engine, on that one node, exactly as filter judges it (`fitsOn`).
 */
import type { Needs, PeerRule } from '../extender/needs.ts';
import type { NodeView } from '../extender/node-view.ts';
import type { PodFacts } from '../extender/pod.ts';
import { freeAfterPlacement } from '../extender/placement.ts';
import type { ReportStore } from '../extender/report-store.ts';
import { requestContext } from '../extender/request.ts';
import { evaluateNode, type Policy } from '../extender/verdict.ts';

export interface WaitingPod {
  readonly key: string;
  readonly facts: PodFacts;
  readonly needs: Needs;
}

/** What the engine reads besides the pod: the same sources server/http/context.ts builds a request from. */
export interface EngineView {
  readonly policy: Policy;
  readonly store: ReportStore;
  /** Volumes reserved for pods in flight, by node (ClusterView.reservations). */
  readonly reservations: () => ReadonlyMap<string, readonly number[]>;
  readonly peerNodes: (rule: PeerRule, pod: PodFacts) => readonly string[];
}

/** Whether filter would let `node` through for the pod, judged by the engine on that one node. */
export function fitsOn(node: string, pod: WaitingPod, engine: EngineView, nowMs: number): boolean {
  const { needs, facts } = pod;
  const ctx = requestContext(engine.store, {
    nowMs,
    policy: engine.policy,
    needs,
    reservations: engine.reservations(),
    peerNodes: needs.peers === null ? [] : engine.peerNodes(needs.peers, facts),
  });
  return evaluateNode(node, ctx).rejection === null;
}

function nvmeFits(view: NodeView, reserved: readonly number[], volumes: readonly number[]): boolean {
  return view.nvmePools.length > 0 && freeAfterPlacement(view.nvmePools, view.nvmeFreeBytes, reserved, volumes) >= 0;
}

function headroomBps(view: NodeView): number | null {
  const link = view.link;
  return link === null || link.speedBps === null ? null : Math.max(0, link.speedBps - link.loadBps);
}

/**
 * The figures part of `roomAppeared`, for a fresh `after` view: the pod's NVMe and bandwidth needs are met now, and
 * `was` (the previous view if it was fresh, else null) did not meet one of them. Peer latency is not compared
 * (RTTs move with every report, and a candidate's RTT to a peer is mostly read from the peer's report): a pod
 * refused only for latency is looked at again when a node turns fresh.
 */
export function figuresChanged(
  needs: Needs,
  was: NodeView | null,
  after: NodeView,
  reserved: readonly number[],
): boolean {
  let changed = was === null;
  if (needs.nvmeVolumes.length > 0) {
    if (!nvmeFits(after, reserved, needs.nvmeVolumes)) return false;
    if (was !== null && !nvmeFits(was, reserved, needs.nvmeVolumes)) changed = true;
  }
  const need = needs.minBandwidthBps;
  if (need !== null) {
    const now = headroomBps(after);
    if (now === null || now < need) return false;
    const then = was === null ? null : headroomBps(was);
    if (then === null || then < need) changed = true;
  }
  return changed;
}

/** The node's view if it is fresh at `nowMs`, else null. */
export function fresh(view: NodeView | undefined, engine: EngineView, nowMs: number): NodeView | null {
  return view !== undefined && nowMs - view.receivedAtMs <= engine.policy.reportTtlMs ? view : null;
}

/**
 * Whether the report that replaced `before` with the node's current view made room for the pod: the node turned
 * fresh, or a need the pod has (NVMe with what is reserved on the node, bandwidth) went from not met to met by the
 * figures alone, and then the engine lets the node through. The figures cost no allocation for one volume, so the
 * engine runs only where they changed.
 */
export function roomAppeared(
  pod: WaitingPod,
  node: string,
  before: NodeView | undefined,
  reserved: readonly number[],
  engine: EngineView,
  nowMs: number,
): boolean {
  const after = fresh(engine.store.get(node), engine, nowMs);
  return (
    after !== null &&
    figuresChanged(pod.needs, fresh(before, engine, nowMs), after, reserved) &&
    fitsOn(node, pod, engine, nowMs)
  );
}
