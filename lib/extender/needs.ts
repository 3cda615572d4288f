/**
 * A pod's needs: what berth must find on a node for it. Annotations state them directly; the Kubernetes side adds
 * NVMe volumes derived from the pod's unbound local-NVMe PVCs (`claimVolumes`). An annotation overrides what the
 * PVCs imply, so an operator can always correct a derived need.
 */
import type { PodFacts } from './pod.ts';
import { parseSelector, type LabelSelector } from '../core/selector.ts';
import { quoteBounded } from '../core/quote.ts';
import { MAX_UNIT_TEXT, parseDurationUs, parseQuantity } from '../core/units.ts';

export const ANNOTATIONS = Object.freeze({
  nvmeCapacity: 'berth.io/nvme-capacity',
  minBandwidth: 'berth.io/min-bandwidth',
  maxPeerLatency: 'berth.io/max-peer-latency',
  peers: 'berth.io/peers',
  coLocation: 'berth.io/co-location',
});

/** The annotations that state a need: a pod carrying any of them is one berth judges (co-location is not one). */
export const NEED_ANNOTATIONS: readonly string[] = Object.freeze([
  ANNOTATIONS.nvmeCapacity,
  ANNOTATIONS.minBandwidth,
  ANNOTATIONS.maxPeerLatency,
  ANNOTATIONS.peers,
]);

/** berth.io/co-location values: avoid (the default) keeps replicas of a peer group on distinct nodes. */
export const CO_LOCATION = Object.freeze(['avoid', 'allow'] as const);

/** Which pods are this pod's peers: its replicas, for latency and for keeping them on distinct nodes. */
export type PeerRule =
  | { readonly kind: 'selector'; readonly namespace: string; readonly selector: LabelSelector }
  | { readonly kind: 'controller'; readonly namespace: string; readonly uid: string };

export interface Needs {
  /** One entry per volume, in bytes; each volume must fit in a single NVMe pool. */
  readonly nvmeVolumes: readonly number[];
  readonly minBandwidthBps: number | null;
  readonly maxPeerLatencyUs: number | null;
  /** The pod's peer group: its berth.io/peers selector, else the pods of its controller; null when it has neither. */
  readonly peers: PeerRule | null;
  /** The pod asked for the latency term (berth.io/peers, or berth.io/max-peer-latency with a peer group). */
  readonly latency: boolean;
  /** berth.io/co-location: allow. Otherwise berth keeps the pod off nodes that run its peers, where it can. */
  readonly coLocate: boolean;
}

export type NeedsResult =
  { readonly ok: true; readonly needs: Needs } | { readonly ok: false; readonly reason: string };

export const NO_NEEDS: Needs = Object.freeze({
  nvmeVolumes: [],
  minBandwidthBps: null,
  maxPeerLatencyUs: null,
  peers: null,
  latency: false,
  coLocate: false,
});

/** Whether berth has an opinion about the pod. A peer group alone is not one: berth judges pods that ask. */
export function hasNeeds(n: Needs): boolean {
  return n.nvmeVolumes.length > 0 || n.minBandwidthBps !== null || n.latency;
}

/** Whether judging the pod reads where its peers run: for the latency term, or to keep replicas apart. */
export function wantsPeers(n: Needs): boolean {
  return n.peers !== null && hasNeeds(n) && (n.latency || !n.coLocate);
}

export function totalNvme(n: Needs): number {
  let sum = 0;
  for (const v of n.nvmeVolumes) sum += v;
  return sum;
}

/** The value is quoted cut short: this reason is repeated for every candidate node in the filter answer. */
function invalid(key: string, value: string, expected: string): NeedsResult {
  return { ok: false, reason: `invalid annotation ${key}=${quoteBounded(value)}: ${expected}` };
}

function tooLong(value: string): string {
  return value.length > MAX_UNIT_TEXT ? ` of at most ${MAX_UNIT_TEXT} characters` : '';
}

function positiveQuantity(value: string): number | null {
  const q = parseQuantity(value);
  return q !== null && q > 0 ? q : null;
}

/**
 * Derives the needs of a pod. `claimVolumes` are the sizes of its unbound local-NVMe claims (empty in standalone
 * mode, where no PVCs are visible).
 */
export function podNeeds(pod: PodFacts, claimVolumes: readonly number[] = []): NeedsResult {
  const a = pod.annotations;
  let nvmeVolumes: readonly number[] = claimVolumes;
  const cap = a[ANNOTATIONS.nvmeCapacity];
  if (cap !== undefined) {
    const bytes = positiveQuantity(cap);
    if (bytes === null)
      return invalid(ANNOTATIONS.nvmeCapacity, cap, `expected a positive quantity${tooLong(cap)} such as 200Gi`);
    nvmeVolumes = [bytes];
  }
  let minBandwidthBps: number | null = null;
  const bw = a[ANNOTATIONS.minBandwidth];
  if (bw !== undefined) {
    minBandwidthBps = positiveQuantity(bw);
    if (minBandwidthBps === null)
      return invalid(
        ANNOTATIONS.minBandwidth,
        bw,
        `expected bits per second as a positive quantity${tooLong(bw)} such as 10G`,
      );
  }
  let maxPeerLatencyUs: number | null = null;
  const lat = a[ANNOTATIONS.maxPeerLatency];
  if (lat !== undefined) {
    maxPeerLatencyUs = parseDurationUs(lat);
    if (maxPeerLatencyUs === null || maxPeerLatencyUs <= 0)
      return invalid(
        ANNOTATIONS.maxPeerLatency,
        lat,
        `expected a positive duration${tooLong(lat)} such as 500us or 2ms`,
      );
  }
  let peers: PeerRule | null = null;
  const sel = a[ANNOTATIONS.peers];
  if (sel !== undefined) {
    const parsed = parseSelector(sel);
    if (typeof parsed === 'string') return invalid(ANNOTATIONS.peers, sel, parsed);
    peers = { kind: 'selector', namespace: pod.namespace, selector: parsed };
  } else if (pod.controllerUid !== null) {
    peers = { kind: 'controller', namespace: pod.namespace, uid: pod.controllerUid };
  }
  const co = a[ANNOTATIONS.coLocation];
  if (co !== undefined && !(CO_LOCATION as readonly string[]).includes(co))
    return invalid(ANNOTATIONS.coLocation, co, `expected ${CO_LOCATION.join(' or ')}`);
  const latency = sel !== undefined || (maxPeerLatencyUs !== null && peers !== null);
  const needs = { nvmeVolumes, minBandwidthBps, maxPeerLatencyUs, peers, latency, coLocate: co === 'allow' };
  return { ok: true, needs };
}
