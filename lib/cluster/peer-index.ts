/**
 * Where each bound pod runs, indexed so that a PeerRule (lib/extender/needs.ts) is answered without scanning every pod:
 *
 *   controller rule  → pods by controller uid, directly;
 *   selector rule    → candidates from the smallest posting list among the selector's `key in (…)` terms
 *                      (namespace + key + value), else its `key exists` terms (namespace + key), else the
 *                      namespace; each candidate is then checked against the whole selector.
 *
 * A selector made only of negative terms (`!key`, `key notin (…)`) falls back to the namespace's pods: it matches
 * most of them anyway. Only bound, non-terminal pods are indexed: a pending pod has no node to measure against,
 * and a finished one no longer talks to anyone. Answers are sorted by node name so that replicas agree.
 */
import type { PeerRule } from '../extender/needs.ts';
import { matchesSelector } from '../core/selector.ts';
import { sameStrings } from '../extender/pod.ts';

export interface PeerPod {
  /** namespace/name */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly controllerUid: string | null;
  readonly node: string;
}

const SEP = '\u0000';

function addTo(index: Map<string, Set<string>>, k: string, podKey: string): void {
  let set = index.get(k);
  if (set === undefined) index.set(k, (set = new Set()));
  set.add(podKey);
}

function removeFrom(index: Map<string, Set<string>>, k: string, podKey: string): void {
  const set = index.get(k);
  set?.delete(podKey);
  if (set?.size === 0) index.delete(k);
}

function samePeer(a: PeerPod, b: PeerPod): boolean {
  if (a.node !== b.node || a.namespace !== b.namespace || a.controllerUid !== b.controllerUid) return false;
  return sameStrings(a.labels, b.labels);
}

export class PeerIndex {
  readonly #pods = new Map<string, PeerPod>();
  readonly #byController = new Map<string, Set<string>>();
  readonly #byLabel = new Map<string, Set<string>>(); // ns \0 key \0 value
  readonly #byKey = new Map<string, Set<string>>(); // ns \0 key
  readonly #byNamespace = new Map<string, Set<string>>();

  get size(): number {
    return this.#pods.size;
  }

  /**
   * Adds or replaces a bound pod; a pod that is not bound (or finished) is removed instead by the caller. An
   * unchanged pod (every relist sends them all again) is left alone: removing and adding it would churn every
   * posting set it is in.
   */
  upsert(pod: PeerPod): void {
    const held = this.#pods.get(pod.key);
    if (held !== undefined && samePeer(held, pod)) {
      this.#pods.set(pod.key, pod); // the new one: whoever holds the old labels object may let it go
      return;
    }
    this.remove(pod.key);
    this.#pods.set(pod.key, pod);
    if (pod.controllerUid !== null) addTo(this.#byController, pod.controllerUid, pod.key);
    addTo(this.#byNamespace, pod.namespace, pod.key);
    for (const [k, v] of Object.entries(pod.labels)) {
      addTo(this.#byLabel, pod.namespace + SEP + k + SEP + v, pod.key);
      addTo(this.#byKey, pod.namespace + SEP + k, pod.key);
    }
  }

  remove(key: string): boolean {
    const pod = this.#pods.get(key);
    if (pod === undefined) return false;
    this.#pods.delete(key);
    if (pod.controllerUid !== null) removeFrom(this.#byController, pod.controllerUid, key);
    removeFrom(this.#byNamespace, pod.namespace, key);
    for (const [k, v] of Object.entries(pod.labels)) {
      removeFrom(this.#byLabel, pod.namespace + SEP + k + SEP + v, key);
      removeFrom(this.#byKey, pod.namespace + SEP + k, key);
    }
    return true;
  }

  /** Nodes of the pods matched by `rule`, one entry per peer, sorted; `selfKey` (the pod asking) is left out. */
  nodesFor(rule: PeerRule, selfKey: string): string[] {
    const out: string[] = [];
    if (rule.kind === 'controller') {
      for (const key of this.#byController.get(rule.uid) ?? []) {
        const p = this.#pods.get(key);
        if (p !== undefined && key !== selfKey && p.namespace === rule.namespace) out.push(p.node);
      }
    } else {
      for (const key of this.#candidates(rule.namespace, rule.selector.requirements)) {
        const p = this.#pods.get(key);
        if (p !== undefined && key !== selfKey && matchesSelector(rule.selector, p.labels)) out.push(p.node);
      }
    }
    return out.sort();
  }

  #candidates(
    namespace: string,
    requirements: Extract<PeerRule, { kind: 'selector' }>['selector']['requirements'],
  ): Iterable<string> {
    let best: string[] | null = null;
    let bestSize = Infinity;
    for (const r of requirements) {
      if (r.op !== 'in') continue;
      const lists = r.values.map((v) => this.#byLabel.get(namespace + SEP + r.key + SEP + v));
      const size = lists.reduce((n, l) => n + (l?.size ?? 0), 0);
      if (size < bestSize) {
        bestSize = size;
        best = lists.flatMap((l) => (l === undefined ? [] : [...l]));
      }
    }
    if (best !== null) return best;
    for (const r of requirements) if (r.op === 'exists') return this.#byKey.get(namespace + SEP + r.key) ?? [];
    return this.#byNamespace.get(namespace) ?? [];
  }
}
