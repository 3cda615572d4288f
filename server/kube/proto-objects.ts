/**
 * The fields berth reads of a Pod, a PersistentVolumeClaim and a StorageClass, straight from their protobuf
 * messages (proto-wire.ts); everything else is skipped by length. The results go through the same builders as the
 * JSON path (PodProjector.record, claimFactsOf), so both encodings give identical projections
 * (test/server/kube/proto-objects.test.ts checks objects recorded from kube-apiserver in both).
 */
import type { PodFields } from '../../lib/extender/pod.ts';
import { BETA_CLASS_ANNOTATION, SELECTED_NODE, type ClaimFields } from '../../lib/cluster/claim-volumes.ts';
import { ProtoReader } from './proto-wire.ts';

export interface MetaFields {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels: [string, string][];
  annotations: [string, string][];
  controllerUid: string | null;
}

/** A map<string,string> entry: {1 key, 2 value}; the value is decoded only when `keep(key)`. */
function mapEntry(r: ProtoReader, keep: (key: string) => boolean): [string, string] | null {
  let key: string | null = null;
  let value: string | null = null;
  while (r.next()) {
    if (r.field === 1) key = r.string();
    else if (r.field === 2 && (key === null || keep(key))) value = r.string();
    else r.skip();
  }
  return key !== null && keep(key) ? [key, value ?? ''] : null;
}

/** OwnerReference {4 uid, 6 controller}: the uid when it is the controller. */
function controllerOf(r: ProtoReader): string | null {
  let uid = '';
  let controller = false;
  while (r.next()) {
    if (r.field === 4) uid = r.string();
    else if (r.field === 6) controller = r.bool();
    else r.skip();
  }
  return controller && uid !== '' ? uid : null;
}

const ALL = (): boolean => true;

/** ObjectMeta {1 name, 3 namespace, 5 uid, 6 resourceVersion, 11 labels, 12 annotations, 13 ownerReferences}. */
export function objectMeta(
  r: ProtoReader,
  opts: { labels: boolean; annotation: (key: string) => boolean },
): MetaFields {
  const m: MetaFields = {
    name: '',
    namespace: '',
    uid: '',
    resourceVersion: '',
    labels: [],
    annotations: [],
    controllerUid: null,
  };
  while (r.next()) {
    switch (r.field) {
      case 1:
        m.name = r.string();
        break;
      case 3:
        m.namespace = r.string();
        break;
      case 5:
        m.uid = r.string();
        break;
      case 6:
        m.resourceVersion = r.string();
        break;
      case 11: {
        const e = opts.labels ? mapEntry(r.sub(), ALL) : (r.skip(), null);
        if (e !== null) m.labels.push(e);
        break;
      }
      case 12: {
        const e = mapEntry(r.sub(), opts.annotation);
        if (e !== null) m.annotations.push(e);
        break;
      }
      case 13:
        m.controllerUid ??= controllerOf(r.sub());
        break;
      default:
        r.skip(); // managedFields (17) above all: most of a pod's bytes
    }
  }
  return m;
}

/** Only the resourceVersion of an object (any type: metadata is field 1 everywhere), e.g. a BOOKMARK's. */
export function resourceVersionOf(message: Buffer): string {
  const r = new ProtoReader(message);
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const meta = r.sub();
    while (meta.next()) {
      if (meta.field === 6) return meta.string();
      meta.skip();
    }
  }
  return '';
}

/** Volume {2 volumeSource {10 persistentVolumeClaim {1 claimName}}}. */
function claimNameOf(r: ProtoReader): string | null {
  while (r.next()) {
    if (r.field !== 2) {
      r.skip();
      continue;
    }
    const source = r.sub();
    while (source.next()) {
      if (source.field !== 10) {
        source.skip();
        continue;
      }
      const pvc = source.sub();
      while (pvc.next()) {
        if (pvc.field === 1) return pvc.string() || null;
        pvc.skip();
      }
    }
  }
  return null;
}

