/**
 * A map of namespaced objects as namespace → name → value, so that no `namespace/name` string is kept per object:
 * at 150,000 pods a composed key costs about 56 bytes each (a "namespace/" prefix and a cons string over the
 * name), a ninth of what berth holds per pod, and the name is already held by the value. The informers still
 * speak in `namespace/name` keys (supervised-informer.ts reconciles a relist by key): keys() makes them on the
 * fly, and splitKey() reads them back.
 */

/** `namespace/name` → [namespace, name]; neither part can contain a slash (Kubernetes name rules). */
export function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return at < 0 ? ['', key] : [key.slice(0, at), key.slice(at + 1)];
}

export class NamespacedMap<T> {
  readonly #namespaces = new Map<string, Map<string, T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#namespaces.get(namespace)?.get(name);
  }

  set(namespace: string, name: string, value: T): void {
    let names = this.#namespaces.get(namespace);
    if (names === undefined) this.#namespaces.set(namespace, (names = new Map<string, T>()));
    const before = names.size;
    names.set(name, value);
    this.#size += names.size - before;
  }

  delete(namespace: string, name: string): boolean {
    const names = this.#namespaces.get(namespace);
    if (names?.delete(name) !== true) return false;
    this.#size--;
    if (names.size === 0) this.#namespaces.delete(namespace);
    return true;
  }

  /** The values of one namespace by name (empty namespaces are dropped, so undefined when it has none). */
  namespace(namespace: string): ReadonlyMap<string, T> | undefined {
    return this.#namespaces.get(namespace);
  }

  /** Every `namespace/name`, made as it goes (a relist's reconcile reads them once). */
  *keys(): IterableIterator<string> {
    for (const [namespace, names] of this.#namespaces) for (const name of names.keys()) yield `${namespace}/${name}`;
  }
}
