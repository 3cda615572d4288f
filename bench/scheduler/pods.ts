/**
 * One phase's pods: StatefulSet replicas that opt in to berth the README's way (the marker resource as a limit)
 * and state NVMe, bandwidth and peer-latency needs; created as fast as the API server takes them, with the moment
 * each binding is seen on a watch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, inPool } from './api.ts';
import { NAMESPACE, REPLICAS, type StatefulSetRef } from './cluster.ts';

export const PHASE_LABEL = 'bench.berth.io/phase';

/** The needs of every benchmark pod: what bench/scenarios.ts' StatefulSet pod asks, with room for 1,000 of them. */
export const POD_NEEDS = {
  'berth.io/nvme-capacity': '100Gi',
  'berth.io/min-bandwidth': '1G',
  'berth.io/max-peer-latency': '2ms',
};

function podBody(set: StatefulSetRef, ordinal: number, tag: string, marker: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${set.name}-${ordinal}-${tag}`,
      labels: { app: set.name, [PHASE_LABEL]: tag },
      annotations: POD_NEEDS,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.name, uid: set.uid, controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'db',
          image: 'registry.k8s.io/pause:3.10',
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { [marker]: '1' } },
        },
      ],
    },
  });
}

/**
 * The first `count` pods in creation order: ordinal by ordinal across the StatefulSets (every set's replica 0,
 * then every replica 1, ...), so most pods have placed peers by the time they are scheduled, as after a rollout.
 */
export function podBodies(sets: readonly StatefulSetRef[], count: number, tag: string, marker: string): string[] {
  const bodies: string[] = [];
  for (let ordinal = 0; ordinal < REPLICAS && bodies.length < count; ordinal++) {
    for (const set of sets) {
      if (bodies.length >= count) break;
      bodies.push(podBody(set, ordinal, tag, marker));
    }
  }
  if (bodies.length < count) throw new Error(`${sets.length} StatefulSets hold at most ${sets.length * REPLICAS} pods`);
  return bodies;
}

export interface PodRun {
  /** performance.now() when the first create request was sent. */
  readonly startMs: number;
  /** performance.now() when the last create request was answered. */
  readonly createdMs: number;
  /** performance.now() when each pod's binding was seen, in no particular order. */
  readonly boundMs: readonly number[];
  /** Times the watch was ended by the API server and resumed; relists, where bindings may be seen late. */
  readonly watchResumes: number;
  readonly watchRelists: number;
  readonly watchEnds: readonly string[];
}

const podsPath = `/api/v1/namespaces/${NAMESPACE}/pods`;

/** Only bound pods: a pod's binding arrives as its ADDED event, and the creations are not sent to the bench at all. */
const BOUND = `fieldSelector=${encodeURIComponent('spec.nodeName!=')}`;

interface WatchedPod {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
}

/**
 * The moment each pod of a phase is first seen bound, from a watch that resumes where it stopped when the API server
 * ends it (a loaded server may close a slow watcher): from the last resourceVersion seen, or, if that is too old,
 * from a fresh list whose already-bound pods are counted as bound when listed (late by at most the gap, and
 * counted in `relists` so that a run can say so).
 */
class BindingWatch {
  readonly bound = new Map<string, number>();
  readonly endReasons: string[] = [];
  relists = 0;
  resumes = 0;
  readonly #api: Api;
  readonly #selector: string;
  readonly #expected: number;
  readonly #onAllBound: () => void;
  #rv = '';
  #current: { close(): void } | null = null;
  #stopped = false;

  constructor(api: Api, selector: string, expected: number, onAllBound: () => void) {
    this.#api = api;
    this.#selector = selector;
    this.#expected = expected;
    this.#onAllBound = onAllBound;
  }

  async start(): Promise<void> {
    const list = await this.#api.call('GET', `${podsPath}?labelSelector=${this.#selector}&${BOUND}`);
    const body = JSON.parse(list.body) as { metadata: { resourceVersion: string }; items: WatchedPod[] };
    for (const pod of body.items) this.#seen(pod);
    this.#rv = body.metadata.resourceVersion;
    await this.#open();
  }

  stop(): void {
    this.#stopped = true;
    this.#current?.close();
  }

  #seen(pod: WatchedPod): void {
    const name = pod.metadata?.name;
    if (pod.metadata?.resourceVersion !== undefined) this.#rv = pod.metadata.resourceVersion;
    if (name === undefined || !pod.spec?.nodeName || this.bound.has(name)) return;
    this.bound.set(name, performance.now());
    if (this.bound.size === this.#expected) this.#onAllBound();
  }

  async #open(): Promise<void> {
    const path = `${podsPath}?watch=1&resourceVersion=${this.#rv}&labelSelector=${this.#selector}&${BOUND}`;
    let expired = false;
    this.#current = await this.#api.watch(
      path,
      (event) => {
        if (event.type === 'ERROR') expired = (event.object as { code?: number }).code === 410;
        else this.#seen(event.object as WatchedPod);
      },
      (why) => {
        if (this.#stopped) return;
        this.endReasons.push(expired ? `${why} (resourceVersion expired)` : why);
        void this.#reopen(expired);
      },
    );
  }

  async #reopen(expired: boolean): Promise<void> {
    try {
      if (expired) {
        this.relists += 1;
        await this.start();
      } else {
        this.resumes += 1;
        await this.#open();
      }
    } catch {
      await sleep(200);
      if (!this.#stopped) void this.#reopen(true);
    }
  }
}

