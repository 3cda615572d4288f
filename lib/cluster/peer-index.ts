/**
 * Where each bound pod runs, indexed so that a PeerRule (lib/extender/needs.ts) is answered without scanning every pod:
 *
 *   controller rule  → pods by controller uid, directly;
 *   selector rule    → candidates from the smallest posting list among the selector's `key in (…)` terms
 *                      (key → value), else the pods having its `key exists` terms' key, else the namespace's
 *                      pods; each candidate is then checked against the whole selector.
 *
 * Everything is per namespace (a rule never looks outside its pod's namespace), so a posting list holds pod
 * names, and the pods themselves are the caller's: the index looks them up by name in the caller's
 * namespace → name map (lib/cluster/namespaced.ts) instead of keeping a map of its own. The caller keeps the two in
 * step: a pod is indexed exactly while isPeer() holds for what the map has for it.
 *
 * A selector made only of negative terms (`!key`, `key notin (…)`) falls back to the namespace's pods: it matches
 * most of them anyway. Only bound, non-terminal pods are indexed: a pending pod has no node to measure against,
 * and a finished one no longer talks to anyone. Answers are sorted by node name so that replicas agree.
 *
 * Memory is per pod, at 150,000 pods: no copies of the pods, no composed keys, maps keyed by the pods' own
 * (shared) strings, and a posting list of one pod (a StatefulSet's pod-name label, a single claim) is that pod's
 * name, not a Set.
 */
import type { PeerRule } from '../extender/needs.ts';
import { matchesSelector } from '../core/selector.ts';
import { sameStrings } from '../extender/label-sets.ts';

export interface PeerPod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly controllerUid: string | null;
  readonly nodeName: string | null;
  /** Succeeded or Failed. */
  readonly terminal: boolean;
}

/** Whether the index holds the pod: bound and not finished. */
export function isPeer(p: PeerPod): boolean {
  return p.nodeName !== null && !p.terminal;
}

/** A posting list: one pod name, or a set of them. */
export type Posting = string | Set<string>;

export function addPosting<K>(index: Map<K, Posting>, k: K, pod: string): void {
  const p = index.get(k);
  if (p === undefined) index.set(k, pod);
  else if (typeof p === 'string') {
    if (p !== pod) index.set(k, new Set([p, pod]));
  } else p.add(pod);
}

export function removePosting<K>(index: Map<K, Posting>, k: K, pod: string): void {
  const p = index.get(k);
  if (p === undefined) return;
  if (typeof p === 'string') {
    if (p === pod) index.delete(k);
    return;
  }
  p.delete(pod);
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

/** One namespace's postings: controller uid → pods, label key → value → pods. */
interface Postings {
  readonly byController: Map<string, Posting>;
  readonly byLabel: Map<string, Map<string, Posting>>;
}

export class PeerIndex {
  readonly #pods: (namespace: string) => ReadonlyMap<string, PeerPod> | undefined;
  readonly #namespaces = new Map<string, Postings>();
  #size = 0;

  /** `pods`: the caller's pods of a namespace, by name (all of them: the index reads only the peers). */
  constructor(pods: (namespace: string) => ReadonlyMap<string, PeerPod> | undefined) {
    this.#pods = pods;
  }

  /** Pods indexed. */
  get size(): number {
    return this.#size;
  }

  /**
   * `pod` (a peer) is now what the caller's map holds under `name`; `was` is what it held before if that was
   * indexed. An unchanged pod (every relist sends them all again) touches no posting list.
   */
  upsert(name: string, pod: PeerPod, was: PeerPod | undefined): void {
    if (was !== undefined) {
      if (samePeer(was, pod)) return;
      this.remove(name, was);
    }
    let ns = this.#namespaces.get(pod.namespace);
    if (ns === undefined) this.#namespaces.set(pod.namespace, (ns = { byController: new Map(), byLabel: new Map() }));
    if (pod.controllerUid !== null) addPosting(ns.byController, pod.controllerUid, name);
    for (const [k, v] of Object.entries(pod.labels)) {
      let values = ns.byLabel.get(k);
      if (values === undefined) ns.byLabel.set(k, (values = new Map<string, Posting>()));
      addPosting(values, v, name);
    }
    this.#size++;
  }

  /** The pod `was`, indexed under `name`, is no longer a peer (or no longer there). */
  remove(name: string, was: PeerPod): void {
    this.#size--;
    const ns = this.#namespaces.get(was.namespace);
    if (ns === undefined) return;
    if (was.controllerUid !== null) removePosting(ns.byController, was.controllerUid, name);
    for (const [k, v] of Object.entries(was.labels)) {
      const values = ns.byLabel.get(k);
      if (values === undefined) continue;
      removePosting(values, v, name);
      if (values.size === 0) ns.byLabel.delete(k);
    }
    if (ns.byController.size === 0 && ns.byLabel.size === 0) this.#namespaces.delete(was.namespace);
  }

  /** Nodes of the pods matched by `rule`, one entry per peer, sorted; `self` (the pod asking) is left out. */
  nodesFor(rule: PeerRule, self: { readonly namespace: string; readonly name: string }): string[] {
    const out: string[] = [];
    const pods = this.#pods(rule.namespace);
    if (pods === undefined) return out;
    const ns = this.#namespaces.get(rule.namespace);
    const skip = rule.namespace === self.namespace ? self.name : null;
    const candidates =
      rule.kind === 'controller'
        ? postingKeys(ns?.byController.get(rule.uid))
        : this.#candidates(ns, pods, rule.selector.requirements);
    for (const name of candidates) {
      const p = pods.get(name);
      if (p === undefined || name === skip || !isPeer(p) || p.nodeName === null) continue;
      if (rule.kind === 'selector' && !matchesSelector(rule.selector, p.labels)) continue;
      out.push(p.nodeName);
    }
    return out.sort();
  }

  #candidates(
    ns: Postings | undefined,
    pods: ReadonlyMap<string, PeerPod>,
    requirements: Extract<PeerRule, { kind: 'selector' }>['selector']['requirements'],
  ): Iterable<string> {
    let best: string[] | null = null;
    let bestSize = Infinity;
    for (const r of requirements) {
      if (r.op !== 'in') continue;
      const values = ns?.byLabel.get(r.key);
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
      for (const p of ns?.byLabel.get(r.key)?.values() ?? []) out.push(...postingKeys(p));
      return out;
    }
    // Only negative terms: every pod of the namespace (nodesFor keeps the peers among them).
    return pods.keys();
  }
}
