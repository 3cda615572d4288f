/**
 * kube-scheduler calls prioritize right after filter, for the same pod, with the nodes filter let through (in the
 * order filter returned them when berth is the only filtering extender). Filter already computed every passing
 * node's score, so prioritize reuses them when nothing could have changed in between: same pod, same report-store
 * version, within a second, and the same node list. Otherwise it computes afresh. Either way the answer is what
 * a fresh computation over the same reports gives; reservations recorded in that second are the one input that
 * can differ, and filter's view of them is the one the pod was just judged by.
 */

export interface MemoKey {
  readonly podUid: string;
  readonly storeVersion: number;
  readonly nowMs: number;
}

const MAX_AGE_MS = 1000;

export class ScoreMemo {
  #key: MemoKey | null = null;
  #names: readonly string[] = [];
  #scores: readonly number[] = [];
  #slots: Int32Array = new Int32Array(0);

  /**
   * `slots`: the names' slots in the report store's table, valid while its version is the key's (a slot changes
   * hands only when a report comes or goes, which moves the version), so prioritize need not resolve the names.
   */
  remember(key: MemoKey, names: readonly string[], scores: readonly number[], slots: Int32Array): void {
    if (key.podUid === '') return;
    this.#key = key;
    this.#names = names;
    this.#scores = scores;
    this.#slots = slots;
  }

  /** The remembered scores and slots for exactly these names, or null. */
  recall(key: MemoKey, names: readonly string[]): { scores: readonly number[]; slots: Int32Array } | null {
    const k = this.#key;
    if (k === null || k.podUid !== key.podUid || k.storeVersion !== key.storeVersion) return null;
    if (key.nowMs < k.nowMs || key.nowMs - k.nowMs > MAX_AGE_MS || names.length !== this.#names.length) return null;
    for (let i = 0; i < names.length; i++) if (names[i] !== this.#names[i]) return null;
    this.#key = null; // one prioritize per filter
    return { scores: this.#scores, slots: this.#slots };
  }
}