/** Creates the pods (8 requests in flight) and resolves once every one is bound, or fails after `timeoutMs`. */
export async function createAndAwaitBinding(api: Api, bodies: readonly string[], tag: string, timeoutMs: number) {
  const selector = encodeURIComponent(`${PHASE_LABEL}=${tag}`);
  let allBound: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allBound = resolve));
  const watch = new BindingWatch(api, selector, bodies.length, allBound);
  await watch.start();
  try {
    const startMs = performance.now();
    await inPool(bodies, 8, (body) => api.call('POST', podsPath, body));
    const createdMs = performance.now();
    const timer = new AbortController();
    const timedOut = await Promise.race([
      done.then(() => false),
      sleep(timeoutMs, true, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (timedOut) {
      const pending = await pendingReasons(api, selector);
      throw new Error(
        `only ${watch.bound.size} of ${bodies.length} pods bound after ${timeoutMs / 1000} s; ${pending}`,
      );
    }
    const run: PodRun = {
      startMs,
      createdMs,
      boundMs: [...watch.bound.values()],
      watchResumes: watch.resumes,
      watchRelists: watch.relists,
      watchEnds: watch.endReasons,
    };
    return run;
  } finally {
    watch.stop();
  }
}

async function pendingReasons(api: Api, selector: string): Promise<string> {
  const res = await api.call('GET', `${podsPath}?labelSelector=${selector}&fieldSelector=spec.nodeName%3D&limit=3`);
  const pods = (
    JSON.parse(res.body) as {
      items: { metadata: { name: string }; status?: { conditions?: { type: string; message?: string }[] } }[];
    }
  ).items;
  return pods
    .map((p) => `${p.metadata.name}: ${p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '?'}`)
    .join('; ');
}

/** Deletes a phase's pods at once (no kubelet would finish a graceful delete) and waits until they are gone. */
export async function deletePods(api: Api, tag: string): Promise<void> {
  const selector = encodeURIComponent(`${PHASE_LABEL}=${tag}`);
  await api.call('DELETE', `${podsPath}?labelSelector=${selector}&gracePeriodSeconds=0`);
  for (let i = 0; i < 600; i++) {
    const res = await api.call('GET', `${podsPath}?labelSelector=${selector}&limit=1`);
    if ((JSON.parse(res.body) as { items: unknown[] }).items.length === 0) return;
    await sleep(100);
  }
  throw new Error(`the pods of phase ${tag} were still there 60 s after their deletion`);
}
