/**
 * Where each bound pod runs, indexed so that a PeerRule (lib/extender/needs.ts) is answered without scanning every pod:
 *
 *   controller rule  → pods by controller uid, directly;
 *   selector rule    → candidates from the smallest posting list among the selector's `key in (…)` terms
 *                      (namespace → key → value), else the pods having its `key exists` terms' key, else the
 *                      namespace; each candidate is then checked against the whole selector.
 *
 * A selector made only of negative terms (`!key`, `key notin (…)`) falls back to the namespace's pods: it matches
 * most of them anyway. Only bound, non-terminal pods are indexed: a pending pod has no node to measure against,
 * and a finished one no longer talks to anyone. Answers are sorted by node name so that replicas agree.
 *
 * Memory is per pod, at 150,000 pods: the index holds the caller's own objects (no copies), its maps are keyed by
 * the pods' own (shared) label strings rather than composed keys, and a posting list of one pod (a StatefulSet's
 * pod-name label, a single claim) is that pod's key, not a Set.
 */
import type { PeerRule } from '../extender/needs.ts';
import { matchesSelector } from '../core/selector.ts';
import { sameStrings } from '../extender/pod.ts';

export interface PeerPod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly controllerUid: string | null;
  readonly nodeName: string | null;
}

/** A posting list: one pod key, or a set of them. */
export type Posting = string | Set<string>;

export function addPosting<K>(index: Map<K, Posting>, k: K, podKey: string): void {
  const p = index.get(k);
  if (p === undefined) index.set(k, podKey);
  else if (typeof p === 'string') {
    if (p !== podKey) index.set(k, new Set([p, podKey]));
  } else p.add(podKey);
}

export function removePosting<K>(index: Map<K, Posting>, k: K, podKey: string): void {
  const p = index.get(k);
  if (p === undefined) return;
  if (typeof p === 'string') {
    if (p === podKey) index.delete(k);
    return;
  }
  p.delete(podKey);
  if (p.size === 1) index.set(k, p.values().next().value ?? '');
  else if (p.size === 0) index.delete(k);
}

export function postingKeys(p: Posting | undefined): Iterable<string> {
  return p === undefined ? [] : typeof p === 'string' ? [p] : p;
}

function postingSize(p: Posting | undefined): number {
  return p === undefined ? 0 : typeof p === 'string' ? 1 : p.size;
}

function samePeer(a: PeerPod, b: PeerPod): boolean {
  return (
    a.nodeName === b.nodeName &&
    a.namespace === b.namespace &&
    a.controllerUid === b.controllerUid &&
    sameStrings(a.labels, b.labels)
  );
}

type LabelIndex = Map<string, Map<string, Map<string, Posting>>>; // namespace → key → value → pods

export class PeerIndex {
  readonly #pods = new Map<string, PeerPod>();
  readonly #byController = new Map<string, Posting>();
  readonly #byLabel: LabelIndex = new Map();
  readonly #byNamespace = new Map<string, Posting>();

  get size(): number {
    return this.#pods.size;
  }

  /**
   * Adds or replaces a bound pod under `key` (namespace/name); a pod that is not bound (or finished) is removed
   * instead by the caller. An unchanged pod (every relist sends them all again) only has its object replaced:
   * removing and adding it would churn every posting list it is in.
   */
  upsert(key: string, pod: PeerPod): void {
    const held = this.#pods.get(key);
    if (held !== undefined && samePeer(held, pod)) {
      this.#pods.set(key, pod);
      return;
    }
    this.remove(key);
    this.#pods.set(key, pod);
    if (pod.controllerUid !== null) addPosting(this.#byController, pod.controllerUid, key);
    addPosting(this.#byNamespace, pod.namespace, key);
    let keys = this.#byLabel.get(pod.namespace);
    if (keys === undefined) this.#byLabel.set(pod.namespace, (keys = new Map<string, Map<string, Posting>>()));
    for (const [k, v] of Object.entries(pod.labels)) {
      let values = keys.get(k);
      if (values === undefined) keys.set(k, (values = new Map<string, Posting>()));
      addPosting(values, v, key);
    }
  }

  remove(key: string): boolean {
    const pod = this.#pods.get(key);
    if (pod === undefined) return false;
    this.#pods.delete(key);
    if (pod.controllerUid !== null) removePosting(this.#byController, pod.controllerUid, key);
    removePosting(this.#byNamespace, pod.namespace, key);
    const keys = this.#byLabel.get(pod.namespace);
    for (const [k, v] of Object.entries(pod.labels)) {
      const values = keys?.get(k);
      if (values === undefined) continue;
      removePosting(values, v, key);
      if (values.size === 0) keys?.delete(k);
    }
    if (keys?.size === 0) this.#byLabel.delete(pod.namespace);
    return true;
  }

  /** Nodes of the pods matched by `rule`, one entry per peer, sorted; `selfKey` (the pod asking) is left out. */
  nodesFor(rule: PeerRule, selfKey: string): string[] {
    const out: string[] = [];
    if (rule.kind === 'controller') {
      for (const key of postingKeys(this.#byController.get(rule.uid))) {
        const p = this.#pods.get(key);
        if (p?.nodeName && key !== selfKey && p.namespace === rule.namespace) out.push(p.nodeName);
      }
    } else {
      for (const key of this.#candidates(rule.namespace, rule.selector.requirements)) {
        const p = this.#pods.get(key);
        if (p?.nodeName && key !== selfKey && matchesSelector(rule.selector, p.labels)) out.push(p.nodeName);
      }
    }
    return out.sort();
  }

  #candidates(
    namespace: string,
    requirements: Extract<PeerRule, { kind: 'selector' }>['selector']['requirements'],
  ): Iterable<string> {
    const keys = this.#byLabel.get(namespace);
    let best: string[] | null = null;
    let bestSize = Infinity;
    for (const r of requirements) {
      if (r.op !== 'in') continue;
      const values = keys?.get(r.key);
      const lists = r.values.map((v) => values?.get(v));
      const size = lists.reduce((n, l) => n + postingSize(l), 0);
      if (size < bestSize) {
        bestSize = size;
        best = lists.flatMap((l) => [...postingKeys(l)]);
      }
    }
    if (best !== null) return best;
    for (const r of requirements) {
      if (r.op !== 'exists') continue;
      const out: string[] = [];
      for (const p of keys?.get(r.key)?.values() ?? []) out.push(...postingKeys(p));
      return out;
    }
    return postingKeys(this.#byNamespace.get(namespace));
  }
}
