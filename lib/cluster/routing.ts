/**
 * Automatic routing: whether a pod being created should be sent to berth, decided once at admission. kube-scheduler
 * asks berth only about pods that request the marker resource (`managedResources` in its configuration), so a pod
 * that needs berth but lacks the marker is placed with no NVMe, bandwidth or latency check at all. The admission
 * webhook (server/http/admission.ts) adds the marker to such pods; this file is the whole rule:
 *
 *   1. a pod that already requests the marker, or is already bound to a node, is left alone;
 *   2. a pod carrying any berth.io need annotation (ANNOTATIONS) is routed: berth judges it, and an invalid value
 *      shows up as berth's reason on every node instead of being ignored;
 *   3. a pod mounting an unbound claim of a local-NVMe StorageClass (by name or provisioner, the extender's
 *      --nvme-storage-classes / --nvme-provisioners) is routed: berth derives its NVMe need from that claim;
 *   4. anything else is left alone.
 *
 * The MutatingAdmissionPolicy in manifests/admission/ applies rules 1 and 2 inside the API server (CEL cannot read
 * a claim's StorageClass, so rule 3 needs the webhook); test/lib/cluster/routing.test.ts pins both to this file.
 *
 * The marker goes into the first container as a limit and an equal request ("1"): an extended resource must have
 * a limit, and its request must equal it. No node advertises it; kube-scheduler ignores it for fit
 * (`ignoredByScheduler: true`) and the kubelet drops extended resources its node does not have before admitting.
 */
import { isRecord } from '../core/check.ts';
import { NEED_ANNOTATIONS } from '../extender/needs.ts';
import { podFacts, type PodFacts } from '../extender/pod.ts';
import { claimKey, isNvmeClass, type ClaimFacts, type ClassFacts, type NvmeClassMatch } from './claim-volumes.ts';

/** The resource kube-scheduler's managedResources lists for berth (manifests/scheduler/extender-config.yaml). */
export const MARKER = 'berth.io/managed';
export { NEED_ANNOTATIONS };

export interface RoutingFacts {
  readonly pod: PodFacts;
  /** Some container or init container already requests or limits the marker. */
  readonly marked: boolean;
  readonly containerCount: number;
  /** What the first container's `resources` already has, so the patch adds exactly the missing levels. */
  readonly first: { readonly resources: boolean; readonly limits: boolean; readonly requests: boolean };
}

/** One JSON Patch (RFC 6902) operation; the webhook only ever adds. */
export interface PatchOp {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

export type Routing =
  | { readonly route: true; readonly reason: string; readonly patch: readonly PatchOp[] }
  | { readonly route: false; readonly reason: string };

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function hasMarker(container: unknown): boolean {
  const resources = isRecord(container) ? container['resources'] : undefined;
  if (!isRecord(resources)) return false;
  const { limits, requests } = resources;
  return (isRecord(limits) && MARKER in limits) || (isRecord(requests) && MARKER in requests);
}

/** Reads what routing needs from a v1 Pod (as an AdmissionReview carries it). */
export function routingFacts(pod: Readonly<Record<string, unknown>>): RoutingFacts {
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  const containers = list(spec['containers']);
  const marked = [...containers, ...list(spec['initContainers'])].some(hasMarker);
  const first = containers[0];
  const resources = isRecord(first) ? first['resources'] : undefined;
  return {
    pod: podFacts(pod),
    marked,
    containerCount: containers.length,
    first: {
      resources: isRecord(resources),
      limits: isRecord(resources) && isRecord(resources['limits']),
      requests: isRecord(resources) && isRecord(resources['requests']),
    },
  };
}

function settled(f: RoutingFacts): Routing | null {
  if (f.containerCount === 0) return { route: false, reason: 'the pod has no containers' };
  if (f.marked) return { route: false, reason: `already requests ${MARKER}` };
  if (f.pod.nodeName !== null)
    return { route: false, reason: `already bound to node ${f.pod.nodeName}: kube-scheduler never sees it` };
  const annotation = NEED_ANNOTATIONS.find((a) => a in f.pod.annotations);
  if (annotation !== undefined) return { route: true, reason: `carries ${annotation}`, patch: markerPatch(f) };
  return null;
}

/** The claims the decision still depends on: none when the pod itself already decides (rules 1 and 2). */
export function claimsToLookUp(f: RoutingFacts): readonly string[] {
  return settled(f) === null ? f.pod.claimNames : [];
}

/**
 * The decision. `claims` holds what was found for each name claimsToLookUp returned (null: no such claim, or it
 * could not be read); `classOf` the StorageClasses those claims name.
 */
export function decideRouting(
  f: RoutingFacts,
  claims: ReadonlyMap<string, ClaimFacts | null>,
  classOf: (name: string) => ClassFacts | undefined,
  match: NvmeClassMatch,
): Routing {
  const early = settled(f);
  if (early !== null) return early;
  for (const name of f.pod.claimNames) {
    const claim = claims.get(name) ?? null;
    if (claim === null || claim.volumeName !== null || claim.storageClass === null) continue;
    const cls = classOf(claim.storageClass);
    if (!isNvmeClass(claim.storageClass, cls, match)) continue;
    const by = match.classes.includes(claim.storageClass)
      ? `StorageClass ${claim.storageClass}`
      : `StorageClass ${claim.storageClass} (provisioner ${cls?.provisioner ?? '?'})`;
    return {
      route: true,
      reason: `mounts unbound local-NVMe claim ${claimKey(f.pod.namespace, name)} of ${by}`,
      patch: markerPatch(f),
    };
  }
  return { route: false, reason: 'no berth.io need annotation and no unbound local-NVMe claim' };
}

/** RFC 6901: "~" and "/" in a key are escaped. */
function pointerKey(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Adds the marker as limit and request of the first container, creating only the levels that are missing. */
export function markerPatch(f: RoutingFacts): PatchOp[] {
  const base = '/spec/containers/0/resources';
  const one = { [MARKER]: '1' };
  if (!f.first.resources) return [{ op: 'add', path: base, value: { limits: one, requests: one } }];
  return (['limits', 'requests'] as const).map((level) =>
    f.first[level]
      ? { op: 'add', path: `${base}/${level}/${pointerKey(MARKER)}`, value: '1' }
      : { op: 'add', path: `${base}/${level}`, value: one },
  );
}

/**
 * Where the webhook learns about claims and StorageClasses: the Kubernetes side answers from its informers and,
 * for a claim created a moment ago that they have not delivered yet, from the API server. Absent in standalone
 * mode, where only annotations route a pod.
 */
export interface ClaimSource {
  readonly match: NvmeClassMatch;
  /** The claim, or null when it does not exist (or cannot be read: then `error` says why). */
  claim(namespace: string, name: string): Promise<{ readonly claim: ClaimFacts | null; readonly error?: string }>;
  storageClass(name: string): Promise<ClassFacts | undefined>;
}
