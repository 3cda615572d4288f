/**
 * NVMe needs derived from PersistentVolumeClaims. A pod's claim counts toward its NVMe need when it is unbound,
 * not yet placed, and of a local-NVMe StorageClass (matched by class name or by provisioner, from flags):
 *
 *   - bound claims (spec.volumeName set) already have a volume; VolumeBinding pins the pod to that volume's node
 *     through the PV's node affinity, so counting them again would ask for the space twice;
 *   - claims carrying volume.kubernetes.io/selected-node are being provisioned on that node; the reservation
 *     ledger holds their size there, so they are not asked for again either;
 *   - a claim berth has not seen (informer lag) or whose class it cannot match adds nothing.
 *
 * Readers take `unknown` because client-node hands over LIST results as model instances and WATCH events as plain
 * JSON; only string fields are read, so both look the same here.
 */
import { isRecord } from '../core/check.ts';
import { parseQuantity } from '../core/units.ts';

export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The legacy twin of storageClassName, still honoured by the API server. */
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export interface ClaimFacts {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly storageClass: string | null;
  /** spec.resources.requests.storage in bytes; null when absent or unreadable. */
  readonly requestBytes: number | null;
  /** spec.volumeName: the claim is bound (or being bound) to this PV. */
  readonly volumeName: string | null;
  readonly selectedNode: string | null;
}

export interface ClassFacts {
  readonly name: string;
  readonly provisioner: string;
}

export interface NvmeClassMatch {
  readonly classes: readonly string[];
  readonly provisioners: readonly string[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function rec(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

export function claimKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Reads a PersistentVolumeClaim; null when it has no name. */
export function claimFacts(pvc: unknown): ClaimFacts | null {
  const meta = rec(rec(pvc)['metadata']);
  const spec = rec(rec(pvc)['spec']);
  const name = str(meta['name']);
  if (name === null) return null;
  const annotations = rec(meta['annotations']);
  const storage = str(rec(rec(spec['resources'])['requests'])['storage']);
  const bytes = storage === null ? null : parseQuantity(storage);
  return {
    namespace: str(meta['namespace']) ?? 'default',
    name,
    uid: str(meta['uid']) ?? '',
    storageClass: str(spec['storageClassName']) ?? str(annotations[BETA_CLASS_ANNOTATION]),
    requestBytes: bytes !== null && bytes > 0 ? bytes : null,
    volumeName: str(spec['volumeName']),
    selectedNode: str(annotations[SELECTED_NODE]),
  };
}

export function classFacts(sc: unknown): ClassFacts | null {
  const name = str(rec(rec(sc)['metadata'])['name']);
  const provisioner = str(rec(sc)['provisioner']);
  return name === null ? null : { name, provisioner: provisioner ?? '' };
}

/** Whether claims of this class take local NVMe. `cls` is undefined when the StorageClass object is not known. */
export function isNvmeClass(className: string | null, cls: ClassFacts | undefined, match: NvmeClassMatch): boolean {
  if (className === null) return false;
  if (match.classes.includes(className)) return true;
  return cls !== undefined && match.provisioners.includes(cls.provisioner);
}

export function isNvmeClaim(
  claim: ClaimFacts,
  classOf: (name: string) => ClassFacts | undefined,
  match: NvmeClassMatch,
): boolean {
  return isNvmeClass(claim.storageClass, claim.storageClass === null ? undefined : classOf(claim.storageClass), match);
}

/** Sizes of the claims that still need NVMe somewhere, in the pod's volume order. */
export function claimVolumes(
  namespace: string,
  claimNames: readonly string[],
  claimOf: (key: string) => ClaimFacts | undefined,
  classOf: (name: string) => ClassFacts | undefined,
  match: NvmeClassMatch,
): number[] {
  const out: number[] = [];
  for (const name of claimNames) {
    const c = claimOf(claimKey(namespace, name));
    if (c === undefined || c.requestBytes === null || c.volumeName !== null || c.selectedNode !== null) continue;
    if (isNvmeClaim(c, classOf, match)) out.push(c.requestBytes);
  }
  return out;
}
