/**
 * The extender's Kubernetes side: informers feeding the report store and the cluster state, the ClusterView the
 * HTTP layer reads, the ledger's expiry timer, and (with --push-auth tokenreview) the push authenticator.
 *
 * Two steps, because startExtender owns the report store and the metrics registry: createKubeSide() gives the
 * ClusterView and authenticator to pass into startExtender; attach() then starts the informers against that
 * store and registry. Until the informers have synced, readiness says so and the scheduler is not routed here.
 */
import type { Registry } from 'prom-client';
import { ClusterState } from '../../lib/cluster/cluster-state.ts';
import type { ExtenderConfig, KubeOptions } from '../../lib/extender/config.ts';
import { informersReadiness, type InformerHealth } from '../../lib/cluster/informer-health.ts';
import { reportFromObject, statusWrittenAtMs } from '../../lib/core/node-report-resource.ts';
import type { ReportStore } from '../../lib/extender/report-store.ts';
import { describeProblems } from '../../lib/core/check.ts';
import { BerthError } from '../../lib/core/errors.ts';
import type { ClusterView } from '../../lib/extender/ports.ts';
import type { ReportAuthenticator } from '../../lib/extender/ports.ts';
import type { ClaimSource } from '../../lib/cluster/routing.ts';
import { apiClaimSource } from './claim-source.ts';
import { errorText, loadClientNode, loadKubeConfig, type K8s, type KubeConfig } from '../common/client-node.ts';
import type { Logger } from '../common/log.ts';
import { registerKubeMetrics } from './metrics.ts';
import { resourceDefs, type ResourceName } from './resources.ts';
import { SupervisedInformer, type InformerSink } from './supervised-informer.ts';
import { PUSH_AUDIENCE, tokenReviewAuthenticator, type ReviewResult } from './token-review.ts';
import { createRequeuer, type Requeuer } from './requeue.ts';

/** Without NTP gone badly wrong, agent and extender clocks agree to well under this (lib/cluster/ledger.ts). */
const CLOCK_SKEW_MS = 1_000;
const EXPIRE_EVERY_MS = 1_000;

export interface KubeSide {
  readonly cluster: ClusterView;
  readonly authenticateReport: ReportAuthenticator | null;
  /** Claims and StorageClasses for the pod-routing webhook. */
  readonly claims: ClaimSource;
  readonly state: ClusterState;
  readonly kc: KubeConfig;
  informers(): readonly SupervisedInformer[];
  /** Starts the informers, feeding `store`; registers the metrics on `registry`. */
  attach(store: ReportStore, registry: Registry, log: Logger): void;
  close(): Promise<void>;
}

export interface KubeSideOptions {
  /** Defaults to --kubeconfig / the default loading rules. Tests pass their own. */
  readonly kubeConfig?: KubeConfig;
  readonly now?: () => number;
  readonly random?: () => number;
}

