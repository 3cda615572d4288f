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
import type { ReportStore } from '../../lib/extender/report-store.ts';
import { BerthError } from '../../lib/core/errors.ts';
import type { ClusterView } from '../../lib/extender/ports.ts';
import type { ReportAuthenticator } from '../../lib/extender/ports.ts';
import type { ClaimSource } from '../../lib/cluster/routing.ts';
import { apiClaimSource } from './claim-source.ts';
import { errorText, loadClientNode, loadKubeConfig, type K8s, type KubeConfig } from '../common/client-node.ts';
import type { Logger } from '../common/log.ts';
import { ApiClient } from './api-get.ts';
import { createInformers } from './informers.ts';
import { registerKubeMetrics } from './metrics.ts';
import type { Informer } from './supervised-informer.ts';
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
  informers(): readonly Informer[];
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
  let informers: Informer[] = [];
  let expiry: NodeJS.Timeout | null = null;
  let requeue: Requeuer | null = null;
  let api: ApiClient | null = null;
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
      api = new ApiClient(kc);
      informers = createInformers({
        api,
        state,
        store,
        watchdogTimeoutMs: kube.watchdogTimeoutMs,
        resyncPeriodMs: kube.resyncPeriodMs,
        now,
        random,
        log: logTo,
        invalidReport: () => {
          metrics.invalidReports.inc();
        },
        podEvent: (key, pod, removed) => {
          requeue?.podEvent(key, pod, removed);
        },
        reportAccepted: (node, before) => {
          requeue?.reportAccepted(node, before);
        },
      });
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
      api?.close();
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
