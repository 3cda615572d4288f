/**
 * One paginated LIST and one WATCH of a collection, streaming: each item is projected (resources.ts) as soon as
 * it is complete and the raw object dropped, so the largest thing held is one page's unread bytes. Work happens
 * in the Slicer's slices. The supervision around them (backoff, watchdog, relists) is supervised-informer.ts.
 *
 *   LIST    pages of `limit` items, following `continue`; the first page is a consistent read and the rest come
 *           from its snapshot. A continue token that expired (410, an etcd compaction during a slow list) restarts
 *           the list from the first page, at most twice.
 *   WATCH   from the list's resourceVersion, with bookmarks (fresh resourceVersions on quiet collections) and a
 *           server-side timeout of 5–10 minutes; 30 s without a byte ends it quietly and it is re-established
 *           from where it was. "too old resource version" (410) asks the caller to list again.
 */
import type { IncomingMessage } from 'node:http';
import { apiError, apiStatus, PROTOBUF, type ApiClient } from './api-get.ts';
import type { BerthError } from '../../lib/core/errors.ts';
import { JsonListSplitter, LineSplitter } from './json-list.ts';
import { resourceVersionOf } from './proto-objects.ts';
import { FrameSplitter, ProtoListSplitter } from './proto-stream.ts';
import { ProtoReader, status as protoStatus, unwrap, watchEvent } from './proto-wire.ts';
import type { Projected, ResourceCodec } from './resources.ts';
import type { Slicer } from './slicer.ts';

/** The largest object accepted: etcd refuses requests over 1.5 MiB, so anything near this is not a real object. */
export const MAX_OBJECT_BYTES = 8 * 1024 * 1024;
export const WATCH_INACTIVITY_MS = 30_000;
const EXPIRED_RESTARTS = 2;

export interface StreamContext<T> {
  readonly api: ApiClient;
  readonly codec: ResourceCodec<T>;
  readonly slicer: Slicer;
  /** Aborted when this generation is replaced or stopped. */
  readonly signal: AbortSignal;
  /** Longest wait for a page, or for a watch's response headers. */
  readonly requestTimeoutMs: number;
  /** A watch with no byte for this long ends quietly, to be re-established. */
  readonly watchInactivityMs: number;
  /** A sign of life from the API server (a page, a chunk, a watch established, an event). */
  readonly alive: () => void;
}

export interface ListResult {
  readonly resourceVersion: string;
  readonly pages: number;
  readonly items: number;
  readonly bytes: number;
  /** 410 Expired continue tokens that restarted the list. */
  readonly restarts: number;
}

function accept(codec: ResourceCodec<unknown>): string {
  return codec.protobuf ? `${PROTOBUF}, application/json` : 'application/json';
}

function isProtobuf(res: IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').startsWith(PROTOBUF);
}

