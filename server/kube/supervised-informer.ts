/**
 * A client-node informer that does not stay down. client-node's ListWatch stops for good on any error but 410,
 * and a LIST has no timeout. This class runs one ListWatch "generation" at a
 * time and replaces it:
 *
 *   on 'error'          after a jittered backoff, 1 s doubling to 30 s (lib/cluster/informer-health.ts);
 *   on a stall          when the API server has not been heard from for --watchdog-timeout: no event, no LIST and
 *                       no watch established (a quiet watch is re-established every 30 s, so silence that long
 *                       is a stuck connection); the phase goes 'down' at once, so readiness drops;
 *   every resync period a full relist, to repair anything a missed event left wrong.
 *
 * Each generation starts with a fresh LIST (a new ListWatch has no resourceVersion). Objects from the previous
 * generation that the new LIST lacks are reported deleted, so the sink's caches converge whatever was missed.
 * The sink gets plain callbacks; health transitions are the pure functions in lib/cluster/informer-health.ts.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
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
import { errorText, type K8s, type KubeConfig } from '../common/client-node.ts';

export interface InformerSink {
  /** `initial`: part of the first LIST, before this informer ever synced. */
  upsert(obj: KubernetesObject, initial: boolean): void;
  remove(obj: KubernetesObject): void;
}

export interface SupervisedInformerOptions {
  readonly k8s: K8s;
  readonly kc: KubeConfig;
  /** Short name for metrics and readiness: nodereports, pods, persistentvolumeclaims, storageclasses. */
  readonly resource: string;
  /** Collection path, e.g. /api/v1/pods. */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<KubernetesObject>>;
  readonly sink: InformerSink;
  readonly watchdogTimeoutMs: number;
  readonly resyncPeriodMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

function objectKey(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export class SupervisedInformer {
  readonly #o: SupervisedInformerOptions;
  #health: InformerHealth;
  #generation = 0;
  #informer: { stop(): Promise<void> } | null = null;
  #objects = new Map<string, KubernetesObject>();
  #restartTimer: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #resync: NodeJS.Timeout | null = null;
  #stopped = false;
  #everSynced = false;

  constructor(opts: SupervisedInformerOptions) {
    this.#o = opts;
    this.#health = initialHealth(opts.now());
  }

  get resource(): string {
    return this.#o.resource;
  }

  get health(): InformerHealth {
    return this.#health;
  }

  /** Starts the first generation and the timers; resolves when the first LIST succeeded (or never, until stop). */
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
    void this.#launch();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of [this.#restartTimer, this.#watchdog, this.#resync]) if (t !== null) clearTimeout(t);
    await this.#informer?.stop().catch(() => undefined);
    this.#informer = null;
  }

  #alive(): void {
    this.#health = heardFrom(this.#health, this.#o.now());
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
    void this.#launch();
  }

  #fail(generation: number, reason: string): void {
    if (this.#stopped || generation !== this.#generation || this.#restartTimer !== null) return;
    this.#health = failed(this.#health, reason);
    const delay = restartDelayMs(this.#health, this.#o.random);
    this.#o.log('warn', 'informer down, restarting', {
      resource: this.#o.resource,
      reason,
      restartInMs: Math.round(delay),
      failures: this.#health.failures,
    });
    const stuck = this.#informer;
    this.#informer = null;
    void stuck?.stop().catch(() => undefined);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#launch();
    }, delay);
    this.#restartTimer.unref();
  }

  async #launch(): Promise<void> {
    const generation = ++this.#generation;
    const previous = this.#informer;
    this.#informer = null;
    await previous?.stop().catch(() => undefined);
    if (this.#stopped || generation !== this.#generation) return;
    const { k8s, kc, path, sink } = this.#o;
    const current = (): boolean => !this.#stopped && generation === this.#generation;
    const listTimeoutMs = Math.min(30_000, this.#o.watchdogTimeoutMs / 2);
    let errored = false;
    const onAlive = (): void => {
      if (current()) this.#alive();
    };
    const informer = new k8s.ListWatch(
      path,
      observedWatch(k8s, kc, onAlive),
      () => this.#listWithin(listTimeoutMs, onAlive),
      false,
    );
    this.#informer = informer;
    const initial = (): boolean => !this.#everSynced;
    const upsert = (obj: KubernetesObject): void => {
      if (!current()) return;
      this.#alive();
      this.#objects.set(objectKey(obj), obj);
      sink.upsert(obj, initial());
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (obj) => {
      if (!current()) return;
      this.#alive();
      this.#objects.delete(objectKey(obj));
      sink.remove(obj);
    });
    informer.on('error', (err: unknown) => {
      errored = true;
      this.#fail(generation, errorText(err));
    });
    try {
      await informer.start();
    } catch (err) {
      errored = true;
      this.#fail(generation, errorText(err));
    }
    if (errored || !current()) return;
    this.#reconcile(informer.list());
    const wasDown = this.#health.phase !== 'synced';
    this.#health = synced(this.#health, this.#o.now());
    this.#everSynced = true;
    if (wasDown)
      this.#o.log('info', 'informer synced', {
        resource: this.#o.resource,
        objects: this.#objects.size,
        restarts: this.#health.restarts,
      });
  }

  /** Objects the new LIST no longer has were deleted while no watch was running: tell the sink. */
  #reconcile(listed: readonly KubernetesObject[]): void {
    const seen = new Set(listed.map(objectKey));
    for (const [key, obj] of this.#objects) {
      if (seen.has(key)) continue;
      this.#objects.delete(key);
      this.#o.sink.remove(obj);
    }
  }

  async #listWithin(timeoutMs: number, onAlive: () => void): Promise<KubernetesListObject<KubernetesObject>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`LIST ${this.#o.path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      // A LIST hung on a stalled connection is abandoned here; its socket goes when the connection does.
      const list = await Promise.race([this.#o.list(), timeout]);
      onAlive();
      return list;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * client-node's Watch, noting when a watch is established (response headers in) and asking for bookmarks, which
 * keep the resourceVersion fresh on quiet resources (fewer 410 relists) and count as signs of life.
 */
function observedWatch(k8s: K8s, kc: KubeConfig, onAlive: () => void): InstanceType<K8s['Watch']> {
  class ObservedWatch extends k8s.Watch {
    override async watch(
      path: string,
      query: Record<string, string | number | boolean | undefined>,
      callback: (phase: string, obj: unknown, watchObj?: unknown) => void,
      done: (err: unknown) => void,
    ): Promise<AbortController> {
      const watch = { ended: false };
      const controller = await super.watch(
        path,
        { ...query, allowWatchBookmarks: true },
        (phase, obj, raw) => {
          onAlive();
          callback(phase, obj, raw);
        },
        (err) => {
          watch.ended = true;
          done(err);
        },
      );
      if (!watch.ended) onAlive();
      return controller;
    }
  }
  return new ObservedWatch(kc);
}
