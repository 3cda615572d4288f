/**
 * What the extender knows of the cluster besides reports, kept from informer events: claims, StorageClasses and
 * pods, the peer index over bound pods, and the reservation ledger fed from the transitions that show a placement.
 * Pure: events and `now` come in, nothing goes out but answers. server/kube wires it to the informers.
 *
 * Which events reserve (lib/cluster/ledger.ts has the lifecycle):
 *   - a local-NVMe claim gains volume.kubernetes.io/selected-node → reserve its request on that node (pending);
 *     it becomes bound (spec.volumeName) → confirm; the annotation goes away → release 'unselected';
 *   - a pod gains spec.nodeName and its NVMe need comes from the berth.io/nvme-capacity annotation (no local-NVMe
 *     claims) → reserve it on that node, provisioned at once (nothing else will say when it is used);
 *   - either observation ends the pod's provisional hold and is timed against it (the race-window numbers).
 * Objects already placed when first seen during an informer's initial list are not reserved: they were placed
 * before this replica started, and the node's report is assumed to include them (docs/kubernetes.md, restarts).
 */
import {
  claimKey,
  claimVolumes,
  isNvmeClaim,
  type ClaimFacts,
  type ClassFacts,
  type NvmeClassMatch,
} from './claim-volumes.ts';
import { Ledger, type LedgerOptions, type PlacementObserved } from './ledger.ts';
import { ANNOTATIONS, type PeerRule } from '../extender/needs.ts';
import { NamespacedMap, splitKey } from './namespaced.ts';
import { PeerIndex, addPosting, isPeer, postingKeys, removePosting, type Posting } from './peer-index.ts';
import { samePodRecord, type PodFacts, type PodRecord } from '../extender/pod.ts';
import { parseQuantity } from '../core/units.ts';
import type { HostPriority } from '../extender/wire.ts';

export interface RaceStats {
  /** Placements observed for pods that had a provisional hold: on a held node, or elsewhere. */
  readonly hits: number;
  readonly misses: number;
  /** Placements observed for pods this replica never prioritized (or that had no NVMe need). */
  readonly unheld: number;
  /** prioritize answer → placement observed, for held pods: the window a hold had to cover. */
  readonly windowsMs: readonly number[];
}

const MAX_WINDOW_SAMPLES = 10_000;

export class ClusterState {
  readonly ledger: Ledger;
  readonly #match: NvmeClassMatch;
  readonly #provisionalOn: boolean;
  // Namespaced objects are kept namespace → name → value, not under `namespace/name` keys (namespaced.ts).
  readonly #claims = new NamespacedMap<ClaimFacts>();
  readonly #classes = new Map<string, ClassFacts>();
  readonly #pods = new NamespacedMap<PodRecord>();
  /** namespace → claim name → the pods (names) mounting it. */
  readonly #podsByClaim = new Map<string, Map<string, Posting>>();
  readonly #peers = new PeerIndex((namespace) => this.#pods.namespace(namespace));
  readonly #windows: number[] = [];
  #hits = 0;
  #misses = 0;
  #unheld = 0;

  constructor(opts: { match: NvmeClassMatch; ledger: LedgerOptions }) {
    this.#match = opts.match;
    this.#provisionalOn = opts.ledger.provisionalTtlMs > 0;
    this.ledger = new Ledger(opts.ledger);
  }

  // ---- reads for the request path: map lookups only ----

  /** Sizes of the pod's unbound, unplaced local-NVMe claims. */
  claimVolumes(pod: PodFacts): readonly number[] {
    return claimVolumes(
      pod.namespace,
      pod.claimNames,
      (namespace, name) => this.#claims.get(namespace, name),
      (n) => this.#classes.get(n),
      this.#match,
    );
  }

  /** A claim as the informers last showed it (the pod-routing webhook's first place to look). */
  knownClaim(namespace: string, name: string): ClaimFacts | undefined {
    return this.#claims.get(namespace, name);
  }

  knownClass(name: string): ClassFacts | undefined {
    return this.#classes.get(name);
  }

  peerNodes(rule: PeerRule, pod: PodFacts): readonly string[] {
    return this.#peers.nodesFor(rule, pod);
  }

  reserved(node: string): readonly number[] {
    return this.ledger.reserved(node);
  }

