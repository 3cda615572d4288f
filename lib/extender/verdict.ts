/**
 * What a verdict is: the reasons a node can be rejected for, the policy and request context it is judged by, and
 * the reason texts kube-scheduler shows in the pod's events. The judging itself is the loop in judge.ts; this file
 * turns its result columns into a Rejection (only for rejected nodes, so the hot path builds no strings for nodes
 * that pass) or, for explain and tests, a self-contained NodeVerdict.
 */
import { formatBitRate, formatBytes, formatDurationUs } from '../core/units.ts';
import {
  BANDWIDTH,
  judgeSlots,
  LINK_UNKNOWN,
  NO_NVME,
  NO_REPORT,
  NVME_CAPACITY,
  PASSED,
  REPORT_STALE,
  Verdicts,
} from './judge.ts';
import { totalNvme, type Needs } from './needs.ts';
import { LINK_NONE } from './node-table.ts';
import type { PeerLatency } from './peer-latency.ts';
import type { ReportStore } from './report-store.ts';
import { headroomBps, type CapacityStrategy, type Terms, type Weights } from './score.ts';

/** Closed set of reasons a node is rejected; the `reason` label of berth_filter_rejections_total. */
export const REASON_CODES = [
  'no_report',
  'report_stale',
  'no_nvme',
  'nvme_capacity',
  'link_unknown',
  'bandwidth',
  'peer_latency',
  'invalid_needs',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Rejection {
  readonly code: ReasonCode;
  readonly message: string;
  /** true: preemption cannot help (FailedAndUnresolvableNodes); false: FailedNodes. */
  readonly unresolvable: boolean;
}

export interface Policy {
  readonly reportTtlMs: number;
  readonly stalePolicy: 'reject' | 'neutral';
  readonly strategy: CapacityStrategy;
  readonly weights: Weights;
  readonly latencyReferenceUs: number;
}

/** Everything a request is judged by, gathered once (lib/extender/request.ts). */
export interface RequestContext {
  readonly nowMs: number;
  readonly policy: Policy;
  readonly needs: Needs;
  readonly store: ReportStore;
  /** Volumes held for pods in flight, by node slot; empty in standalone mode. */
  readonly reserved: ReadonlyMap<number, readonly number[]>;
  /** Where the pod's peers already run (with repeats when several share a node), and their RTTs to candidates. */
  readonly peers: PeerLatency;
}

/** Facts behind a verdict, for explain: what each check found, null where it did not run. */
export interface VerdictFacts {
  readonly nvmeFreeBytes: number | null;
  readonly reservedBytes: number;
  readonly freeAfterBytes: number | null;
  readonly headroomBps: number | null;
  readonly meanPeerRttUs: number | null;
  readonly worstPeerNode: string | null;
  readonly worstPeerRttUs: number;
}

export interface NodeVerdict {
  readonly node: string;
  readonly rejection: Rejection | null;
  readonly terms: Terms;
  /** Integer 0..10, or null when the pod asked for no scored term. */
  readonly score: number | null;
  readonly facts: VerdictFacts;
}

const UNRESOLVABLE: readonly boolean[] = [false, true, true, true, true, false, false, true];

/** The reason kube-scheduler shows for candidate `i` of a judged request, or null when it passed. */
export function rejectionAt(ctx: RequestContext, v: Verdicts, i: number, slot: number): Rejection | null {
  const code = v.code[i] ?? PASSED;
  if (code === PASSED) return null;
  return {
    code: REASON_CODES[code - 1] ?? 'no_report',
    message: reasonText(ctx, v, i, slot, code),
    unresolvable: UNRESOLVABLE[code] ?? true,
  };
}

function reasonText(ctx: RequestContext, v: Verdicts, i: number, slot: number, code: number): string {
  const { needs, store } = ctx;
  const view = store.viewAt(slot);
  switch (code) {
    case NO_REPORT:
      return 'no report from berth agent';
    case REPORT_STALE:
      return `report stale (older than ${formatDurationUs(ctx.policy.reportTtlMs * 1000)})`;
    case NO_NVME:
    case NVME_CAPACITY:
      return nvmeText(needs, view?.nvmePools ?? [], v.reservedBytes[i] ?? 0);
    case LINK_UNKNOWN: {
      const need = formatBitRate(needs.minBandwidthBps ?? 0);
      return store.table.linkState[slot] === LINK_NONE
        ? `needs ${need} bandwidth, node reports no network interface`
        : `needs ${need} bandwidth, link speed of ${view?.link?.name ?? ''} unknown`;
    }
    case BANDWIDTH: {
      const headroom = headroomBps(store.table.linkSpeed[slot] ?? 0, store.table.linkLoad[slot] ?? 0);
      return `needs ${formatBitRate(needs.minBandwidthBps ?? 0)} bandwidth, ${formatBitRate(headroom)} headroom on ${view?.link?.name ?? ''}`;
    }
    default: {
      // PEER_LATENCY
      const peer = ctx.peers.refs[v.worstPeer[i] ?? -1]?.node ?? '';
      return `needs ≤ ${formatDurationUs(needs.maxPeerLatencyUs ?? 0)} to peers, ${formatDurationUs(v.worstRtt[i] ?? 0)} to ${peer}`;
    }
  }
}

function nvmeText(needs: Needs, pools: readonly { name: string; freeBytes: number }[], reservedBytes: number): string {
  const want =
    formatBytes(totalNvme(needs)) + (needs.nvmeVolumes.length > 1 ? ` in ${needs.nvmeVolumes.length} volumes` : '');
  const top = pools[0];
  if (top === undefined) return `needs ${want} NVMe, node reports no NVMe pool`;
  const free = Math.max(0, top.freeBytes - (pools.length === 1 ? reservedBytes : 0));
  const held = reservedBytes > 0 ? ` (${formatBytes(reservedBytes)} reserved for pods in flight)` : '';
  return `needs ${want} NVMe, ${formatBytes(free)} free in pool ${top.name}${held}`;
}

const orNull = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);

