/**
 * The reservation ledger: NVMe that berth knows is being (or was just) allocated on a node but that the node's
 * report does not show yet. kube-scheduler never tells an extender which node it chose (docs/protocol.md),
 * so the ledger is fed from what the API shows, earliest first:
 *
 *   provisional   berth's own prioritize answer: the pod's volumes on the node(s) berth scored best. Held only
 *                 until the real placement is observed (or `provisionalTtlMs`), because the scheduler may pick
 *                 another node; it closes most of the gap between one pod's prioritize and the next pod's filter.
 *   selected-node the PVC annotation volume.kubernetes.io/selected-node, written by VolumeBinding at PreBind.
 *   binding       spec.nodeName of a pod whose NVMe need comes from its annotation rather than from PVCs.
 *
 * Lifecycle of a real (non-provisional) reservation, all with `now` passed in:
 *
 *   reserve ──▶ pending ──confirm (PVC bound: the volume exists)──▶ provisioned ──report──▶ released
 *                  │                                                   │
 *                  └──────────── ttl since reserve / since confirm ────┴──▶ released (ttl)
 *   release(key) at any point: the PVC or pod was deleted, or the annotation was removed.
 *
 * "A newer report accounts for it" precisely: a report of the same node whose takenAt (agent clock) is later than
 * provisionedAt (berth's clock when it saw the claim bound) plus `clockSkewMs`. berth saw the binding after the
 * provisioner allocated, so such a report was measured after the allocation unless the agent's clock runs ahead of
 * berth's by more than `clockSkewMs`. A pending reservation is never released by a report: nothing is allocated yet.
 *
 * Pure and deterministic: no clock, no I/O. reserved(node) is answered from a per-node array kept up to date by
 * the transitions, so the request path neither allocates nor scans.
 */

export type ReservationSource = 'provisional' | 'selected-node' | 'binding';
export type ReleaseReason = 'report' | 'ttl' | 'deleted' | 'unselected' | 'moved';
export const RELEASE_REASONS: readonly ReleaseReason[] = ['report', 'ttl', 'deleted', 'unselected', 'moved'];
/** How a pod's provisional hold ended: its real placement seen on a held node (hit) or elsewhere (miss), or not seen. */
export type ProvisionalOutcome = 'hit' | 'miss' | 'expired' | 'replaced' | 'deleted';
export const PROVISIONAL_OUTCOMES: readonly ProvisionalOutcome[] = ['hit', 'miss', 'expired', 'replaced', 'deleted'];

export interface Reservation {
  readonly key: string;
  /** The pod the reservation is for (uid); provisional entries of a pod are dropped when its placement is seen. */
  readonly owner: string;
  readonly node: string;
  /** Volume sizes in bytes; each must fit in one pool (lib/extender/placement.ts). */
  readonly volumes: readonly number[];
  readonly source: ReservationSource;
  readonly reservedAtMs: number;
  /** When berth saw the volume exist (claim bound); null while pending. */
  readonly provisionedAtMs: number | null;
  readonly expiresAtMs: number;
}

export interface LedgerOptions {
  readonly ttlMs: number;
  readonly provisionalTtlMs: number;
  readonly clockSkewMs: number;
}

export interface Released {
  readonly reservation: Reservation;
  readonly reason: ReleaseReason;
}

/** What became of a pod's provisional reservation once its real placement was seen: the race-window numbers. */
export interface PlacementObserved {
  readonly owner: string;
  /** The node the pod actually went to, and whether berth had held room there. */
  readonly node: string;
  readonly hit: boolean;
  /** Time from berth's prioritize answer to the placement being observed: the window the provisional entry covered. */
  readonly windowMs: number;
}

export interface LedgerStats {
  readonly reserved: Readonly<Record<ReservationSource, number>>;
  readonly released: Readonly<Record<ReleaseReason, number>>;
  readonly provisional: Readonly<Record<ProvisionalOutcome, number>>;
  readonly inFlight: number;
  readonly maxInFlight: number;
}

const NONE: readonly number[] = Object.freeze([]);

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

