/**
 * Pods berth's filter turned away, kept so that a node report that brings room gets them retried at once
 * (docs/kubernetes.md, "Retry when room appears"). kube-scheduler retries a pod an extender rejected on any cluster
 * event it watches, an update of the pod itself included, but a node report is no such event: left alone, the pod
 * waits for an unrelated event or for the 5-minute flush of unschedulable pods. The Kubernetes side
 * (server/kube/requeue.ts) turns each touch decided here into a patch of one berth-owned annotation on the pod.
 * Pure: events and `now` come in, decisions go out.
 *
 *   which  a node's accepted report may have made room for a waiting pod when the node turned fresh or a figure
 *          the pod needs went up, and the node now meets the pod's figures (numbers only, no engine). The engine
 *          then judges the node for the pod before and after the report, exactly as filter would (`fitsOn`), and
 *          only "no" turning into "yes" asks for a retry.
 *   when   one touch per pod until kube-scheduler has asked berth about it again, or `podIntervalMs` passed; and
 *          `ratePerSecond` pods in all (a token bucket holding one second's worth). A touch held back stays due.
 *   until  a pod is forgotten when it passes filter, is bound or deleted, after FORGET_AFTER_MS without a filter
 *          call (kube-scheduler retries every unschedulable pod at least every 5 minutes), or, beyond `maxPods`,
 *          the one turned away longest ago first.
 */
import type { Needs } from '../extender/needs.ts';
import type { NodeView } from '../extender/node-view.ts';
import type { PodFacts } from '../extender/pod.ts';
import { evaluateNode, peerRefs, type Policy, type RequestContext } from '../extender/verdict.ts';
import type { PeerRule } from '../extender/needs.ts';

/** The annotation berth writes, and nothing else (manifests/admission/requeue-policy.yaml holds it to that). */
export const REQUEUE_ANNOTATION = 'berth.io/requeue';
/** Three of kube-scheduler's 5-minute flushes: a pod not asked about for this long is no longer being scheduled. */
export const FORGET_AFTER_MS = 15 * 60_000;

export interface RequeueLimits {
  /** Most touches per second in all; above 0 (0 turns requeueing off before this class is built). */
  readonly ratePerSecond: number;
  /** Shortest time between two touches of one pod that kube-scheduler has not retried in between. */
  readonly podIntervalMs: number;
  readonly maxPods: number;
}

export type DropReason = 'passed' | 'placed' | 'deleted' | 'expired' | 'evicted';
export const DROP_REASONS: readonly DropReason[] = ['passed', 'placed', 'deleted', 'expired', 'evicted'];

export interface WaitingPod {
  readonly key: string;
  readonly facts: PodFacts;
  readonly needs: Needs;
}

/** One patch to make: the pod (uid as a precondition) and the node whose report made room. */
export interface Touch {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
  readonly value: string;
}

export interface RequeueStats {
  /** Wanted touches held back: by the one-per-retry rule of a pod, or by the rate in all. */
  readonly heldBack: { readonly pod: number; readonly rate: number };
  readonly dropped: Readonly<Record<DropReason, number>>;
}

interface Entry extends WaitingPod {
  lastAskedMs: number;
  lastTouchMs: number | null;
  askedSinceTouch: boolean;
  /** The node whose report made room, while a touch is wanted. */
  dueNode: string | null;
  heldCounted: boolean;
}

/** What the numbers of a node say about room, from its view in the report store. */
export interface NodeFigures {
  readonly fresh: boolean;
  readonly largestNvmeFree: number;
  readonly nvmeFree: number;
  /** Link speed minus load; null when the node reports no link speed. */
  readonly headroomBps: number | null;
}

const GONE: NodeFigures = Object.freeze({ fresh: false, largestNvmeFree: 0, nvmeFree: 0, headroomBps: null });

export function nodeFigures(view: NodeView | undefined, nowMs: number, ttlMs: number): NodeFigures {
  if (view === undefined) return GONE;
  const link = view.link;
  return {
    fresh: nowMs - view.receivedAtMs <= ttlMs,
    largestNvmeFree: view.nvmePools[0]?.freeBytes ?? 0,
    nvmeFree: view.nvmeFreeBytes,
    headroomBps: link?.speedBps == null ? null : Math.max(0, link.speedBps - link.loadBps),
  };
}