  reservations(): ReadonlyMap<string, readonly number[]> {
    return this.ledger.reservations();
  }

  /**
   * kube-scheduler is judging the pod again (filter or prioritize): it has no placement yet, so whatever this
   * replica held for its last attempt is void, and left in place it would count against the pod itself.
   * Explain does not call this: looking at a pod must not change what is held for it.
   */
  attempt(pod: PodFacts): void {
    if (pod.uid !== '') this.ledger.forgetOwner(pod.uid, 'replaced');
  }

  /** berth's prioritize answer for a pod: hold its volumes on the best-scored node(s) until the placement shows. */
  scored(pod: PodFacts, volumes: readonly number[], scores: readonly HostPriority[], nowMs: number): void {
    if (!this.#provisionalOn || pod.uid === '' || volumes.length === 0 || scores.length === 0) return;
    let best = -1;
    for (const s of scores) best = Math.max(best, s.Score);
    const nodes = scores.filter((s) => s.Score === best).map((s) => s.Host);
    this.ledger.provisional(pod.uid, nodes, volumes, nowMs);
  }

  /**
   * berth's filter answer for a pod. With exactly one node left kube-scheduler does not call prioritize: it takes
   * that node, so the hold goes there now. With more, prioritize follows and holds on the best.
   */
  filtered(pod: PodFacts, volumes: readonly number[], passed: readonly string[], nowMs: number): void {
    if (!this.#provisionalOn || pod.uid === '' || volumes.length === 0 || passed.length !== 1) return;
    this.ledger.provisional(pod.uid, passed, volumes, nowMs);
  }

  raceStats(): RaceStats {
    return { hits: this.#hits, misses: this.#misses, unheld: this.#unheld, windowsMs: [...this.#windows] };
  }

  // ---- informer events: projections in (lib/extender/pod.ts, claim-volumes.ts), one map per resource ----

  storageClass(c: ClassFacts): void {
    this.#classes.set(c.name, c);
  }

  storageClassGone(name: string): void {
    this.#classes.delete(name);
  }

  /** `initial`: the object came from an informer's first LIST, before it synced. */
  claim(c: ClaimFacts, nowMs: number, initial: boolean): void {
    const prev = this.#claims.get(c.namespace, c.name);
    this.#claims.set(c.namespace, c.name, c);
    const key = claimKey(c.namespace, c.name);
    const ledgerKey = `pvc/${key}`;
    const held = this.ledger.get(ledgerKey);
    if (
      c.selectedNode === null ||
      c.requestBytes === null ||
      !isNvmeClaim(c, (n) => this.#classes.get(n), this.#match)
    ) {
      if (held !== undefined) this.ledger.release(ledgerKey, 'unselected');
      return;
    }
    const newlySeenPlaced = prev === undefined ? !initial : prev.selectedNode !== c.selectedNode;
    if (held === undefined && c.volumeName !== null && !newlySeenPlaced) return; // placed and bound before we looked
    if (held === undefined || held.node !== c.selectedNode || held.volumes[0] !== c.requestBytes) {
      this.ledger.reserve(
        {
          key: ledgerKey,
          owner: key,
          node: c.selectedNode,
          volumes: [c.requestBytes],
          source: 'selected-node',
          provisioned: c.volumeName !== null,
        },
        nowMs,
      );
      for (const pod of postingKeys(this.#podsByClaim.get(c.namespace)?.get(c.name)))
        this.#observe(this.#pods.get(c.namespace, pod)?.uid ?? '', c.selectedNode, nowMs);
    } else if (c.volumeName !== null) {
      this.ledger.confirm(ledgerKey, nowMs);
    }
  }

  /** `key` is namespace/name. */
  claimGone(key: string): void {
    const [namespace, name] = splitKey(key);
    this.#claims.delete(namespace, name);
    this.ledger.release(`pvc/${key}`, 'deleted');
  }

  pod(rec: PodRecord, nowMs: number, initial: boolean): void {
    const { namespace, name } = rec;
    const prev = this.#pods.get(namespace, name);
    // Unchanged (a relist, a resync): keep what is held, so the relist leaves nothing behind twice.
    if (prev !== undefined && samePodRecord(prev, rec)) return;
    this.#indexClaims(namespace, name, prev?.claimNames ?? [], rec.claimNames);
    this.#pods.set(namespace, name, rec);
    const was = prev !== undefined && isPeer(prev) ? prev : undefined;
    if (isPeer(rec)) this.#peers.upsert(name, rec, was);
    else if (was !== undefined) this.#peers.remove(name, was);
    if (rec.terminal) {
      this.#release(`${namespace}/${name}`, rec);
      return;
    }
    if (rec.nodeName === null) return;
    const newlyBound = prev === undefined ? !initial : prev.nodeName === null;
    if (!newlyBound) return;
    this.#observe(rec.uid, rec.nodeName, nowMs);
    const annotated = this.#annotatedVolumes(rec);
    if (annotated !== null)
      this.ledger.reserve(
        {
          key: `pod/${namespace}/${name}`,
          owner: rec.uid,
          node: rec.nodeName,
          volumes: annotated,
          source: 'binding',
          provisioned: true,
        },
        nowMs,
      );
  }

  /**
   * The pod is gone (deleted, or finished and so out of the informer's field selector). `last` is its final state
   * when the API server sent one; otherwise what this state last held is used.
   */
  podGone(key: string, last: PodFacts | null = null): void {
    const [namespace, name] = splitKey(key);
    const held = this.#pods.get(namespace, name);
    const facts = held ?? last;
    if (facts === null) return;
    this.#indexClaims(namespace, name, facts.claimNames, []);
    if (held !== undefined) {
      this.#pods.delete(namespace, name);
      if (isPeer(held)) this.#peers.remove(name, held);
    }
    this.#release(key, facts);
  }

  /** What each informer's relist compares the new LIST with, to find what was deleted unseen (made as read). */
  podKeys(): IterableIterator<string> {
    return this.#pods.keys();
  }

  claimKeys(): IterableIterator<string> {
    return this.#claims.keys();
  }

  classKeys(): IterableIterator<string> {
    return this.#classes.keys();
  }

  get podCount(): number {
    return this.#pods.size;
  }

  get claimCount(): number {
    return this.#claims.size;
  }

  get classCount(): number {
    return this.#classes.size;
  }

  /** An accepted report: it may account for reservations provisioned before it was taken. */
  reportArrived(node: string, takenAt: string): void {
    const taken = Date.parse(takenAt);
    if (!Number.isNaN(taken)) this.ledger.reportArrived(node, taken);
  }

  // ---- internals ----

  /** The pod no longer runs: what the ledger holds for it goes. */
  #release(key: string, facts: PodFacts): void {
    this.ledger.release(`pod/${key}`, 'deleted');
    if (facts.uid !== '') this.ledger.forgetOwner(facts.uid, 'deleted');
  }

  #observe(owner: string, node: string, nowMs: number): void {
    const seen: PlacementObserved | null = owner === '' ? null : this.ledger.placed(owner, node, nowMs);
    if (seen === null) {
      this.#unheld++;
      return;
    }
    if (seen.hit) this.#hits++;
    else this.#misses++;
    if (this.#windows.length < MAX_WINDOW_SAMPLES) this.#windows.push(seen.windowMs);
  }

  /** The berth.io/nvme-capacity volume of a pod that has no local-NVMe claim of its own, else null. */
  #annotatedVolumes(facts: PodFacts): number[] | null {
    const text = facts.annotations[ANNOTATIONS.nvmeCapacity];
    if (text === undefined) return null;
    for (const name of facts.claimNames) {
      const c = this.#claims.get(facts.namespace, name);
      if (c !== undefined && isNvmeClaim(c, (n) => this.#classes.get(n), this.#match)) return null;
    }
    const bytes = parseQuantity(text);
    return bytes !== null && bytes > 0 ? [bytes] : null;
  }

  #indexClaims(namespace: string, pod: string, before: readonly string[], after: readonly string[]): void {
    if (before.length === after.length && before.every((claim, i) => claim === after[i])) return;
    let claims = this.#podsByClaim.get(namespace);
    for (const claim of before) if (claims !== undefined) removePosting(claims, claim, pod);
    if (after.length > 0 && claims === undefined)
      this.#podsByClaim.set(namespace, (claims = new Map<string, Posting>()));
    for (const claim of after) if (claims !== undefined) addPosting(claims, claim, pod);
    if (claims?.size === 0) this.#podsByClaim.delete(namespace);
  }
}
