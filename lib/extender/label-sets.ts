/**
 * One copy of each repeated label (or annotation) set, for the pod projection (pod.ts). The replicas of a
 * Deployment carry the same labels, and a set of ten labels is an object of about 120 bytes per pod, the largest
 * single part of a PodRecord: sharing it is worth more than all the string interning. Sets are found by a hash of
 * their entries and compared entry by entry, so two sets are shared only when they are equal.
 *
 * Bounded like the Interner: once `max` sets are held, new ones are kept as they are (correct, just not shared),
 * and a set stays in the table after its last pod is gone. A set that holds its pod's own name (a StatefulSet
 * pod's statefulset.kubernetes.io/pod-name) can never be shared and is not offered (PodProjector decides).
 */
type StringMap = Readonly<Record<string, string>>;

/** Two string maps with the same entries. */
export function sameStrings(a: StringMap, b: StringMap): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** FNV-1a over the entries in order, keys and values separated so that {ab: c} and {a: bc} differ. */
function hashOf(m: StringMap): number {
  let h = 0x811c9dc5;
  for (const k in m) {
    const v = m[k] ?? '';
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x3d, 0x01000193);
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x0a, 0x01000193);
  }
  return h >>> 0;
}

export class LabelSets {
  /** hash → the set, or the sets (rare: two different sets with one hash). */
  readonly #sets = new Map<number, StringMap | StringMap[]>();
  readonly #max: number;
  #count = 0;

  constructor(max = 50_000) {
    this.#max = max;
  }

  /** Sets held. */
  get size(): number {
    return this.#count;
  }

  /** The held set equal to `m`, else `m` itself (held from now on, frozen, while there is room). */
  share(m: StringMap): StringMap {
    const h = hashOf(m);
    const found = this.#sets.get(h);
    if (found !== undefined) {
      const list: readonly StringMap[] = Array.isArray(found) ? found : [found];
      for (const s of list) if (sameStrings(s, m)) return s;
    }
    if (this.#count >= this.#max) return m;
    Object.freeze(m);
    if (found === undefined) this.#sets.set(h, m);
    else this.#sets.set(h, Array.isArray(found) ? [...found, m] : [found, m]);
    this.#count++;
    return m;
  }
}