/** Cheap test before the engine: the node now meets the pod's figures, and the report changed something it needs. */
export function mayHaveRoom(needs: Needs, before: NodeFigures, after: NodeFigures): boolean {
  if (!after.fresh) return false;
  const nvme = needs.nvmeVolumes.length > 0;
  if (nvme) {
    let largest = 0;
    let total = 0;
    for (const v of needs.nvmeVolumes) {
      largest = Math.max(largest, v);
      total += v;
    }
    if (after.largestNvmeFree < largest || after.nvmeFree < total) return false;
  }
  const bw = needs.minBandwidthBps;
  if (bw !== null && (after.headroomBps === null || after.headroomBps < bw)) return false;
  if (!before.fresh) return true;
  if (nvme && (after.largestNvmeFree > before.largestNvmeFree || after.nvmeFree > before.nvmeFree)) return true;
  if (bw !== null && (before.headroomBps === null || (after.headroomBps ?? 0) > before.headroomBps)) return true;
  // Peer RTTs change with every report and cannot be compared cheaply: the engine decides.
  return needs.maxPeerLatencyUs !== null && needs.peers !== null;
}

/** What the engine reads besides the pod: the same sources server/http/context.ts builds a request from. */
export interface EngineView {
  readonly policy: Policy;
  readonly view: (node: string) => NodeView | undefined;
  readonly reserved: (node: string) => readonly number[];
  readonly peerNodes: (rule: PeerRule, pod: PodFacts) => readonly string[];
}

/** Whether filter would let `node` through for the pod, judged by the engine on that one node. */
export function fitsOn(node: string, pod: WaitingPod, engine: EngineView, nowMs: number): boolean {
  const { needs, facts } = pod;
  const ctx: RequestContext = {
    nowMs,
    policy: engine.policy,
    needs,
    view: engine.view,
    reserved: engine.reserved,
    peers: needs.peers === null ? [] : peerRefs(engine.peerNodes(needs.peers, facts), engine.view),
  };
  return evaluateNode(node, ctx).rejection === null;
}

export function requeueValue(node: string, nowMs: number): string {
  return `room on ${node} at ${new Date(nowMs).toISOString()}`;
}

