/**
 * The few facts berth reads from a v1.Pod, pulled out once per request. kube-scheduler sends the Pod with normal
 * lowerCamel JSON keys (docs/protocol.md, "Wire format"); anything berth does not read is left alone.
 */
import { isRecord } from '../core/check.ts';

export interface PodFacts {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** uid of the controlling owner (StatefulSet, ReplicaSet…), the default peer group. */
  readonly controllerUid: string | null;
  /** PersistentVolumeClaim names the pod mounts, in spec order. */
  readonly claimNames: readonly string[];
  readonly nodeName: string | null;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function stringMap(v: unknown): Readonly<Record<string, string>> {
  if (!isRecord(v)) return EMPTY;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function controllerUid(owners: unknown): string | null {
  if (!Array.isArray(owners)) return null;
  for (const o of owners) if (isRecord(o) && o['controller'] === true && typeof o['uid'] === 'string') return o['uid'];
  return null;
}

function claimNames(volumes: unknown): string[] {
  if (!Array.isArray(volumes)) return [];
  const out: string[] = [];
  for (const v of volumes) {
    const claim =
      isRecord(v) && isRecord(v['persistentVolumeClaim']) ? v['persistentVolumeClaim']['claimName'] : undefined;
    if (typeof claim === 'string' && claim !== '') out.push(claim);
  }
  return out;
}

/** Reads the pod's facts. The caller has already checked that `pod.metadata` is an object. */
export function podFacts(pod: Readonly<Record<string, unknown>>): PodFacts {
  const meta = isRecord(pod['metadata']) ? pod['metadata'] : {};
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  const nodeName = str(spec['nodeName']);
  return {
    namespace: str(meta['namespace']) || 'default',
    name: str(meta['name']),
    uid: str(meta['uid']),
    labels: stringMap(meta['labels']),
    annotations: stringMap(meta['annotations']),
    controllerUid: controllerUid(meta['ownerReferences']),
    claimNames: claimNames(spec['volumes']),
    nodeName: nodeName === '' ? null : nodeName,
  };
}