/** Pod {1 metadata, 2 spec {1 volumes, 10 nodeName}, 3 status {1 phase}}. */
export function podFields(
  message: Buffer,
  isBerthAnnotation: (key: string) => boolean,
): {
  fields: PodFields;
  resourceVersion: string;
} {
  const r = new ProtoReader(message);
  let meta: MetaFields | null = null;
  const claimNames: string[] = [];
  let nodeName = '';
  let phase = '';
  while (r.next()) {
    if (r.field === 1) meta = objectMeta(r.sub(), { labels: true, annotation: isBerthAnnotation });
    else if (r.field === 2) {
      const spec = r.sub();
      while (spec.next()) {
        if (spec.field === 1) {
          const claim = claimNameOf(spec.sub());
          if (claim !== null) claimNames.push(claim);
        } else if (spec.field === 10) nodeName = spec.string();
        else spec.skip();
      }
    } else if (r.field === 3) {
      const status = r.sub();
      while (status.next()) {
        if (status.field === 1) phase = status.string();
        else status.skip();
      }
    } else r.skip();
  }
  const m = meta ?? objectMeta(new ProtoReader(Buffer.alloc(0)), { labels: false, annotation: ALL });
  return {
    fields: {
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      labels: m.labels,
      annotations: m.annotations,
      controllerUid: m.controllerUid,
      claimNames,
      nodeName,
      phase,
    },
    resourceVersion: m.resourceVersion,
  };
}

const CLAIM_ANNOTATIONS = new Set([SELECTED_NODE, BETA_CLASS_ANNOTATION]);

/** PersistentVolumeClaim {1 metadata, 2 spec {2 resources {2 requests}, 3 volumeName, 5 storageClassName}}. */
export function claimFields(message: Buffer): { fields: ClaimFields; resourceVersion: string } {
  const r = new ProtoReader(message);
  let meta: MetaFields | null = null;
  let storageClassName = '';
  let volumeName = '';
  let storage = '';
  while (r.next()) {
    if (r.field === 1) meta = objectMeta(r.sub(), { labels: false, annotation: (k) => CLAIM_ANNOTATIONS.has(k) });
    else if (r.field === 2) {
      const spec = r.sub();
      while (spec.next()) {
        if (spec.field === 5) storageClassName = spec.string();
        else if (spec.field === 3) volumeName = spec.string();
        else if (spec.field === 2) storage = requestedStorage(spec.sub()) ?? storage;
        else spec.skip();
      }
    } else r.skip();
  }
  const annotation = (k: string): string => meta?.annotations.find(([key]) => key === k)?.[1] ?? '';
  return {
    fields: {
      namespace: meta?.namespace ?? '',
      name: meta?.name ?? '',
      uid: meta?.uid ?? '',
      storageClassName,
      betaClass: annotation(BETA_CLASS_ANNOTATION),
      storage,
      volumeName,
      selectedNode: annotation(SELECTED_NODE),
    },
    resourceVersion: meta?.resourceVersion ?? '',
  };
}

/** VolumeResourceRequirements {2 requests: map<string, Quantity {1 string}>} → requests["storage"]. */
function requestedStorage(r: ProtoReader): string | null {
  let found: string | null = null;
  while (r.next()) {
    if (r.field !== 2) {
      r.skip();
      continue;
    }
    const entry = r.sub();
    let key = '';
    let value = '';
    while (entry.next()) {
      if (entry.field === 1) key = entry.string();
      else if (entry.field === 2) {
        const q = entry.sub();
        while (q.next()) {
          if (q.field === 1) value = q.string();
          else q.skip();
        }
      } else entry.skip();
    }
    if (key === 'storage') found = value;
  }
  return found;
}

/** StorageClass {1 metadata, 2 provisioner}. */
export function classFields(message: Buffer): { name: string; provisioner: string; resourceVersion: string } {
  const r = new ProtoReader(message);
  let name = '';
  let rv = '';
  let provisioner = '';
  while (r.next()) {
    if (r.field === 1) {
      const m = objectMeta(r.sub(), { labels: false, annotation: () => false });
      name = m.name;
      rv = m.resourceVersion;
    } else if (r.field === 2) provisioner = r.string();
    else r.skip();
  }
  return { name, provisioner, resourceVersion: rv };
}
