/**
 * An informer that keeps one projection per object (in its sink), lists in pages, and does not stay down. It
 * runs one *generation* at a time: a paginated LIST (list-watch.ts), then WATCHes from the list's
 * resourceVersion for as long as they last, relisting in place when a watch answers 410 Gone. A generation is
 * replaced:
 *
 *   on an error        after a jittered backoff, 1 s doubling to 30 s (lib/cluster/informer-health.ts);
 *   on a stall         when the API server has not been heard from for --watchdog-timeout: no page, no event, no
 *                      bookmark and no watch established (a quiet watch is re-established every 30 s, so silence
 *                      that long is a stuck connection); the phase goes 'down' at once, so readiness drops;
 *   every resync period by a full relist, to repair anything a missed event left wrong.
 *
 * Every LIST is compared with what the sink holds: keys it lacks were deleted while nothing watched, and are
 * removed. Nothing is ever held twice: a relist overwrites the sink's entries one by one, and the only extra
 * memory while it runs is the set of keys seen so far.
 *
 * Why not client-node's ListWatch: it keeps every object whole in a cache of its own (a second copy of the
 * cluster, managedFields included), takes the LIST as one body (past V8's string limit at ~53,000 pods), parses
 * and converts it without yielding, and stops for good on any error but 410. Its KubeConfig is used for
 * authentication and TLS (api-get.ts).
 */
import {
  failed,
  heardFrom,
  initialHealth,
  isStalled,
  relisting,
  restartDelayMs,
  synced,
  type InformerHealth,
} from '../../lib/cluster/informer-health.ts';
import { BerthError } from '../../lib/core/errors.ts';
import { errorText } from '../common/client-node.ts';
import type { ApiClient } from './api-get.ts';
import { listAll, watchFrom, WATCH_INACTIVITY_MS, type ListResult, type StreamContext } from './list-watch.ts';
import type { ResourceCodec } from './resources.ts';
import type { Slicer } from './slicer.ts';

export interface InformerSink<T> {
  /** `initial`: part of the first LIST, before this informer ever synced. */
  upsert(key: string, value: T, initial: boolean): void;
  /** `last`: the object's final state when the API server sent one (a DELETED event); null after a relist. */
  remove(key: string, last: T | null): void;
  /** The keys the sink holds, to find what a new LIST no longer has. */
  keys(): Iterable<string>;
  /** How many objects the sink holds. */
  size(): number;
}

/** What the rest of the Kubernetes side sees of an informer, whatever it keeps. */
export interface Informer {
  readonly resource: string;
  readonly health: InformerHealth;
  /** Objects held now. */
  readonly objects: number;
  readonly lastList: (ListResult & { durationMs: number }) | null;
  start(): void;
  stop(): Promise<void>;
}

export type InformerLog = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

export interface SupervisedInformerOptions<T> {
  readonly api: ApiClient;
  readonly codec: ResourceCodec<T>;
  readonly sink: InformerSink<T>;
  readonly slicer: Slicer;
  /** Items per LIST page. */
  readonly pageSize: number;
  readonly watchdogTimeoutMs: number;
  readonly resyncPeriodMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly log: InformerLog;
  /** A watch with no byte for this long is re-established (default 30 s). */
  readonly watchInactivityMs?: number;
}

/** Consecutive watches that end at once with nothing in them before the API server is taken to be failing. */
const MAX_EMPTY_WATCHES = 5;
const EMPTY_WATCH_MS = 1_000;

export class SupervisedInformer<T> implements Informer {
  readonly #o: SupervisedInformerOptions<T>;
  #health: InformerHealth;
  #generation = 0;
  #run: AbortController | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #resync: NodeJS.Timeout | null = null;
  #stopped = false;
  #everSynced = false;
  #lastList: (ListResult & { durationMs: number }) | null = null;

  constructor(opts: SupervisedInformerOptions<T>) {
    this.#o = opts;
    this.#health = initialHealth(opts.now());
  }

  get resource(): string {
    return this.#o.codec.resource;
  }

  get health(): InformerHealth {
    return this.#health;
  }

  get objects(): number {
    return this.#o.sink.size();
  }

  /** The last completed LIST: pages, items, bytes and how long it took. */
  get lastList(): (ListResult & { durationMs: number }) | null {
    return this.#lastList;
  }

