/**
 * A fake Kubernetes API server on loopback, for what a real one cannot be made to do on cue: fail one watch with a
 * 500, answer a page with 410 Expired, end every watch with "too old resource version", send a bookmark now. It
 * serves LIST (with limit/continue over a snapshot taken at the first page, and `status.phase!=` field selectors)
 * and WATCH (events after a resourceVersion, then live ones) for any collection path, in JSON, or in protobuf for
 * items that carry protobuf bytes (recorded from a real API server). Used by test/server/kube and by the scale
 * benchmark's replay server; everything real-server-specific is covered against kube-apiserver in test/e2e/kube.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { once } from 'node:events';
import { encodeListPage, encodeWatchFrame, PROTOBUF } from './proto-encode.ts';
import { goneStatus, jsonListPage, phaseSelector, sendStatus } from './fake-wire.ts';

export interface FakeItem {
  readonly key: string;
  readonly rv: number;
  readonly json: Buffer;
  /** The object's protobuf message bytes (a Pod, not wrapped), when the collection is served as protobuf. */
  readonly proto: Buffer | null;
  readonly phase: string | null;
}

interface Collection {
  readonly items: Map<string, FakeItem>;
  /** Items without protobuf bytes: while any, the collection is served as JSON. */
  jsonOnly: number;
  readonly events: { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; item: FakeItem }[];
  readonly listKind: string;
  readonly apiVersion: string;
  readonly kind: string;
}

interface Snapshot {
  readonly items: readonly FakeItem[];
  readonly rv: number;
}

interface Watcher {
  readonly path: string;
  readonly res: ServerResponse;
  readonly proto: boolean;
  readonly bookmarks: boolean;
  sentRv: number;
}

export interface RequestRecord {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accept: string;
}

export class FakeApiServer {
  readonly #server: Server;
  readonly #collections = new Map<string, Collection>();
  readonly #snapshots = new Map<number, Snapshot>();
  readonly #watchers = new Set<Watcher>();
  readonly requests: RequestRecord[] = [];
  /** Status codes to answer the next LIST or WATCH requests with, in order. */
  readonly failLists: number[] = [];
  readonly failWatches: number[] = [];
  /** Bytes per write when streaming a page; small values spread an item across many TCP chunks. */
  chunkBytes = 64 * 1024;
  /** When set, continue tokens expire after this many more pages have been served (a compaction mid-list). */
  expireAfterPages: number | null = null;
  #rv = 100;
  #compactedRv = 0;
  #snapshotIds = 0;
  url = '';

