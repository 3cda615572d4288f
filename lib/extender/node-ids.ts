/**
 * Small integers for node names. Peer round-trip times are looked up per candidate node and per peer on every
 * request; keyed by integer instead of by a 30-character name, those lookups stop dominating the hot path.
 */
export class NodeIds {
  readonly #ids = new Map<string, number>();

  id(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(name, id);
    }
    return id;
  }

  /** The id of a name seen before, or -1: request paths never grow the table. */
  lookup(name: string): number {
    return this.#ids.get(name) ?? -1;
  }
}
