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
 * The informer keeps only ClaimFacts per claim, built by claimFactsOf from whichever encoding the API server used.
 */
import { isRecord } from '../core/check.ts';
import { parseQuantity } from '../core/units.ts';

export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The legacy twin of storageClassName, still honoured by the API server. */
export const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

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

/** A claim's fields as a decoder found them (JSON or protobuf); empty strings for absent ones. */
export interface ClaimFields {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly storageClassName: string;
  /** The volume.beta.kubernetes.io/storage-class annotation. */
  readonly betaClass: string;
  /** spec.resources.requests.storage as a quantity string. */
  readonly storage: string;
  readonly volumeName: string;
  /** The volume.kubernetes.io/selected-node annotation. */
  readonly selectedNode: string;
}

/** What berth keeps of a claim; null when it has no name. `intern` shares repeated strings (namespaces, nodes). */
export function claimFactsOf(f: ClaimFields, intern: (s: string) => string = (s) => s): ClaimFacts | null {
  if (f.name === '') return null;
  const storage = str(f.storage);
  const bytes = storage === null ? null : parseQuantity(storage);
  const cls = str(f.storageClassName) ?? str(f.betaClass);
  const node = str(f.selectedNode);
  return {
    namespace: intern(f.namespace || 'default'),
    name: f.name,
    uid: f.uid,
    storageClass: cls === null ? null : intern(cls),
    requestBytes: bytes !== null && bytes > 0 ? bytes : null,
    volumeName: str(f.volumeName),
    selectedNode: node === null ? null : intern(node),
  };
}

/** Reads a PersistentVolumeClaim as JSON.parse made it; null when it has no name. */
export function claimFacts(pvc: unknown, intern?: (s: string) => string): ClaimFacts | null {
  const meta = rec(rec(pvc)['metadata']);
  const spec = rec(rec(pvc)['spec']);
  const annotations = rec(meta['annotations']);
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return claimFactsOf(
    {
      namespace: text(meta['namespace']),
      name: text(meta['name']),
      uid: text(meta['uid']),
      storageClassName: text(spec['storageClassName']),
      betaClass: text(annotations[BETA_CLASS_ANNOTATION]),
      storage: text(rec(rec(spec['resources'])['requests'])['storage']),
      volumeName: text(spec['volumeName']),
      selectedNode: text(annotations[SELECTED_NODE]),
    },
    intern,
  );
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
  claimOf: (namespace: string, name: string) => ClaimFacts | undefined,
  classOf: (name: string) => ClassFacts | undefined,
  match: NvmeClassMatch,
): number[] {
  const out: number[] = [];
  for (const name of claimNames) {
    const c = claimOf(namespace, name);
    if (c === undefined || c.requestBytes === null || c.volumeName !== null || c.selectedNode !== null) continue;
    if (isNvmeClaim(c, classOf, match)) out.push(c.requestBytes);
  }
  return out;
}