export class Ledger {
  readonly #opts: LedgerOptions;
  readonly #byKey = new Map<string, Reservation>();
  readonly #byNode = new Map<string, Set<string>>();
  readonly #volumesByNode = new Map<string, readonly number[]>();
  readonly #provisionalByOwner = new Map<string, Set<string>>();
  readonly #reservedCount = zeroCounts<ReservationSource>(['provisional', 'selected-node', 'binding']);
  readonly #releasedCount = zeroCounts<ReleaseReason>(RELEASE_REASONS);
  readonly #provisionalCount = zeroCounts<ProvisionalOutcome>(PROVISIONAL_OUTCOMES);
  #inFlight = 0;
  #maxInFlight = 0;

  constructor(opts: LedgerOptions) {
    this.#opts = opts;
  }

  /** Volumes held on the node, for placement; the same array until the node's entries change. */
  reserved(node: string): readonly number[] {
    return this.#volumesByNode.get(node) ?? NONE;
  }

  /** Every node with reserved volumes; the map is live (kept up to date by the transitions), not a copy. */
  reservations(): ReadonlyMap<string, readonly number[]> {
    return this.#volumesByNode;
  }

  get(key: string): Reservation | undefined {
    return this.#byKey.get(key);
  }

  entries(): IterableIterator<Reservation> {
    return this.#byKey.values();
  }

  /** Real (non-provisional) reservations: what any replica rebuilds from the API alone. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts since start. A provisional hold counts once per pod, however many tied nodes it covered. */
  stats(): LedgerStats {
    return {
      reserved: { ...this.#reservedCount },
      released: { ...this.#releasedCount },
      provisional: { ...this.#provisionalCount },
      inFlight: this.#inFlight,
      maxInFlight: this.#maxInFlight,
    };
  }

  /**
   * Holds `volumes` on `node` under `key` (a claim or a pod). The same key on the same node only refreshes the
   * volumes; on another node the old entry is released as 'moved'. Returns what was released.
   */
  reserve(
    input: {
      key: string;
      owner: string;
      node: string;
      volumes: readonly number[];
      source: Exclude<ReservationSource, 'provisional'>;
      provisioned?: boolean;
    },
    nowMs: number,
  ): Released[] {
    const old = this.#byKey.get(input.key);
    if (old !== undefined && old.node === input.node) {
      this.#put({ ...old, volumes: input.volumes });
      return [];
    }
    const released = old === undefined ? [] : [this.#release(old, 'moved')];
    const provisionedAtMs = input.provisioned === true ? nowMs : null;
    this.#put({
      key: input.key,
      owner: input.owner,
      node: input.node,
      volumes: input.volumes,
      source: input.source,
      reservedAtMs: nowMs,
      provisionedAtMs,
      expiresAtMs: nowMs + this.#opts.ttlMs,
    });
    this.#reservedCount[input.source]++;
    return released;
  }

  /** The claim's volume now exists: from here a newer report can account for it, and the TTL restarts. */
  confirm(key: string, nowMs: number): boolean {
    const r = this.#byKey.get(key);
    if (r === undefined || r.source === 'provisional' || r.provisionedAtMs !== null) return false;
    this.#put({ ...r, provisionedAtMs: nowMs, expiresAtMs: nowMs + this.#opts.ttlMs });
    return true;
  }

  /**
   * Holds the pod's volumes on each of `nodes` until its real placement is seen. Replaces the pod's previous
   * provisional entries (a retried pod is prioritized again).
   */
  provisional(owner: string, nodes: readonly string[], volumes: readonly number[], nowMs: number): void {
    this.#dropProvisional(owner, 'replaced');
    if (nodes.length === 0 || volumes.length === 0) return;
    const keys = new Set<string>();
    for (const node of nodes) {
      const key = `provisional/${owner}/${node}`;
      keys.add(key);
      this.#put({
        key,
        owner,
        node,
        volumes,
        source: 'provisional',
        reservedAtMs: nowMs,
        provisionedAtMs: null,
        expiresAtMs: nowMs + this.#opts.provisionalTtlMs,
      });
    }
    this.#provisionalByOwner.set(owner, keys);
    this.#reservedCount.provisional++;
  }