/** An AbortSignal that fires with the generation's, or after `ms`; `clear` stops the timer. */
function deadline(parent: AbortSignal, ms: number): { signal: AbortSignal; clear(): void; reset(ms: number): void } {
  const c = new AbortController();
  const onAbort = (): void => {
    c.abort(parent.reason);
  };
  parent.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const reset = (after: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      c.abort(new DOMException(`no answer within ${after} ms`, 'TimeoutError'));
    }, after);
    timer.unref();
  };
  reset(ms);
  return {
    signal: c.signal,
    reset,
    clear() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Lists the whole collection page by page. `onItem` gets every object of one consistent snapshot; `onRestart` is
 * called when an expired continue token makes the list start over (what was delivered before stays delivered).
 */
export async function listAll<T>(
  ctx: StreamContext<T>,
  pageSize: number,
  onItem: (p: Projected<T>) => void,
  onRestart: () => void,
): Promise<ListResult> {
  let restarts = 0;
  for (;;) {
    const totals = { pages: 0, items: 0, bytes: 0 };
    let cont = '';
    try {
      let rv = '';
      do {
        const meta = await listPage(ctx, pageSize, cont, onItem, totals);
        if (rv === '') rv = meta.resourceVersion;
        cont = meta.continue;
      } while (cont !== '');
      return { resourceVersion: rv, ...totals, restarts };
    } catch (err) {
      if (!(apiStatus(err) === 410 && cont !== '' && restarts < EXPIRED_RESTARTS)) throw err;
      restarts++;
      onRestart();
    }
  }
}

async function listPage<T>(
  ctx: StreamContext<T>,
  pageSize: number,
  cont: string,
  onItem: (p: Projected<T>) => void,
  totals: { pages: number; items: number; bytes: number },
): Promise<{ resourceVersion: string; continue: string }> {
  const { codec } = ctx;
  const query: Record<string, string> = { limit: String(pageSize) };
  if (cont !== '') query['continue'] = cont;
  if (codec.fieldSelector !== null) query['fieldSelector'] = codec.fieldSelector;
  const page = deadline(ctx.signal, ctx.requestTimeoutMs);
  try {
    const res = await ctx.api.get(codec.path, query, accept(codec), page.signal);
    ctx.alive();
    const proto = isProtobuf(res);
    const splitter = proto ? new ProtoListSplitter(MAX_OBJECT_BYTES) : new JsonListSplitter(MAX_OBJECT_BYTES);
    for await (const chunk of res as AsyncIterable<Buffer>) {
      totals.bytes += chunk.length;
      ctx.alive();
      for (const item of splitter.push(chunk)) {
        const p = proto ? codec.fromProto(item) : codec.fromJson(JSON.parse(item.toString('utf8')));
        totals.items++;
        if (p !== null) onItem(p);
        await ctx.slicer.tick();
      }
    }
    totals.pages++;
    return splitter.end();
  } finally {
    page.clear();
  }
}

export interface WatchResult {
  /** Where to watch from next. */
  readonly resourceVersion: string;
  /** 410: the resourceVersion is too old; list again. */
  readonly gone: boolean;
  readonly events: number;
}

export interface WatchHandlers<T> {
  upsert(p: Projected<T>): void;
  remove(p: Projected<T>): void;
}

/** Watches from `resourceVersion` until the server ends the watch, it goes quiet for 30 s, or it says 410. */
export async function watchFrom<T>(
  ctx: StreamContext<T>,
  resourceVersion: string,
  handlers: WatchHandlers<T>,
  random: () => number,
): Promise<WatchResult> {
  const { codec } = ctx;
  const query: Record<string, string> = {
    watch: 'true',
    resourceVersion,
    allowWatchBookmarks: 'true',
    timeoutSeconds: String(300 + Math.floor(random() * 300)),
  };
  if (codec.fieldSelector !== null) query['fieldSelector'] = codec.fieldSelector;
  const watch = deadline(ctx.signal, ctx.requestTimeoutMs);
  let rv = resourceVersion;
  let events = 0;
  let established = false;
  try {
    const res = await ctx.api.get(codec.path, query, accept(codec), watch.signal);
    established = true;
    ctx.alive();
    watch.reset(ctx.watchInactivityMs);
    const proto = isProtobuf(res);
    const splitter = proto ? new FrameSplitter(MAX_OBJECT_BYTES) : new LineSplitter(MAX_OBJECT_BYTES);
    for await (const chunk of res as AsyncIterable<Buffer>) {
      watch.reset(ctx.watchInactivityMs);
      for (const frame of splitter.push(chunk)) {
        const e = proto ? protoEvent(codec, frame) : jsonEvent(codec, frame);
        ctx.alive();
        events++;
        if (e.type === 'ERROR') {
          if (apiStatus(e.error) === 410) return { resourceVersion: rv, gone: true, events };
          throw e.error ?? apiError(500, 'WatchError', 'a watch ERROR event without a Status');
        }
        if (e.resourceVersion !== '') rv = e.resourceVersion;
        if (e.projected === null) continue;
        if (e.type === 'DELETED') handlers.remove(e.projected);
        else if (e.type === 'ADDED' || e.type === 'MODIFIED') handlers.upsert(e.projected);
        await ctx.slicer.tick();
      }
    }
    return { resourceVersion: rv, gone: false, events };
  } catch (err) {
    // Quiet for 30 s once established (not the generation's own abort): end quietly; the caller re-watches.
    if (established && watch.signal.aborted && !ctx.signal.aborted) return { resourceVersion: rv, gone: false, events };
    throw err;
  } finally {
    watch.clear();
  }
}

interface DecodedEvent<T> {
  readonly type: string;
  readonly projected: Projected<T> | null;
  readonly resourceVersion: string;
  readonly error?: BerthError;
}

function jsonEvent<T>(codec: ResourceCodec<T>, line: Buffer): DecodedEvent<T> {
  const e = JSON.parse(line.toString('utf8')) as { type?: unknown; object?: Record<string, unknown> };
  const type = typeof e.type === 'string' ? e.type : '';
  const obj = e.object ?? {};
  if (type === 'ERROR') {
    const code = typeof obj['code'] === 'number' ? obj['code'] : 500;
    const text = (k: string): string => (typeof obj[k] === 'string' ? obj[k] : '');
    return { type, projected: null, resourceVersion: '', error: apiError(code, text('reason'), text('message')) };
  }
  const meta = obj['metadata'] as Record<string, unknown> | undefined;
  const rv = typeof meta?.['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
  return { type, projected: type === 'BOOKMARK' ? null : codec.fromJson(obj), resourceVersion: rv };
}

function protoEvent<T>(codec: ResourceCodec<T>, frame: Buffer): DecodedEvent<T> {
  const e = watchEvent(frame);
  const inner = unwrap(e.object);
  if (e.type === 'ERROR') {
    const s = protoStatus(new ProtoReader(inner.raw));
    return { type: e.type, projected: null, resourceVersion: '', error: apiError(s.code, s.reason, s.message) };
  }
  if (e.type === 'BOOKMARK') return { type: e.type, projected: null, resourceVersion: resourceVersionOf(inner.raw) };
  const projected = codec.fromProto(inner.raw);
  return { type: e.type, projected, resourceVersion: projected?.resourceVersion ?? '' };
}