export async function createKubeSide(
  config: ExtenderConfig,
  kube: KubeOptions,
  opts: KubeSideOptions = {},
): Promise<KubeSide> {
  const k8s = await loadClientNode();
  const kc = opts.kubeConfig ?? loadKubeConfig(k8s, kube.kubeconfig);
  const now = opts.now ?? ((): number => Date.now());
  const random = opts.random ?? Math.random;
  const state = new ClusterState({
    match: kube.nvmeClasses,
    ledger: { ttlMs: kube.reservationTtlMs, provisionalTtlMs: kube.provisionalTtlMs, clockSkewMs: CLOCK_SKEW_MS },
  });
  let informers: SupervisedInformer[] = [];
  let expiry: NodeJS.Timeout | null = null;
  let requeue: Requeuer | null = null;
  const healths = (): Map<string, InformerHealth> => new Map(informers.map((i) => [i.resource, i.health]));
  const cluster: ClusterView = {
    claimVolumes: (pod) => state.claimVolumes(pod),
    peerNodes: (rule, pod) => state.peerNodes(rule, pod),
    reservations: () => state.reservations(),
    scored: (pod, needs, scores) => {
      state.scored(pod, needs.nvmeVolumes, scores, now());
    },
    filtered: (pod, needs, passed) => {
      state.filtered(pod, needs.nvmeVolumes, passed, now());
      requeue?.filtered(pod, needs, passed);
    },
    attempt: (pod) => {
      state.attempt(pod);
    },
    readiness: () =>
      informers.length === 0
        ? { ready: false, reason: 'Kubernetes informers not started' }
        : informersReadiness(healths()),
    initialSync: () => {
      if (informers.length === 0) return { done: false, reason: 'Kubernetes informers not started' };
      const waiting = informers.find((i) => i.health.phase === 'starting');
      return waiting === undefined
        ? { done: true, reason: 'informers synced once' }
        : { done: false, reason: `${waiting.resource} informer not synced yet` };
    },
  };
  const authenticateReport =
    config.pushAuth.mode === 'tokenreview'
      ? tokenReviewAuthenticator({ review: apiTokenReviewer(k8s, kc), agent: config.pushAuth.agent, now })
      : null;
  return {
    cluster,
    authenticateReport,
    claims: apiClaimSource(k8s, kc, state, kube.nvmeClasses),
    state,
    kc,
    informers: () => informers,
    attach(store, registry, log) {
      if (informers.length > 0) throw new BerthError('BERTH_ERR_INTERNAL', 'the Kubernetes side is already attached');
      const metrics = registerKubeMetrics(registry, { informers: () => informers, state, now });
      const { policy } = config;
      // The informers and the requeuer log through a callback; it writes into the one logger.
      const logTo = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void => {
        log[level](fields, msg);
      };
      requeue = createRequeuer({ k8s, kc, policy, limits: kube.requeue, store, state, registry, log: logTo, now });
      const sinks: Record<ResourceName, InformerSink> = {
        storageclasses: {
          upsert: (o) => {
            state.storageClass(o);
          },
          remove: (o) => {
            state.storageClassGone(o);
          },
        },
        persistentvolumeclaims: {
          upsert: (o, initial) => {
            state.claim(o, now(), initial);
          },
          remove: (o) => {
            state.claimGone(o);
          },
        },
        pods: {
          upsert: (o, initial) => {
            state.pod(o, now(), initial);
            requeue?.podEvent(o, false);
          },
          remove: (o) => {
            state.podGone(o);
            requeue?.podEvent(o, true);
          },
        },
        nodereports: {
          upsert: (o) => {
            const parsed = reportFromObject(o);
            if (!parsed.ok) {
              metrics.invalidReports.inc();
              log.warn(
                { name: o.metadata?.name ?? null, problems: describeProblems(parsed.problems.slice(0, 10)) },
                'ignoring an invalid NodeReport',
              );
              return;
            }
            if (parsed.value === null) return;
            // Freshness from when the API server took the write, never later than now: a relist or a restart
            // must not make an old report look new (lib/core/node-report-resource.ts).
            const written = statusWrittenAtMs(o);
            const receivedAt = written === null ? now() : Math.min(now(), written);
            const before = store.get(parsed.value.node);
            if (store.ingest(parsed.value, receivedAt) === 'accepted') {
              state.reportArrived(parsed.value.node, parsed.value.takenAt);
              requeue?.reportAccepted(parsed.value.node, before);
            }
          },
          remove: (o) => {
            if (o.metadata?.name !== undefined) store.remove(o.metadata.name);
          },
        },
      };
      informers = resourceDefs(k8s, kc).map(
        (def) =>
          new SupervisedInformer({
            k8s,
            kc,
            resource: def.resource,
            path: def.path,
            list: def.list,
            sink: sinks[def.resource],
            watchdogTimeoutMs: kube.watchdogTimeoutMs,
            resyncPeriodMs: kube.resyncPeriodMs,
            now,
            random,
            log: logTo,
          }),
      );
      for (const i of informers) i.start();
      expiry = setInterval(() => {
        state.ledger.expire(now());
      }, EXPIRE_EVERY_MS);
      expiry.unref();
    },
    async close() {
      if (expiry !== null) clearInterval(expiry);
      await requeue?.close();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

function apiTokenReviewer(k8s: K8s, kc: KubeConfig): (token: string) => Promise<ReviewResult> {
  const authn = kc.makeApiClient(k8s.AuthenticationV1Api);
  return async (token) => {
    try {
      const body = new k8s.V1TokenReview();
      body.apiVersion = 'authentication.k8s.io/v1';
      body.kind = 'TokenReview';
      body.spec = new k8s.V1TokenReviewSpec();
      body.spec.token = token;
      body.spec.audiences = [PUSH_AUDIENCE];
      const review = await authn.createTokenReview({ body });
      const s = review.status;
      return {
        authenticated: s?.authenticated === true,
        username: s?.user?.username ?? null,
        audiences: s?.audiences ?? [],
        extra: s?.user?.extra ?? {},
        error: null,
      };
    } catch (err) {
      return { authenticated: false, username: null, audiences: [], extra: {}, error: errorText(err) };
    }
  };
}
