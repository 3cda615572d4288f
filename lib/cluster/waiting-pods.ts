/**
 * Pods berth's filter turned away, kept so that a node report that brings room gets them retried at once
 * (docs/kubernetes.md, "Retry when room appears"). kube-scheduler retries a pod an extender rejected on any cluster
 * event it watches, an update of the pod itself included, but a node report is no such event: left alone, the pod
 * waits for an unrelated event or for the 5-minute flush of unschedulable pods. The Kubernetes side
 * (server/kube/requeue.ts) turns each touch decided here into a patch of one berth-owned annotation on the pod.
 * Pure: events and `now` come in, decisions go out.
 *
 *   which  a node's accepted report made room for a waiting pod when a need of the pod went from not met to met
 *          by the node's figures (or the node turned fresh) and the engine then lets the node through, exactly as
 *          filter would (lib/cluster/room.ts).
 *   when   one touch per pod until kube-scheduler has asked berth about it again, or `podIntervalMs` passed; and
 *          `ratePerSecond` pods in all (a token bucket holding one second's worth). A touch held back stays due.
 *   until  a pod is forgotten when it passes filter, is bound or deleted, after FORGET_AFTER_MS without a filter
 *          call (kube-scheduler retries every unschedulable pod at least every 5 minutes), or, beyond `maxPods`,
 *          the one turned away longest ago first.
 */
import type { Needs } from '../extender/needs.ts';
import type { NodeView } from '../extender/node-view.ts';
import type { PodFacts } from '../extender/pod.ts';
import { figuresChanged, fitsOn, fresh, type EngineView, type WaitingPod } from './room.ts';

export type { WaitingPod } from './room.ts';

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
   * A node's report was accepted; `before` is the view it replaced. Returns how many pods now want a touch because
   * of it. O(1) with nobody waiting; else a pass over the waiting pods with figures, the engine only where they
   * changed (`roomAppeared`).
   */
  reportArrived(node: string, before: NodeView | undefined, engine: EngineView, nowMs: number): number {
    if (this.#pods.size === 0) return 0;
    const after = fresh(engine.store.get(node), engine, nowMs);
    if (after === null) return 0;
    const was = fresh(before, engine, nowMs);
    const reserved = engine.reservations().get(node) ?? [];
    let wanted = 0;
    for (const e of this.#pods.values()) {
      if (e.dueNode !== null || !figuresChanged(e.needs, was, after, reserved) || !fitsOn(node, e, engine, nowMs))
        continue;
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
