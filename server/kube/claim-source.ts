/**
 * The pod-routing webhook's view of claims and StorageClasses (the ClaimSource port of lib/cluster/routing.ts).
 * The informers' cluster state answers almost always; a StatefulSet's controller creates a pod's claims a moment
 * before the pod, and the claim's watch event can arrive after the pod's admission request, so a claim the state
 * has not seen yet is read from the API server once, under a deadline shorter than the webhook's timeoutSeconds.
 * Nothing is cached from those reads: the informer delivers the same claim moments later.
 */
import type { ClusterState } from '../../lib/cluster/cluster-state.ts';
import { claimFacts, classFacts, type NvmeClassMatch } from '../../lib/cluster/claim-volumes.ts';
import type { ClaimSource } from '../../lib/cluster/routing.ts';
import { errorText, type K8s, type KubeConfig } from '../common/client-node.ts';
import { withTimeout } from '../common/with-timeout.ts';

/** Inside the webhook's timeoutSeconds (manifests/admission/pod-routing-webhook.yaml: 3 s). */
export const LOOKUP_TIMEOUT_MS = 1_500;

function notFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 404;
}

export function apiClaimSource(
  k8s: K8s,
  kc: KubeConfig,
  state: ClusterState,
  match: NvmeClassMatch,
  timeoutMs: number = LOOKUP_TIMEOUT_MS,
): ClaimSource {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  return {
    match,
    async claim(namespace, name) {
      const known = state.knownClaim(namespace, name);
      if (known !== undefined) return { claim: known };
      try {
        return {
          claim: claimFacts(
            await withTimeout(
              core.readNamespacedPersistentVolumeClaim({ name, namespace }),
              timeoutMs,
              'reading the claim',
            ),
          ),
        };
      } catch (err) {
        if (notFound(err)) return { claim: null };
        return { claim: null, error: `claim ${namespace}/${name} could not be read: ${errorText(err)}` };
      }
    },
    async storageClass(name) {
      const known = state.knownClass(name);
      if (known !== undefined) return known;
      try {
        return (
          classFacts(await withTimeout(storage.readStorageClass({ name }), timeoutMs, 'reading the StorageClass')) ??
          undefined
        );
      } catch {
        return undefined;
      }
    },
  };
}
