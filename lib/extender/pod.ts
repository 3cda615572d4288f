/**
 * The few facts berth reads from a v1.Pod. Two readers:
 *
 *   podFacts(pod)          the pod in a filter/prioritize request (kube-scheduler sends normal lowerCamel JSON,
 *                          docs/protocol.md, "Wire format"), once per request;
 *   PodProjector.record()  every pod the informer sees, kept for as long as the pod exists. This is the whole of
 *                          what berth holds per pod, so it keeps only the nine fields berth reads (namespace, name,
 *                          uid, labels, berth.io/ annotations, controller uid, claim names, node, whether finished)
 *                          and shares what repeats: strings (namespaces, nodes, label keys and values, owner
 *                          uids) and whole label and annotation sets (label-sets.ts: a Deployment's replicas).
 *                          Arrays are copied to their length: a decoder's pushed-to array keeps room for 17.
 */
import { isRecord } from '../core/check.ts';
import { LabelSets, sameStrings } from './label-sets.ts';

export { sameStrings };

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

/** What the informer keeps of a pod (its key, namespace/name, is the map's). */
export interface PodRecord extends PodFacts {
  /** Succeeded or Failed: no longer runs anywhere. */
  readonly terminal: boolean;
}

/** The raw fields of a pod as a decoder found them (JSON or protobuf), before the projector keeps them. */
export interface PodFields {
  namespace: string;
  name: string;
  uid: string;
  labels: [string, string][];
  /** Only berth.io/ annotations need to be passed; others are dropped anyway. */
  annotations: [string, string][];
  controllerUid: string | null;
  claimNames: string[];
  nodeName: string;
  phase: string;
}

export const BERTH_ANNOTATION_PREFIX = 'berth.io/';

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
const NO_CLAIMS: readonly string[] = Object.freeze([]);

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

/** Whether two records say the same (a relist sends every object again; most have not changed). */
export function samePodRecord(a: PodRecord, b: PodRecord): boolean {
  return (
    a.name === b.name &&
    a.namespace === b.namespace &&
    a.uid === b.uid &&
    a.nodeName === b.nodeName &&
    a.terminal === b.terminal &&
    a.controllerUid === b.controllerUid &&
    a.claimNames.length === b.claimNames.length &&
    a.claimNames.every((c, i) => c === b.claimNames[i]) &&
    sameStrings(a.labels, b.labels) &&
    sameStrings(a.annotations, b.annotations)
  );
}

/**
 * One copy of each repeated string. Bounded: once full, new strings are kept as they are (correct, just not
 * shared), so a stream of unique values cannot grow it without limit.
 */
export class Interner {
  readonly #strings = new Map<string, string>();
  readonly #max: number;

  constructor(max = 200_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#strings.size;
  }

  get(s: string): string {
    const found = this.#strings.get(s);
    if (found !== undefined) return found;
    if (this.#strings.size < this.#max) this.#strings.set(s, s);
    return s;
  }
}

/** Builds PodRecords, sharing strings through one Interner and label sets through one LabelSets. */
export class PodProjector {
  readonly #intern: Interner;
  readonly #sets: LabelSets;

  constructor(intern: Interner = new Interner(), sets: LabelSets = new LabelSets()) {
    this.#intern = intern;
    this.#sets = sets;
  }

  record(f: PodFields): PodRecord | null {
    if (f.name === '') return null;
    const intern = this.#intern;
    const namespace = intern.get(f.namespace || 'default');
    const labels = this.#map(f.labels, f.name);
    const berth = f.annotations.filter(([k]) => k.startsWith(BERTH_ANNOTATION_PREFIX));
    return {
      namespace,
      name: f.name,
      uid: f.uid,
      labels,
      annotations: this.#map(berth, f.name),
      controllerUid: f.controllerUid === null ? null : intern.get(f.controllerUid),
      claimNames: f.claimNames.length === 0 ? NO_CLAIMS : f.claimNames.slice(),
      nodeName: f.nodeName === '' ? null : intern.get(f.nodeName),
      terminal: f.phase === 'Succeeded' || f.phase === 'Failed',
    };
  }

  /** The informer's JSON path: a pod as JSON.parse made it. */
  fromObject(pod: unknown): PodRecord | null {
    if (!isRecord(pod)) return null;
    const meta = isRecord(pod['metadata']) ? pod['metadata'] : {};
    const spec = isRecord(pod['spec']) ? pod['spec'] : {};
    const status = isRecord(pod['status']) ? pod['status'] : {};
    return this.record({
      namespace: str(meta['namespace']),
      name: str(meta['name']),
      uid: str(meta['uid']),
      labels: entries(meta['labels']),
      annotations: entries(meta['annotations']),
      controllerUid: controllerUid(meta['ownerReferences']),
      claimNames: claimNames(spec['volumes']),
      nodeName: str(spec['nodeName']),
      phase: str(status['phase']),
    });
  }

  /**
   * Keys and values interned; a value equal to the pod's name (the StatefulSet pod-name label) shares it, and
   * makes the set the pod's own: any other set is shared with the pods that have the same.
   */
  #map(pairs: readonly [string, string][], name: string): Readonly<Record<string, string>> {
    if (pairs.length === 0) return EMPTY;
    const out: Record<string, string> = {};
    let own = false;
    for (const [k, v] of pairs) {
      own ||= v === name;
      out[this.#intern.get(k)] = v === name ? name : this.#intern.get(v);
    }
    return own ? out : this.#sets.share(out);
  }
}

function entries(v: unknown): [string, string][] {
  if (!isRecord(v)) return [];
  const out: [string, string][] = [];
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out.push([k, val]);
  return out;
}