  /**
   * The pod's real placement was observed (selected-node or binding): its provisional entries go. Returns how the
   * provisional guess compared, or null when the pod had none (prioritize went to another replica, or none ran).
   */
  placed(owner: string, node: string, nowMs: number): PlacementObserved | null {
    const keys = this.#provisionalByOwner.get(owner);
    if (keys === undefined) return null;
    let hit = false;
    let since = nowMs;
    for (const key of keys) {
      const r = this.#byKey.get(key);
      if (r === undefined) continue;
      hit ||= r.node === node;
      since = Math.min(since, r.reservedAtMs);
    }
    this.#dropProvisional(owner, hit ? 'hit' : 'miss');
    return { owner, node, hit, windowMs: nowMs - since };
  }

  /** The pod's hold is void: it went away ('deleted'), or is being scheduled again ('replaced'). */
  forgetOwner(owner: string, outcome: 'deleted' | 'replaced'): void {
    this.#dropProvisional(owner, outcome);
  }

  release(key: string, reason: ReleaseReason): Released | null {
    const r = this.#byKey.get(key);
    return r === undefined || r.source === 'provisional' ? null : this.#release(r, reason);
  }

  /** A report of `node` measured at `takenAtMs` (agent clock) arrived: it accounts for what was provisioned before. */
  reportArrived(node: string, takenAtMs: number): Released[] {
    const keys = this.#byNode.get(node);
    if (keys === undefined) return [];
    const due: Reservation[] = [];
    for (const key of keys) {
      const r = this.#byKey.get(key);
      if (r !== undefined && r.provisionedAtMs !== null && takenAtMs > r.provisionedAtMs + this.#opts.clockSkewMs)
        due.push(r);
    }
    return due.map((r) => this.#release(r, 'report'));
  }

  /** Drops everything whose TTL has passed. Called from a timer; the request path never expires anything. */
  expire(nowMs: number): Released[] {
    const out: Released[] = [];
    const owners = new Set<string>();
    for (const r of [...this.#byKey.values()]) {
      if (r.expiresAtMs > nowMs) continue;
      if (r.source === 'provisional') owners.add(r.owner);
      else out.push(this.#release(r, 'ttl'));
    }
    // A pod's provisional entries share one expiry, so they go together.
    for (const owner of owners) this.#dropProvisional(owner, 'expired');
    return out;
  }

  #put(r: Reservation): void {
    const old = this.#byKey.get(r.key);
    this.#byKey.set(r.key, r);
    if (old === undefined && r.source !== 'provisional') {
      this.#inFlight++;
      this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    }
    let keys = this.#byNode.get(r.node);
    if (keys === undefined) this.#byNode.set(r.node, (keys = new Set()));
    keys.add(r.key);
    if (old?.volumes !== r.volumes) this.#rebuild(r.node);
  }

  #release(r: Reservation, reason: ReleaseReason): Released {
    this.#drop(r);
    this.#releasedCount[reason]++;
    return { reservation: r, reason };
  }

  #drop(r: Reservation): void {
    this.#byKey.delete(r.key);
    if (r.source !== 'provisional') this.#inFlight--;
    const keys = this.#byNode.get(r.node);
    keys?.delete(r.key);
    if (keys?.size === 0) this.#byNode.delete(r.node);
    this.#rebuild(r.node);
  }

  #dropProvisional(owner: string, outcome: ProvisionalOutcome): void {
    const keys = this.#provisionalByOwner.get(owner);
    if (keys === undefined) return;
    this.#provisionalByOwner.delete(owner);
    for (const key of keys) {
      const r = this.#byKey.get(key);
      if (r !== undefined) this.#drop(r);
    }
    this.#provisionalCount[outcome]++;
  }

  #rebuild(node: string): void {
    const keys = this.#byNode.get(node);
    if (keys === undefined) {
      this.#volumesByNode.delete(node);
      return;
    }
    const volumes: number[] = [];
    for (const key of keys) for (const v of this.#byKey.get(key)?.volumes ?? NONE) volumes.push(v);
    this.#volumesByNode.set(node, volumes);
  }
}