  private constructor(tls: { key: Buffer; cert: Buffer } | null) {
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res);
    };
    this.#server = tls === null ? createServer(handle) : createTlsServer(tls, handle);
  }

  /** On loopback; over TLS with `tls` (a serving certificate for 127.0.0.1), else plain HTTP. */
  static async start(opts: { tls?: { key: Buffer; cert: Buffer }; port?: number } = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(opts.tls ?? null);
    fake.#server.listen(opts.port ?? 0, '127.0.0.1');
    await once(fake.#server, 'listening');
    const address = fake.#server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    fake.url = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
    return fake;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  collection(path: string, kinds: { apiVersion: string; kind: string }): void {
    if (this.#collections.has(path)) return;
    this.#collections.set(path, {
      items: new Map(),
      jsonOnly: 0,
      events: [],
      listKind: `${kinds.kind}List`,
      apiVersion: kinds.apiVersion,
      kind: kinds.kind,
    });
  }

  /** Adds or replaces an object (its metadata.resourceVersion is set here) and tells open watches. */
  put(path: string, obj: Record<string, unknown>, proto: Buffer | null = null): FakeItem {
    const c = this.#get(path);
    const meta = (obj['metadata'] ?? {}) as Record<string, unknown>;
    const rv = ++this.#rv;
    const stamped: Record<string, unknown> = { ...obj, metadata: { ...meta, resourceVersion: String(rv) } };
    const status = stamped['status'] as { phase?: unknown } | undefined;
    const item: FakeItem = {
      key: `${typeof meta['namespace'] === 'string' ? meta['namespace'] : ''}/${String(meta['name'])}`,
      rv,
      json: Buffer.from(JSON.stringify(stamped)),
      proto,
      phase: typeof status?.phase === 'string' ? status.phase : null,
    };
    const type = c.items.has(item.key) ? 'MODIFIED' : 'ADDED';
    this.#set(c, item);
    this.#event(path, c, type, item);
    return item;
  }

  /** Adds an item as recorded bytes, without watch events (bulk loading a replay). */
  load(path: string, item: Omit<FakeItem, 'rv'>): void {
    this.#set(this.#get(path), { ...item, rv: ++this.#rv });
  }

  #set(c: Collection, item: FakeItem): void {
    this.#unset(c, item.key);
    c.items.set(item.key, item);
    if (item.proto === null) c.jsonOnly++;
  }

  #unset(c: Collection, key: string): void {
    const old = c.items.get(key);
    if (old === undefined) return;
    c.items.delete(key);
    if (old.proto === null) c.jsonOnly--;
  }

  delete(path: string, key: string): void {
    const c = this.#get(path);
    const item = c.items.get(key);
    if (item === undefined) return;
    this.#unset(c, key);
    const rv = ++this.#rv;
    this.#event(path, c, 'DELETED', { ...item, rv });
  }

  /** Deletes without telling watches: only a relist can find out (a missed event). */
  deleteQuietly(path: string, key: string): void {
    this.#unset(this.#get(path), key);
    this.#rv++;
  }

  /** Every continue token handed out so far now answers 410 Expired, as after an etcd compaction. */
  expireContinueTokens(): void {
    this.#snapshots.clear();
  }

  /** Watches from any resourceVersion up to now answer "too old resource version" (410). */
  compact(): void {
    this.#compactedRv = this.#rv;
    for (const c of this.#collections.values()) c.events.length = 0;
  }

  /** Ends every open watch with an ERROR event 410 Gone, as the API server does when a watcher falls behind. */
  goneWatches(): void {
    for (const w of this.#watchers) {
      this.#sendStatus(w, goneStatus());
      w.res.end();
    }
    this.#watchers.clear();
  }

  /** Ends every open watch cleanly (the API server's request timeout). */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  bookmark(): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue;
      const c = this.#get(w.path);
      const rv = String(this.#rv);
      w.res.write(
        w.proto
          ? encodeWatchFrame('BOOKMARK', c, null, { resourceVersion: rv })
          : `${JSON.stringify({ type: 'BOOKMARK', object: { kind: c.kind, apiVersion: c.apiVersion, metadata: { resourceVersion: rv } } })}\n`,
      );
    }
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  #get(path: string): Collection {
    const c = this.#collections.get(path);
    if (c === undefined) throw new Error(`no collection ${path}`);
    return c;
  }

  #event(path: string, c: Collection, type: 'ADDED' | 'MODIFIED' | 'DELETED', item: FakeItem): void {
    c.events.push({ rv: item.rv, type, item });
    for (const w of this.#watchers) if (w.path === path) this.#sendItem(w, type, item);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const accept = req.headers.accept ?? '';
    this.requests.push({ path: url.pathname, query, accept });
    const c = this.#collections.get(url.pathname);
    if (c === undefined) {
      sendStatus(res, 404, 'NotFound', `no collection ${url.pathname}`);
      return;
    }
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    const fail = watch ? this.failWatches.shift() : this.failLists.shift();
    if (fail !== undefined) {
      sendStatus(res, fail, 'InternalError', `injected ${fail}`);
      return;
    }
    const selector = phaseSelector(query['fieldSelector']);
    if (selector === null) {
      sendStatus(res, 400, 'BadRequest', `unsupported fieldSelector ${query['fieldSelector'] ?? ''}`);
      return;
    }
    const proto = accept.includes(PROTOBUF) && c.jsonOnly === 0;
    if (watch) this.#watch(url.pathname, c, query, res, proto, selector);
    else this.#list(url.pathname, c, query, res, proto, selector);
  }

  #list(
    path: string,
    c: Collection,
    query: Record<string, string>,
    res: ServerResponse,
    proto: boolean,
    excluded: readonly string[],
  ): void {
    let snapshot: Snapshot;
    let snapId: number;
    let offset = 0;
    const token = query['continue'];
    if (token !== undefined && token !== '') {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString()) as { id: number; offset: number };
      const found = this.#snapshots.get(parsed.id);
      if (found === undefined) {
        sendStatus(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list');
        return;
      }
      snapshot = found;
      snapId = parsed.id;
      offset = parsed.offset;
    } else {
      const items = [...c.items.values()].filter((i) => i.phase === null || !excluded.includes(i.phase));
      snapshot = { items, rv: this.#rv };
      snapId = ++this.#snapshotIds;
      this.#snapshots.set(snapId, snapshot);
      this.#snapshots.delete(snapId - 8); // a few lists in flight at most; older tokens have expired
    }
    const limit = Number(query['limit'] ?? 0);
    const end = limit > 0 ? Math.min(snapshot.items.length, offset + limit) : snapshot.items.length;
    const page = snapshot.items.slice(offset, end);
    const more = end < snapshot.items.length;
    const meta = {
      resourceVersion: String(snapshot.rv),
      ...(more ? { continue: Buffer.from(JSON.stringify({ id: snapId, offset: end })).toString('base64') } : {}),
      ...(more ? { remainingItemCount: snapshot.items.length - end } : {}),
    };
    const parts = proto
      ? encodeListPage(
          { apiVersion: c.apiVersion, kind: c.listKind },
          meta,
          page.map((i) => i.proto ?? Buffer.alloc(0)),
        )
      : jsonListPage(c, meta, page);
    res.writeHead(200, { 'content-type': proto ? PROTOBUF : 'application/json' });
    this.#stream(res, parts);
    if (this.expireAfterPages !== null && --this.expireAfterPages <= 0) {
      this.expireAfterPages = null;
      this.expireContinueTokens();
    }
  }

  /** Writes the parts in writes of about chunkBytes, so items straddle chunk boundaries. */
  #stream(res: ServerResponse, parts: readonly Buffer[]): void {
    const body = Buffer.concat(parts);
    for (let at = 0; at < body.length; at += this.chunkBytes) res.write(body.subarray(at, at + this.chunkBytes));
    res.end();
  }

  #watch(
    path: string,
    c: Collection,
    query: Record<string, string>,
    res: ServerResponse,
    proto: boolean,
    excluded: readonly string[],
  ): void {
    const from = Number(query['resourceVersion'] ?? 0);
    res.writeHead(200, { 'content-type': proto ? `${PROTOBUF};stream=watch` : 'application/json' });
    res.flushHeaders();
    const w: Watcher = { path, res, proto, bookmarks: query['allowWatchBookmarks'] === 'true', sentRv: from };
    if (from !== 0 && from < this.#compactedRv) {
      this.#sendStatus(w, goneStatus());
      res.end();
      return;
    }
    if (from === 0) for (const item of c.items.values()) this.#sendItem(w, 'ADDED', item);
    else
      for (const e of c.events)
        if (e.rv > from && !excluded.includes(e.item.phase ?? '')) this.#sendItem(w, e.type, e.item);
    this.#watchers.add(w);
    const seconds = Number(query['timeoutSeconds'] ?? 0);
    const timer = seconds > 0 ? setTimeout(() => res.end(), seconds * 1000) : null;
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
      this.#watchers.delete(w);
    });
  }

  #sendItem(w: Watcher, type: string, item: FakeItem): void {
    w.sentRv = item.rv;
    if (w.proto) {
      w.res.write(encodeWatchFrame(type, this.#get(w.path), item.proto ?? Buffer.alloc(0)));
      return;
    }
    w.res.write(`{"type":"${type}","object":${item.json.toString()}}\n`);
  }

  #sendStatus(w: Watcher, status: Record<string, unknown>): void {
    w.res.write(
      w.proto
        ? encodeWatchFrame('ERROR', { apiVersion: 'v1', kind: 'Status' }, null, { status })
        : `${JSON.stringify({ type: 'ERROR', object: status })}\n`,
    );
  }
}