  /** Starts the first generation and the timers. */
  start(): void {
    const { watchdogTimeoutMs, resyncPeriodMs } = this.#o;
    this.#watchdog = setInterval(
      () => {
        this.#checkStall();
      },
      Math.min(5_000, watchdogTimeoutMs / 4),
    );
    this.#resync = setInterval(() => {
      this.#relist();
    }, resyncPeriodMs);
    this.#watchdog.unref();
    this.#resync.unref();
    this.#launch();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of [this.#restartTimer, this.#watchdog, this.#resync]) if (t !== null) clearTimeout(t);
    this.#run?.abort(new BerthError('BERTH_ERR_API', 'informer stopped'));
    this.#run = null;
    await Promise.resolve();
  }

  #alive(): void {
    const now = this.#o.now();
    // A LIST is thousands of signs of life; the watchdog needs one a second at most.
    if (now - this.#health.lastAliveMs >= 1_000) this.#health = heardFrom(this.#health, now);
  }

  #checkStall(): void {
    if (this.#stopped || this.#restartTimer !== null) return;
    if (!isStalled(this.#health, this.#o.now(), this.#o.watchdogTimeoutMs)) return;
    this.#fail(
      this.#generation,
      `stalled: nothing from the API server for ${Math.round((this.#o.now() - this.#health.lastAliveMs) / 1000)}s`,
    );
  }

  #relist(): void {
    if (this.#stopped || this.#health.phase !== 'synced') return;
    this.#health = relisting(this.#health);
    this.#launch();
  }

  #fail(generation: number, reason: string): void {
    if (this.#stopped || generation !== this.#generation || this.#restartTimer !== null) return;
    this.#health = failed(this.#health, reason);
    const delay = restartDelayMs(this.#health, this.#o.random);
    this.#o.log('warn', 'informer down, restarting', {
      resource: this.resource,
      reason,
      restartInMs: Math.round(delay),
      failures: this.#health.failures,
    });
    this.#run?.abort(new BerthError('BERTH_ERR_API', `informer down: ${reason}`));
    this.#run = null;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.#launch();
    }, delay);
    this.#restartTimer.unref();
  }

  #launch(): void {
    if (this.#stopped) return;
    const generation = ++this.#generation;
    this.#run?.abort(new BerthError('BERTH_ERR_API', 'replaced by a new generation'));
    const run = new AbortController();
    this.#run = run;
    const ctx: StreamContext<T> = {
      api: this.#o.api,
      codec: this.#o.codec,
      slicer: this.#o.slicer,
      signal: run.signal,
      requestTimeoutMs: Math.min(30_000, this.#o.watchdogTimeoutMs / 2),
      watchInactivityMs: this.#o.watchInactivityMs ?? WATCH_INACTIVITY_MS,
      alive: () => {
        if (generation === this.#generation) this.#alive();
      },
    };
    void this.#generationLoop(generation, ctx).catch((err: unknown) => {
      if (!run.signal.aborted) this.#fail(generation, errorText(err));
    });
  }

  async #generationLoop(generation: number, ctx: StreamContext<T>): Promise<void> {
    const current = (): boolean => !this.#stopped && generation === this.#generation && !ctx.signal.aborted;
    let rv = await this.#list(ctx, current);
    let empty = 0;
    while (current()) {
      const startedAt = this.#o.now();
      const w = await watchFrom(
        ctx,
        rv,
        {
          upsert: (p) => {
            if (current()) this.#o.sink.upsert(p.key, p.value, false);
          },
          remove: (p) => {
            if (current()) this.#o.sink.remove(p.key, p.value);
          },
        },
        this.#o.random,
      );
      if (!current()) return;
      if (w.gone) {
        rv = await this.#list(ctx, current);
        continue;
      }
      rv = w.resourceVersion;
      empty = w.events === 0 && this.#o.now() - startedAt < EMPTY_WATCH_MS ? empty + 1 : 0;
      if (empty >= MAX_EMPTY_WATCHES)
        throw new BerthError('BERTH_ERR_API', `${MAX_EMPTY_WATCHES} watches in a row ended at once`);
    }
  }

  /** A full LIST into the sink, then whatever the sink holds that the LIST lacked is removed. */
  async #list(ctx: StreamContext<T>, current: () => boolean): Promise<string> {
    const startedAt = this.#o.now();
    const { sink } = this.#o;
    const initial = !this.#everSynced;
    let seen = new Set<string>();
    const result = await listAll(
      ctx,
      this.#o.pageSize,
      (p) => {
        if (!current()) return;
        seen.add(p.key);
        sink.upsert(p.key, p.value, initial);
      },
      () => {
        seen = new Set();
      },
    );
    if (!current()) return result.resourceVersion;
    const gone: string[] = [];
    let checked = 0;
    for (const key of sink.keys()) {
      if (!seen.has(key)) gone.push(key);
      if (++checked % 4096 === 0) await ctx.slicer.tick();
    }
    seen = new Set();
    for (const key of gone) {
      if (!current()) return result.resourceVersion;
      sink.remove(key, null);
      await ctx.slicer.tick();
    }
    const wasSynced = this.#health.phase === 'synced';
    this.#health = synced(this.#health, this.#o.now());
    this.#everSynced = true;
    this.#lastList = { ...result, durationMs: this.#o.now() - startedAt };
    this.#o.log('info', wasSynced ? 'informer relisted' : 'informer synced', {
      resource: this.resource,
      objects: result.items,
      removed: gone.length,
      pages: result.pages,
      bytes: result.bytes,
      expiredRestarts: result.restarts,
      ms: Math.round(this.#lastList.durationMs),
      restarts: this.#health.restarts,
    });
    return result.resourceVersion;
  }
}
