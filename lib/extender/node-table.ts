/**
 * Every node name berth holds anything about, as a small integer (a slot), with the figures the request path
 * reads kept in typed columns indexed by slot. A filter over 5,000 candidates then reads a few contiguous arrays
 * instead of chasing one object per node, and a peer's round-trip time is found by slot, not by name.
 *
 * A name holds a slot while something live refers to it: its own report, or another report that measured it as
 * a peer. References are counted; when the last goes, the slot is freed and reused, so a cluster whose agents
 * keep meeting new peers does not grow the table (only what live reports mention is kept).
 *
 * Names arrive in requests as freshly parsed strings. kube-scheduler sends the same candidates in the same order
 * from call to call (rotated, or with the nodes another filter removed), so `resolve` first tries the slot that
 * followed the previous name last time and confirms it with a string comparison; only a miss costs a Map lookup.
 */

/** How a node's pod-traffic link is known: no NIC, a NIC without a speed, or a speed. */
export const LINK_NONE = 0;
export const LINK_SPEED_UNKNOWN = 1;
export const LINK_KNOWN = 2;

const INITIAL_CAPACITY = 64;

/**
 * How an entry of prioritize's answer begins: `{"Host":"<name>","Score":`. Kept flat (a rope would be re-walked
 * on every answer), so the answer is one join of these prefixes and per-score suffixes (wire.ts).
 */
export function hostPrefix(name: string): string {
  const prefix = `{"Host":${JSON.stringify(name)},"Score":`;
  prefix.charCodeAt(0); // flattens the concatenation once, here, instead of on every answer
  return prefix;
}

export class NodeTable {
  readonly #slotOf = new Map<string, number>();
  readonly #free: number[] = [];
  #names: string[] = [];
  /** The name as prioritize's answer starts its entry (wire.ts hostPrefix), made once per name. */
  #hostPrefixes: string[] = [];
  #refs = new Int32Array(INITIAL_CAPACITY);
  #successor = new Int32Array(INITIAL_CAPACITY).fill(-1);
  #size = 0;
  /** When berth received the slot's report (ms); NaN: no report. */
  receivedAtMs = new Float64Array(INITIAL_CAPACITY).fill(Number.NaN);
  nvmeCapacity = new Float64Array(INITIAL_CAPACITY);
  nvmeFree = new Float64Array(INITIAL_CAPACITY);
  /** Free bytes of the node's largest NVMe pool: one volume fits iff it fits there. */
  topPoolFree = new Float64Array(INITIAL_CAPACITY);
  nvmePools = new Uint8Array(INITIAL_CAPACITY);
  linkState = new Uint8Array(INITIAL_CAPACITY);
  linkSpeed = new Float64Array(INITIAL_CAPACITY);
  linkLoad = new Float64Array(INITIAL_CAPACITY);

  /** Slots in use (named), including names known only as someone's peer. */
  get names(): number {
    return this.#slotOf.size;
  }

  /** Highest slot + 1: arrays indexed by slot need this length. */
  get capacity(): number {
    return this.#names.length;
  }

  slot(name: string): number {
    return this.#slotOf.get(name) ?? -1;
  }

  name(slot: number): string {
    return this.#names[slot] ?? '';
  }

  /** Made on first use: most names are only ever some report's peer and never a candidate. */
  hostPrefix(slot: number): string {
    let prefix = this.#hostPrefixes[slot] ?? '';
    if (prefix === '' && slot >= 0 && slot < this.#names.length)
      this.#hostPrefixes[slot] = prefix = hostPrefix(this.#names[slot] ?? '');
    return prefix;
  }

  hasReport(slot: number): boolean {
    return slot >= 0 && !Number.isNaN(this.receivedAtMs[slot] ?? Number.NaN);
  }

  /** Takes a reference on `name`, giving it a slot if it has none. */
  acquire(name: string): number {
    let slot = this.#slotOf.get(name);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#grow();
      this.#slotOf.set(name, slot);
      this.#names[slot] = name;
    }
    this.#refs[slot] = (this.#refs[slot] ?? 0) + 1;
    return slot;
  }

  /** Drops a reference; the last one frees the slot for another name. */
  release(slot: number): void {
    const left = (this.#refs[slot] ?? 0) - 1;
    this.#refs[slot] = left;
    if (left > 0) return;
    this.#slotOf.delete(this.#names[slot] ?? '');
    this.#names[slot] = '';
    this.#hostPrefixes[slot] = '';
    this.#successor[slot] = -1;
    this.clearColumns(slot);
    this.#free.push(slot);
  }

  clearColumns(slot: number): void {
    this.receivedAtMs[slot] = Number.NaN;
    this.nvmeCapacity[slot] = 0;
    this.nvmeFree[slot] = 0;
    this.topPoolFree[slot] = 0;
    this.nvmePools[slot] = 0;
    this.linkState[slot] = LINK_NONE;
    this.linkSpeed[slot] = 0;
    this.linkLoad[slot] = 0;
  }

  /**
   * Writes the slot of each name into `out` (-1 for a name berth holds nothing about). Linear in the names; a name
   * that follows the same name as last time costs one string comparison.
   */
  resolve(names: readonly string[], out: Int32Array): void {
    const known = this.#names;
    const successor = this.#successor;
    let previous = -1;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] ?? '';
      let slot = previous >= 0 ? (successor[previous] ?? -1) : -1;
      if (slot < 0 || known[slot] !== name) {
        slot = this.#slotOf.get(name) ?? -1;
        if (previous >= 0 && slot >= 0) successor[previous] = slot;
      }
      out[i] = slot;
      if (slot >= 0) previous = slot;
    }
  }

  #grow(): number {
    const slot = this.#size++;
    if (slot >= this.#refs.length) this.#resize(this.#refs.length * 2);
    this.#names.push('');
    this.#hostPrefixes.push('');
    return slot;
  }

  #resize(length: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, fill: number): T => {
      const next = new (a.constructor as new (n: number) => T)(length);
      next.fill(fill);
      next.set(a);
      return next;
    };
    this.#refs = grow(this.#refs, 0);
    this.#successor = grow(this.#successor, -1);
    this.receivedAtMs = grow(this.receivedAtMs, Number.NaN);
    this.nvmeCapacity = grow(this.nvmeCapacity, 0);
    this.nvmeFree = grow(this.nvmeFree, 0);
    this.topPoolFree = grow(this.topPoolFree, 0);
    this.nvmePools = grow(this.nvmePools, 0);
    this.linkState = grow(this.linkState, LINK_NONE);
    this.linkSpeed = grow(this.linkSpeed, 0);
    this.linkLoad = grow(this.linkLoad, 0);
  }
}
