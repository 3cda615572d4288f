/**
 * `berth explain`'s one call into the engine: the objects read from the API server go through exactly what the
 * extender runs — the report store (freshness by when the API server took the status write, as the extender's
 * informer judges it), the cluster state (claims, StorageClasses, peers, reservations for claims being
 * provisioned), podFacts and podNeeds, the RequestContext as server/http/context.ts builds it, and explainNodes.
 * This is the only file of server/explain that knows the engine's internals.
 */
import { ClusterState } from '../../lib/cluster/cluster-state.ts';
import { reportFromObject, statusWrittenAtMs } from '../../lib/core/node-report-resource.ts';
import type { ExtenderConfig } from '../../lib/extender/config.ts';
import { explainNodes, type Explanation } from '../../lib/extender/explain.ts';
import { podNeeds } from '../../lib/extender/needs.ts';
import { podFacts } from '../../lib/extender/pod.ts';
import { ReportStore } from '../../lib/extender/report-store.ts';
import { requestContext } from '../../lib/extender/request.ts';
import { describeProblems } from '../../lib/core/check.ts';

/** What berth explain read: plain JSON or client-node models, read by the same readers the informers feed. */
export interface ClusterSnapshot {
  readonly pod: Readonly<Record<string, unknown>>;
  /** Nodes to judge, as kube-scheduler could offer them. */
  readonly nodes: readonly string[];
  readonly reports: readonly unknown[];
  readonly claims: readonly unknown[];
  readonly classes: readonly unknown[];
  /** Pods of the pod's namespace: where its peers run. */
  readonly pods: readonly unknown[];
}

export type ReportState =
  | { readonly state: 'fresh' | 'stale'; readonly writtenAtMs: number; readonly ageMs: number }
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly problem: string };

export interface Judged {
  /** null when the pod's annotations are invalid: then `needsError` says why (berth rejects every node with it). */
  readonly explanation: Explanation | null;
  readonly needsError: string | null;
  readonly reports: ReadonlyMap<string, ReportState>;
}

/** As the extender's Kubernetes side: agent and API server clocks agree to well under this. */
const CLOCK_SKEW_MS = 1_000;

function nameOf(obj: unknown): string | null {
  const meta =
    typeof obj === 'object' && obj !== null ? (obj as { metadata?: { name?: unknown } }).metadata : undefined;
  return typeof meta?.name === 'string' ? meta.name : null;
}

function loadReports(
  objects: readonly unknown[],
  store: ReportStore,
  state: ClusterState,
  config: ExtenderConfig,
  nowMs: number,
): Map<string, ReportState> {
  const states = new Map<string, ReportState>();
  for (const obj of objects) {
    const name = nameOf(obj);
    if (name === null) continue;
    const parsed = reportFromObject(obj);
    if (!parsed.ok) {
      states.set(name, { state: 'invalid', problem: describeProblems(parsed.problems.slice(0, 5)) });
      continue;
    }
    if (parsed.value === null) continue; // created, never reported: the same as no report
    const written = statusWrittenAtMs(obj);
    const receivedAt = written === null ? nowMs : Math.min(nowMs, written);
    store.ingest(parsed.value, receivedAt);
    state.reportArrived(parsed.value.node, parsed.value.takenAt);
    const ageMs = nowMs - receivedAt;
    states.set(name, { state: ageMs > config.policy.reportTtlMs ? 'stale' : 'fresh', writtenAtMs: receivedAt, ageMs });
  }
  return states;
}

export function judge(snapshot: ClusterSnapshot, config: ExtenderConfig, nowMs: number): Judged {
  const kube = config.kube;
  const state = new ClusterState({
    match: kube?.nvmeClasses ?? { classes: [], provisioners: [] },
    ledger: { ttlMs: kube?.reservationTtlMs ?? 300_000, provisionalTtlMs: 0, clockSkewMs: CLOCK_SKEW_MS },
  });
  for (const c of snapshot.classes) state.storageClass(c);
  for (const c of snapshot.claims) state.claim(c, nowMs, true);
  for (const p of snapshot.pods) state.pod(p, nowMs, true);
  const store = new ReportStore();
  const reports = loadReports(snapshot.reports, store, state, config, nowMs);
  for (const node of snapshot.nodes) if (!reports.has(node)) reports.set(node, { state: 'missing' });

  const facts = podFacts(snapshot.pod);
  const needs = podNeeds(facts, state.claimVolumes(facts));
  if (!needs.ok) return { explanation: null, needsError: needs.reason, reports };
  const ctx = requestContext(store, {
    nowMs,
    policy: config.policy,
    needs: needs.needs,
    reservations: state.reservations(),
    peerNodes: needs.needs.peers === null ? [] : state.peerNodes(needs.needs.peers, facts),
  });
  const explanation = explainNodes({ namespace: facts.namespace, name: facts.name }, snapshot.nodes, ctx);
  return { explanation, needsError: null, reports };
}