/** Self-contained verdicts for `names` (allocates): for explain and tests, not for the hot path. */
export function evaluateNodes(names: readonly string[], ctx: RequestContext): NodeVerdict[] {
  const slots = Int32Array.from(names, (n) => ctx.store.table.slot(n));
  const v = new Verdicts();
  judgeSlots(ctx, slots, names.length, v, true);
  return names.map((node, i) => {
    const slot = slots[i] ?? -1;
    const rejection = rejectionAt(ctx, v, i, slot);
    const at = ctx.store.table.receivedAtMs[slot] ?? Number.NaN;
    const fresh = slot >= 0 && ctx.nowMs - at <= ctx.policy.reportTtlMs;
    const wantNvme = fresh && ctx.needs.nvmeVolumes.length > 0;
    const worstPeer = ctx.peers.refs[v.worstPeer[i] ?? -1]?.node ?? null;
    const terms = { capacity: orNull(v.capacity[i]), bandwidth: orNull(v.bandwidth[i]), latency: orNull(v.latency[i]) };
    const score = v.score[i] ?? -1;
    const facts: VerdictFacts = {
      nvmeFreeBytes: wantNvme ? (ctx.store.table.nvmeFree[slot] ?? 0) : null,
      reservedBytes: v.reservedBytes[i] ?? 0,
      freeAfterBytes: orNull(v.freeAfter[i]),
      headroomBps: orNull(v.headroom[i]),
      meanPeerRttUs: orNull(v.meanRtt[i]),
      worstPeerNode: worstPeer,
      worstPeerRttUs: v.worstRtt[i] ?? 0,
    };
    return { node, rejection, terms, score: rejection === null && score >= 0 ? score : null, facts };
  });
}

export function evaluateNode(node: string, ctx: RequestContext): NodeVerdict {
  return evaluateNodes([node], ctx)[0] as NodeVerdict;
}
