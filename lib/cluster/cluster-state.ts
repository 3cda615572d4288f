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
  claimFacts,
  claimKey,
  claimVolumes,
  classFacts,
  isNvmeClaim,
  type ClaimFacts,
  type ClassFacts,
  type NvmeClassMatch,
} from './claim-volumes.ts';
import { Ledger, type LedgerOptions, type PlacementObserved } from './ledger.ts';
import { ANNOTATIONS, type PeerRule } from '../extender/needs.ts';
import { PeerIndex } from './peer-index.ts';
import { podFacts, type PodFacts } from '../extender/pod.ts';
import { isRecord } from '../core/check.ts';
import { parseQuantity } from '../core/units.ts';
import type { HostPriority } from '../extender/wire.ts';

interface PodEntry {
  readonly facts: PodFacts;
  readonly terminal: boolean;
}

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
  readonly #claims = new Map<string, ClaimFacts>();
  readonly #classes = new Map<string, ClassFacts>();
  readonly #pods = new Map<string, PodEntry>();
  readonly #podsByClaim = new Map<string, Set<string>>();
  readonly #peers = new PeerIndex();
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
      (k) => this.#claims.get(k),
      (n) => this.#classes.get(n),
      this.#match,
    );
  }

  /** A claim as the informers last showed it (the pod-routing webhook's first place to look). */
  knownClaim(namespace: string, name: string): ClaimFacts | undefined {
    return this.#claims.get(claimKey(namespace, name));
  }

  knownClass(name: string): ClassFacts | undefined {
    return this.#classes.get(name);
  }

  peerNodes(rule: PeerRule, pod: PodFacts): readonly string[] {
    return this.#peers.nodesFor(rule, `${pod.namespace}/${pod.name}`);
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

  // ---- informer events ----

  storageClass(obj: unknown): void {
    const c = classFacts(obj);
    if (c !== null) this.#classes.set(c.name, c);
  }

  storageClassGone(obj: unknown): void {
    const c = classFacts(obj);
    if (c !== null) this.#classes.delete(c.name);
  }

  /** `initial`: the object came from an informer's first LIST, before it synced. */
  claim(obj: unknown, nowMs: number, initial: boolean): void {
    const c = claimFacts(obj);
    if (c === null) return;
    const key = claimKey(c.namespace, c.name);
    const prev = this.#claims.get(key);
    this.#claims.set(key, c);
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
      for (const podKey of this.#podsByClaim.get(key) ?? [])
        this.#observe(this.#pods.get(podKey)?.facts.uid ?? '', c.selectedNode, nowMs);
    } else if (c.volumeName !== null) {
      this.ledger.confirm(ledgerKey, nowMs);
    }
  }

  claimGone(obj: unknown): void {
    const c = claimFacts(obj);
    if (c === null) return;
    const key = claimKey(c.namespace, c.name);
    this.#claims.delete(key);
    this.ledger.release(`pvc/${key}`, 'deleted');
  }

  pod(obj: unknown, nowMs: number, initial: boolean): void {
    if (!isRecord(obj)) return;
    const facts = podFacts(obj);
    const key = `${facts.namespace}/${facts.name}`;
    const phase = isRecord(obj['status']) ? obj['status']['phase'] : undefined;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const prev = this.#pods.get(key);
    this.#indexClaims(key, prev?.facts.claimNames ?? [], facts.claimNames, facts.namespace);
    this.#pods.set(key, { facts, terminal });
    if (terminal) {
      this.#unbind(key, facts);
      return;
    }
    if (facts.nodeName === null) {
      this.#peers.remove(key);
      return;
    }
    this.#peers.upsert({
      key,
      namespace: facts.namespace,
      labels: facts.labels,
      controllerUid: facts.controllerUid,
      node: facts.nodeName,
    });
    const newlyBound = prev === undefined ? !initial : prev.facts.nodeName === null;
    if (!newlyBound) return;
    this.#observe(facts.uid, facts.nodeName, nowMs);
    const annotated = this.#annotatedVolumes(facts);
    if (annotated !== null)
      this.ledger.reserve(
        {
          key: `pod/${key}`,
          owner: facts.uid,
          node: facts.nodeName,
          volumes: annotated,
          source: 'binding',
          provisioned: true,
        },
        nowMs,
      );
  }

  podGone(obj: unknown): void {
    if (!isRecord(obj)) return;
    const facts = podFacts(obj);
    const key = `${facts.namespace}/${facts.name}`;
    this.#indexClaims(key, this.#pods.get(key)?.facts.claimNames ?? [], [], facts.namespace);
    this.#pods.delete(key);
    this.#unbind(key, facts);
  }

  /** An accepted report: it may account for reservations provisioned before it was taken. */
  reportArrived(node: string, takenAt: string): void {
    const taken = Date.parse(takenAt);
    if (!Number.isNaN(taken)) this.ledger.reportArrived(node, taken);
  }

  // ---- internals ----

  #unbind(key: string, facts: PodFacts): void {
    this.#peers.remove(key);
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
      const c = this.#claims.get(claimKey(facts.namespace, name));
      if (c !== undefined && isNvmeClaim(c, (n) => this.#classes.get(n), this.#match)) return null;
    }
    const bytes = parseQuantity(text);
    return bytes !== null && bytes > 0 ? [bytes] : null;
  }

  #indexClaims(podKey: string, before: readonly string[], after: readonly string[], namespace: string): void {
    if (before === after) return;
    for (const name of before) {
      const set = this.#podsByClaim.get(claimKey(namespace, name));
      set?.delete(podKey);
      if (set?.size === 0) this.#podsByClaim.delete(claimKey(namespace, name));
    }
    for (const name of after) {
      const k = claimKey(namespace, name);
      let set = this.#podsByClaim.get(k);
      if (set === undefined) this.#podsByClaim.set(k, (set = new Set()));
      set.add(podKey);
    }
  }
}