export class WaitingPods {
  readonly #limits: RequeueLimits;
  /** In the order pods were last asked about, oldest first (expiry and eviction take from the front). */
  readonly #pods = new Map<string, Entry>();
  /** Keys of pods with a touch wanted, in the order it was wanted. */
  readonly #due = new Set<string>();
  #tokens: number;
  #tokensAtMs: number | null = null;
  readonly #held = { pod: 0, rate: 0 };
  readonly #dropped: Record<DropReason, number> = {
    passed: 0,
    placed: 0,
    deleted: 0,
    expired: 0,
    evicted: 0,
  };

  constructor(limits: RequeueLimits) {
    this.#limits = limits;
    this.#tokens = this.#burst;
  }

  get size(): number {
    return this.#pods.size;
  }

  get dueCount(): number {
    return this.#due.size;
  }

  has(key: string): boolean {
    return this.#pods.has(key);
  }

  /** Filter turned the pod away on every candidate: remember it (again), with what it needs now. */
  turnedAway(facts: PodFacts, needs: Needs, nowMs: number): void {
    const key = `${facts.namespace}/${facts.name}`;
    const prev = this.#pods.get(key);
    // kube-scheduler has just retried the pod with every report berth holds: a touch still wanted is moot.
    this.#pods.delete(key);
    this.#due.delete(key);
    this.#pods.set(key, {
      key,
      facts,
      needs,
      lastAskedMs: nowMs,
      lastTouchMs: prev !== undefined && prev.facts.uid === facts.uid ? prev.lastTouchMs : null,
      askedSinceTouch: true,
      dueNode: null,
      heldCounted: false,
    });
    this.expire(nowMs);
    while (this.#pods.size > this.#limits.maxPods) {
      const oldest = this.#pods.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest, 'evicted');
    }
  }

  /** The pod stopped waiting for room: filter let it through, it was bound, deleted or replaced. */
  drop(key: string, reason: DropReason): void {
    if (!this.#pods.delete(key)) return;
    this.#due.delete(key);
    this.#dropped[reason]++;
  }

  /** Uid of the waiting pod under `key`, or null. */
  uidOf(key: string): string | null {
    return this.#pods.get(key)?.facts.uid ?? null;
  }

  /**
   * A node's report was accepted. `fits(pod, 'before' | 'after')` asks the engine about the node with its previous
   * and its new view. Returns how many pods now want a touch because of it.
   */
  reportArrived(
    node: string,
    before: NodeFigures,
    after: NodeFigures,
    fits: (pod: WaitingPod, which: 'before' | 'after') => boolean,
  ): number {
    if (this.#pods.size === 0 || !after.fresh) return 0;
    let wanted = 0;
    for (const e of this.#pods.values()) {
      if (e.dueNode !== null || !mayHaveRoom(e.needs, before, after)) continue;
      if (!fits(e, 'after') || (before.fresh && fits(e, 'before'))) continue;
      e.dueNode = node;
      e.heldCounted = false;
      this.#due.add(e.key);
      wanted++;
    }
    return wanted;
  }

  /**
   * The touches to make now, within both limits and at most `max` of them, and when a held-back one may go (null:
   * none is held back). Each touch returned counts as made; report a failed one with `failed`.
   */
  take(nowMs: number, max = Infinity): { touches: Touch[]; wakeAtMs: number | null } {
    this.expire(nowMs);
    this.#refill(nowMs);
    const touches: Touch[] = [];
    let wakeAtMs: number | null = null;
    const later = (at: number): void => {
      wakeAtMs = wakeAtMs === null ? at : Math.min(wakeAtMs, at);
    };
    for (const key of this.#due) {
      if (touches.length >= max) break;
      const e = this.#pods.get(key);
      if (e?.dueNode == null) {
        this.#due.delete(key);
        continue;
      }
      const readyAt = e.askedSinceTouch || e.lastTouchMs === null ? nowMs : e.lastTouchMs + this.#limits.podIntervalMs;
      if (readyAt > nowMs) {
        if (!e.heldCounted) this.#held.pod++;
        e.heldCounted = true;
        later(readyAt);
        continue;
      }
      if (this.#tokens < 1) {
        if (!e.heldCounted) this.#held.rate++;
        e.heldCounted = true;
        later(nowMs + Math.ceil(((1 - this.#tokens) * 1000) / this.#limits.ratePerSecond));
        continue;
      }
      this.#tokens -= 1;
      this.#due.delete(key);
      touches.push({
        key,
        namespace: e.facts.namespace,
        name: e.facts.name,
        uid: e.facts.uid,
        node: e.dueNode,
        value: requeueValue(e.dueNode, nowMs),
      });
      e.dueNode = null;
      e.lastTouchMs = nowMs;
      e.askedSinceTouch = false;
    }
    return { touches, wakeAtMs };
  }

  /** A touch that did not reach the pod: try again once the pod's interval has passed. */
  failed(touch: Touch): void {
    const e = this.#pods.get(touch.key);
    if (e === undefined || e.facts.uid !== touch.uid || e.dueNode !== null) return;
    e.dueNode = touch.node;
    e.heldCounted = false;
    this.#due.add(touch.key);
  }

  expire(nowMs: number): void {
    for (const e of this.#pods.values()) {
      if (nowMs - e.lastAskedMs < FORGET_AFTER_MS) break;
      this.drop(e.key, 'expired');
    }
  }

  stats(): RequeueStats {
    return { heldBack: { ...this.#held }, dropped: { ...this.#dropped } };
  }

  get #burst(): number {
    return Math.max(1, this.#limits.ratePerSecond);
  }

  #refill(nowMs: number): void {
    if (this.#tokensAtMs !== null && nowMs > this.#tokensAtMs)
      this.#tokens = Math.min(
        this.#burst,
        this.#tokens + ((nowMs - this.#tokensAtMs) * this.#limits.ratePerSecond) / 1000,
      );
    this.#tokensAtMs = nowMs;
  }
}
