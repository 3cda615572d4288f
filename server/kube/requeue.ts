/**
 * Retry when room appears: the Kubernetes side of lib/cluster/waiting-pods.ts. Filter answers tell it which pods
 * berth turned away; the pod informer, which of them were bound or deleted; accepted NodeReports, where room may
 * have appeared. For each pod the engine says a report made room for, it patches one annotation, berth.io/requeue,
 * on the pending pod: an update of the pod is a cluster event kube-scheduler acts on, so the pod is retried at once
 * instead of after the 5-minute flush (docs/kubernetes.md, "Retry when room appears").
 *
 * Nothing here runs on the request path but an O(1) map update. A report costs a pass over the waiting pods with
 * plain numbers, and the engine only for those the numbers allow; the patches go out from a timer, a few at a time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  DROP_REASONS,
  REQUEUE_ANNOTATION,
  WaitingPods,
  type RequeueLimits,
  type Touch,
} from '../../lib/cluster/waiting-pods.ts';
import type { EngineView } from '../../lib/cluster/room.ts';
import { isRecord } from '../../lib/core/check.ts';
import { BerthError } from '../../lib/core/errors.ts';
import type { Needs } from '../../lib/extender/needs.ts';
import type { NodeView } from '../../lib/extender/node-view.ts';
import type { PodFacts } from '../../lib/extender/pod.ts';
import type { ReportStore } from '../../lib/extender/report-store.ts';
import type { Policy } from '../../lib/extender/verdict.ts';
import type { ClusterState } from '../../lib/cluster/cluster-state.ts';
import { errorText, type K8s, type KubeConfig } from '../common/client-node.ts';

/** The field manager of berth's one write, as it shows in the pod's managedFields. */
export const REQUEUE_FIELD_MANAGER = 'berth-extender';
/** Patches in flight at once; more wait (still due) until one finishes. */
const MAX_IN_FLIGHT = 4;
const PATCH_TIMEOUT_MS = 10_000;
/** At most one warning per this long about failed patches (the rest are counted). */
const WARN_EVERY_MS = 60_000;

export type PatchOutcome =
  { readonly ok: true } | { readonly ok: false; readonly gone: boolean; readonly error: string };
/** Writes one touch; the real one is apiPatcher, tests pass their own. */
export type PodPatcher = (touch: Touch) => Promise<PatchOutcome>;

export type RequeueLog = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

export interface RequeueOptions {
  readonly limits: RequeueLimits;
  readonly engine: EngineView;
  readonly patch: PodPatcher;
  readonly registry: Registry;
  readonly log: RequeueLog;
  readonly now: () => number;
}

/**
 * A JSON merge patch of the one annotation, with the pod's uid as a precondition: a pod deleted and recreated under
 * the same name (a StatefulSet replica) is not touched for its predecessor (the API server refuses the uid change).
 */
export function apiPatcher(k8s: K8s, kc: KubeConfig): PodPatcher {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const header = merge.middleware?.[0];
  if (header === undefined) throw new BerthError('BERTH_ERR_INTERNAL', 'client-node gave no header middleware');
  const options = {
    ...merge,
    middleware: [
      {
        pre: (ctx: Parameters<typeof header.pre>[0]) => {
          ctx.setSignal(AbortSignal.timeout(PATCH_TIMEOUT_MS));
          return header.pre(ctx);
        },
        post: (res: Parameters<typeof header.post>[0]) => header.post(res),
      },
    ],
  };
  return async (touch) => {
    const body = { metadata: { uid: touch.uid, annotations: { [REQUEUE_ANNOTATION]: touch.value } } };
    try {
      await core.patchNamespacedPod(
        { name: touch.name, namespace: touch.namespace, body, fieldManager: REQUEUE_FIELD_MANAGER },
        options,
      );
      return { ok: true };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // 404: deleted; 409/422: the uid precondition failed (a new pod under the same name).
      return { ok: false, gone: code === 404 || code === 409 || code === 422, error: errorText(err) };
    }
  };
}

/** What the Kubernetes side hands over; null when --requeue-rate is 0. */
export interface RequeueSources {
  readonly k8s: K8s;
  readonly kc: KubeConfig;
  readonly policy: Policy;
  readonly limits: RequeueLimits;
  readonly store: ReportStore;
  readonly state: ClusterState;
  readonly registry: Registry;
  readonly log: RequeueLog;
  readonly now: () => number;
}

export function createRequeuer(s: RequeueSources): Requeuer | null {
  if (s.limits.ratePerSecond <= 0) return null;
  return new Requeuer({
    limits: s.limits,
    // The sources server/http/context.ts builds a request from, read when a report arrives.
    engine: {
      policy: s.policy,
      store: s.store,
      reservations: () => s.state.reservations(),
      peerNodes: (rule, pod) => s.state.peerNodes(rule, pod),
    },
    patch: apiPatcher(s.k8s, s.kc),
    registry: s.registry,
    log: s.log,
    now: s.now,
  });
}

export class Requeuer {
  readonly #o: RequeueOptions;
  readonly #waiting: WaitingPods;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #counts = { ok: 0, gone: 0, error: 0 };
  #immediate: NodeJS.Immediate | null = null;
  #timer: { handle: NodeJS.Timeout; atMs: number } | null = null;
  #closed = false;
  #lastWarnMs = -Infinity;
  #unwarned = 0;

  constructor(o: RequeueOptions) {
    this.#o = o;
    this.#waiting = new WaitingPods(o.limits);
    this.#registerMetrics(o.registry);
  }

  get waiting(): WaitingPods {
    return this.#waiting;
  }

