/**
 * The four collections the extender watches, and what it keeps of each object: a projection made on arrival from
 * whichever encoding the API server sent (protobuf for built-in types, JSON for the NodeReport custom resource),
 * so the raw object is never kept. Cluster-wide LIST and WATCH are all the extender's RBAC allows
 * (manifests/rbac/extender.yaml). PersistentVolumes are not watched: a claim's own spec.volumeName says it is
 * bound, and bound local volumes already pin pods through VolumeBinding.
 */
import {
  claimFacts,
  claimFactsOf,
  claimKey,
  type ClaimFacts,
  type ClassFacts,
} from '../../lib/cluster/claim-volumes.ts';
import { BERTH_ANNOTATION_PREFIX, Interner, PodProjector, type PodRecord } from '../../lib/extender/pod.ts';
import { isRecord, type Checked } from '../../lib/core/check.ts';
import {
  NODE_REPORT_GROUP,
  NODE_REPORT_PLURAL,
  NODE_REPORT_VERSION,
  reportFromObject,
  statusWrittenAtMs,
} from '../../lib/core/node-report-resource.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import { claimFields, classFields, podFields } from './proto-objects.ts';

export type ResourceName = 'nodereports' | 'pods' | 'persistentvolumeclaims' | 'storageclasses';

/** One object as kept: its key in the collection, the resourceVersion to resume a watch from, the projection. */
export interface Projected<T> {
  readonly key: string;
  readonly resourceVersion: string;
  readonly value: T;
}

export interface ResourceCodec<T> {
  readonly resource: ResourceName;
  /** Collection path, e.g. /api/v1/pods. */
  readonly path: string;
  /** Ask for protobuf (built-in types); JSON is always accepted too. */
  readonly protobuf: boolean;
  readonly fieldSelector: string | null;
  fromJson(obj: unknown): Projected<T> | null;
  fromProto(message: Buffer): Projected<T> | null;
}

/** A NodeReport as read on arrival: the report validated, and when the API server took its status write. */
export interface ReportArrival {
  readonly name: string;
  readonly parsed: Checked<NodeReport | null>;
  readonly writtenAtMs: number | null;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function metaOf(obj: unknown): Record<string, unknown> {
  return isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
}

/**
 * Finished pods are left out by the API server: berth reads nothing from them (they are not peers, and their
 * bindings and holds end when they finish), and a pod that finishes leaves through a DELETED event, which ends
 * them the same way.
 */
export const UNFINISHED_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

export function podCodec(projector: PodProjector): ResourceCodec<PodRecord> {
  const isBerth = (k: string): boolean => k.startsWith(BERTH_ANNOTATION_PREFIX);
  const projected = (value: PodRecord | null, rv: string): Projected<PodRecord> | null =>
    value === null ? null : { key: `${value.namespace}/${value.name}`, resourceVersion: rv, value };
  return {
    resource: 'pods',
    path: '/api/v1/pods',
    protobuf: true,
    fieldSelector: UNFINISHED_PODS,
    fromJson: (obj) => projected(projector.fromObject(obj), text(metaOf(obj)['resourceVersion'])),
    fromProto: (message) => {
      const { fields, resourceVersion } = podFields(message, isBerth);
      return projected(projector.record(fields), resourceVersion);
    },
  };
}

export function claimCodec(intern: Interner): ResourceCodec<ClaimFacts> {
  const projected = (value: ClaimFacts | null, rv: string): Projected<ClaimFacts> | null =>
    value === null ? null : { key: claimKey(value.namespace, value.name), resourceVersion: rv, value };
  const get = (s: string): string => intern.get(s);
  return {
    resource: 'persistentvolumeclaims',
    path: '/api/v1/persistentvolumeclaims',
    protobuf: true,
    fieldSelector: null,
    fromJson: (obj) => projected(claimFacts(obj, get), text(metaOf(obj)['resourceVersion'])),
    fromProto: (message) => {
      const { fields, resourceVersion } = claimFields(message);
      return projected(claimFactsOf(fields, get), resourceVersion);
    },
  };
}

export function classCodec(): ResourceCodec<ClassFacts> {
  const projected = (name: string, provisioner: string, rv: string): Projected<ClassFacts> | null =>
    name === '' ? null : { key: name, resourceVersion: rv, value: { name, provisioner } };
  return {
    resource: 'storageclasses',
    path: '/apis/storage.k8s.io/v1/storageclasses',
    protobuf: true,
    fieldSelector: null,
    fromJson: (obj) =>
      projected(
        text(metaOf(obj)['name']),
        isRecord(obj) ? text(obj['provisioner']) : '',
        text(metaOf(obj)['resourceVersion']),
      ),
    fromProto: (message) => {
      const c = classFields(message);
      return projected(c.name, c.provisioner, c.resourceVersion);
    },
  };
}

/** NodeReports are a custom resource: JSON only. The status is validated here, once, and the object dropped. */
export function reportCodec(): ResourceCodec<ReportArrival> {
  return {
    resource: 'nodereports',
    path: `/apis/${NODE_REPORT_GROUP}/${NODE_REPORT_VERSION}/${NODE_REPORT_PLURAL}`,
    protobuf: false,
    fieldSelector: null,
    fromJson: (obj) => {
      const meta = metaOf(obj);
      const name = text(meta['name']);
      if (name === '') return null;
      const value = { name, parsed: reportFromObject(obj), writtenAtMs: statusWrittenAtMs(obj) };
      return { key: name, resourceVersion: text(meta['resourceVersion']), value };
    },
    fromProto: () => null,
  };
}
