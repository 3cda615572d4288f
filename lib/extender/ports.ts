/**
 * The ports between the extender's HTTP side and the cluster side, as interfaces both can import without
 * importing each other. ClusterView is what the extender knows of the cluster beyond node reports: the NVMe a pod
 * claims through its PVCs, where its peers run, and what is reserved for pods in flight. Standalone mode has no
 * cluster, so it knows none of these; the Kubernetes adapter (server/kube) fills them from informers.
 */
import type { Needs, PeerRule } from './needs.ts';
import type { PodFacts } from './pod.ts';
import type { HostPriority } from './wire.ts';

export interface ClusterView {
  /** Sizes of the pod's unbound local-NVMe claims, in bytes. */
  claimVolumes(pod: PodFacts): readonly number[];
  /** Nodes that already run the pod's peers (excluding the pod itself). */
  peerNodes(rule: PeerRule, pod: PodFacts): readonly string[];
  /**
   * Volumes reserved for pods that were placed but are not yet in their node's report, by node; nodes without a
   * reservation are absent. Read once per request, not once per node.
   */
  reservations(): ReadonlyMap<string, readonly number[]>;
  /**
   * berth's prioritize answer for a pod with needs. The Kubernetes side holds the pod's volumes on its best-scored
   * nodes until the real placement shows (docs/kubernetes.md, "the race window"); standalone mode has no use for it.
   */
  scored?(pod: PodFacts, needs: Needs, scores: readonly HostPriority[]): void;
  /** kube-scheduler is judging the pod again (filter, prioritize): holds from its previous attempt are void. */
  attempt?(pod: PodFacts): void;
  /**
   * berth's filter answer for a pod with needs: the nodes it let through (kube-scheduler skips prioritize for one).
   * None means the pod was turned away: the Kubernetes side remembers it, to have it retried when a report brings
   * room (docs/kubernetes.md, "Retry when room appears").
   */
  filtered?(pod: PodFacts, needs: Needs, passed: readonly string[]): void;
  /** Whether the cluster state is synced enough to answer; with a reason when not. */
  readiness(): { readonly ready: boolean; readonly reason: string };
  /**
   * Whether the first full sync has completed. Before it berth has nothing to judge by; after it, an informer that
   * goes down leaves berth answering from what it had (readiness still drops). Absent: no sync (standalone).
   */
  initialSync?(): { readonly done: boolean; readonly reason: string };
}

const NONE: readonly number[] = Object.freeze([]);
const NO_NODES: readonly string[] = Object.freeze([]);
const NO_RESERVATIONS: ReadonlyMap<string, readonly number[]> = new Map();

export const standaloneCluster: ClusterView = Object.freeze({
  claimVolumes: () => NONE,
  peerNodes: () => NO_NODES,
  reservations: () => NO_RESERVATIONS,
  readiness: () => ({ ready: true, reason: 'standalone: no cluster to sync' }),
});

/** Decides whether a caller may push reports, and for which node; null means anyone (standalone, loopback). */
export type ReportAuthenticator = (
  authorization: string | undefined,
  node: string,
) => Promise<{ ok: true } | { ok: false; status: 401 | 403; reason: string }>;