  /** berth's filter answer for a pod with needs: nothing passed means turned away; anything passed ends the wait. */
  filtered(pod: PodFacts, needs: Needs, passed: readonly string[]): void {
    if (pod.uid === '' || pod.nodeName !== null) return;
    if (passed.length === 0) this.#waiting.turnedAway(pod, needs, this.#o.now());
    else this.#waiting.drop(`${pod.namespace}/${pod.name}`, 'passed');
  }

  /** A pod informer event: a waiting pod that got a node, went away or was replaced stops waiting. */
  podEvent(obj: unknown, removed: boolean): void {
    if (this.#waiting.size === 0 || !isRecord(obj) || !isRecord(obj['metadata'])) return;
    const meta = obj['metadata'];
    const text = (v: unknown, otherwise: string): string => (typeof v === 'string' && v !== '' ? v : otherwise);
    const key = `${text(meta['namespace'], 'default')}/${text(meta['name'], '')}`;
    const uid = this.#waiting.uidOf(key);
    if (uid === null) return;
    const nodeName = isRecord(obj['spec']) ? obj['spec']['nodeName'] : undefined;
    if (removed || meta['uid'] !== uid) this.#waiting.drop(key, 'deleted');
    else if (typeof nodeName === 'string' && nodeName !== '') this.#waiting.drop(key, 'placed');
  }

  /** An accepted report of `node`; `before` is the node's view it replaced. */
  reportAccepted(node: string, before: NodeView | undefined): void {
    if (this.#closed || this.#waiting.size === 0) return;
    if (this.#waiting.reportArrived(node, before, this.#o.engine, this.#o.now()) > 0) this.#kick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    if (this.#timer !== null) clearTimeout(this.#timer.handle);
    await Promise.all(this.#inFlight);
  }

  #kick(): void {
    if (this.#closed || this.#immediate !== null) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = null;
      this.#drain();
    });
  }

  #drain(): void {
    const room = MAX_IN_FLIGHT - this.#inFlight.size;
    if (this.#closed || room <= 0) return; // a patch that finishes drains again
    const { touches, wakeAtMs } = this.#waiting.take(this.#o.now(), room);
    for (const touch of touches) {
      const done: Promise<void> = this.#touch(touch).finally(() => {
        this.#inFlight.delete(done);
        this.#kick();
      });
      this.#inFlight.add(done);
    }
    if (wakeAtMs !== null) this.#wakeAt(wakeAtMs);
  }

  #wakeAt(atMs: number): void {
    if (this.#timer !== null) {
      if (this.#timer.atMs <= atMs) return;
      clearTimeout(this.#timer.handle);
    }
    const handle = setTimeout(
      () => {
        this.#timer = null;
        this.#drain();
      },
      Math.max(0, atMs - this.#o.now()),
    );
    handle.unref();
    this.#timer = { handle, atMs };
  }

  async #touch(touch: Touch): Promise<void> {
    const outcome = await this.#o.patch(touch);
    const fields = { pod: touch.key, node: touch.node };
    if (outcome.ok) {
      this.#counts.ok++;
      this.#o.log('info', 'room appeared: asked kube-scheduler to retry a pod', fields);
      return;
    }
    if (outcome.gone) {
      this.#counts.gone++;
      this.#waiting.drop(touch.key, 'deleted');
      return;
    }
    this.#counts.error++;
    this.#waiting.failed(touch);
    this.#unwarned++;
    const nowMs = this.#o.now();
    if (nowMs - this.#lastWarnMs < WARN_EVERY_MS) return;
    this.#o.log('warn', 'could not annotate a pod for a retry (counted in berth_requeue_failures_total)', {
      ...fields,
      error: outcome.error,
      failuresSinceLastWarning: this.#unwarned,
    });
    this.#lastWarnMs = nowMs;
    this.#unwarned = 0;
  }

  #registerMetrics(registry: Registry): void {
    const registers = [registry];
    const waiting = this.#waiting;
    const counts = this.#counts;
    new Gauge({
      name: 'berth_requeue_waiting_pods',
      help: 'Pods berth turned away and remembers, to have them retried when a node report brings room',
      registers,
      collect() {
        this.set(waiting.size);
      },
    });
    new Counter({
      name: 'berth_requeue_touches_total',
      help: 'Pods annotated with berth.io/requeue so that kube-scheduler retries them: a report made room for them',
      registers,
      collect() {
        this.reset();
        this.inc(counts.ok);
      },
    });
    new Counter({
      name: 'berth_requeue_failures_total',
      help: 'Annotations that did not reach their pod: gone (deleted or replaced) or error (retried after --requeue-pod-interval)',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        this.reset();
        this.inc({ reason: 'gone' }, counts.gone);
        this.inc({ reason: 'error' }, counts.error);
      },
    });
    new Counter({
      name: 'berth_requeue_held_back_total',
      help: 'Wanted annotations held back by a limit (pod: not retried since the last one, within --requeue-pod-interval; rate: --requeue-rate); they go out later',
      labelNames: ['limit'] as const,
      registers,
      collect() {
        const s = waiting.stats();
        this.reset();
        this.inc({ limit: 'pod' }, s.heldBack.pod);
        this.inc({ limit: 'rate' }, s.heldBack.rate);
      },
    });
    new Counter({
      name: 'berth_requeue_forgotten_total',
      help: 'Pods berth stopped remembering, by reason: passed (filter let it through), placed, deleted (or replaced), expired, evicted (--requeue-max-pods)',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        const s = waiting.stats();
        this.reset();
        for (const r of DROP_REASONS) this.inc({ reason: r }, s.dropped[r]);
      },
    });
  }
}
