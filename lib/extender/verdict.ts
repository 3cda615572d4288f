/**
 * What a verdict is: the reasons a node can be rejected for, the policy and request context it is judged by, and
 * the reason texts kube-scheduler shows in the pod's events. The judging itself is the loop in judge.ts; this file
 * turns its result columns into a Rejection (only for rejected nodes) or, for explain and tests, a self-contained
 * NodeVerdict.
 *
 * Reasons group: kube-scheduler folds nodes with the same reason text into one entry of the pod's event
 * ("800 node(s) …"), so nodes rejected for the same cause get one text, which says what the pod needs and the
 * best figure any of them offered ("needs 2Ti NVMe; most free on a candidate: 800Gi in one pool"). The event then
 * stays short at 5,000 nodes and still says what to change. A node's own figures are its `detail`, shown by
 * explain and logged at debug level.
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
  PEER_LATENCY,
  PEER_ON_NODE,
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
  'peer_on_node',
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
  /** The node's own figures behind a rejection ("120Gi free in pool nvme0"); null when it passed. */
  readonly detail: string | null;
  readonly terms: Terms;
  /** Integer 0..10, or null when the pod asked for no scored term. */
  readonly score: number | null;
  readonly facts: VerdictFacts;
}

/** By verdict code (judge.ts): true: preemption cannot help (FailedAndUnresolvableNodes); false: FailedNodes. */
const UNRESOLVABLE: readonly boolean[] = [false, true, true, true, true, false, false, true, true, true];

function want(needs: Needs): string {
  const volumes = needs.nvmeVolumes.length;
  return `${formatBytes(totalNvme(needs))}${volumes > 1 ? ` in ${volumes} volumes` : ''}`;
}

/** The shared reason text for a code (nodes rejected for the same cause get the same text). */
function reasonText(ctx: RequestContext, v: Verdicts, code: number, slot: number): string {
  const { needs } = ctx;
  const need = formatBitRate(needs.minBandwidthBps ?? 0);
  switch (code) {
    case NO_REPORT:
      return 'no report from berth agent';
    case REPORT_STALE:
      return `report stale (older than ${formatDurationUs(ctx.policy.reportTtlMs * 1000)})`;
    case NO_NVME:
      return `needs ${want(needs)} NVMe; node reports no NVMe pool`;
    case NVME_CAPACITY:
      return `needs ${want(needs)} NVMe; most free on a candidate: ${formatBytes(v.bestNvmeFree)} in one pool`;
    case LINK_UNKNOWN:
      return ctx.store.table.linkState[slot] === LINK_NONE
        ? `needs ${need} bandwidth; node reports no network interface`
        : `needs ${need} bandwidth; node reports no link speed`;
    case BANDWIDTH:
      return `needs ${need} bandwidth; most headroom on a candidate: ${formatBitRate(v.bestHeadroom)}`;
    case PEER_LATENCY: {
      const max = formatDurationUs(needs.maxPeerLatencyUs ?? 0);
      return `needs ≤ ${max} to peers; nearest candidate: ${formatDurationUs(v.bestWorstRtt)} to its furthest peer`;
    }
    default:
      return "already runs one of this pod's peers (replicas are kept on distinct nodes; berth.io/co-location: allow to share)";
  }
}

/** Reason texts for one judged request, each made once however many nodes share it. */
export class Reasons {
  readonly #ctx: RequestContext;
  readonly #v: Verdicts;
  readonly #texts: string[] = [];

  constructor(ctx: RequestContext, v: Verdicts) {
    this.#ctx = ctx;
    this.#v = v;
  }

  /** Why candidate `i` (in `slot`) was rejected, or null when it passed. */
  at(i: number, slot: number): Rejection | null {
    const code = this.#v.code[i] ?? PASSED;
    if (code === PASSED) return null;
    // The one code whose text depends on the node: no NIC at all, or a NIC without a speed.
    const key = code === LINK_UNKNOWN && this.#ctx.store.table.linkState[slot] === LINK_NONE ? 0 : code;
    let message = this.#texts[key];
    if (message === undefined) this.#texts[key] = message = reasonText(this.#ctx, this.#v, code, slot);
    return { code: REASON_CODES[code - 1] ?? 'no_report', message, unresolvable: UNRESOLVABLE[code] ?? true };
  }
}

/** Candidate `i`'s own figures behind its verdict, for explain and debug logs; null when it passed. */
export function detailAt(ctx: RequestContext, v: Verdicts, i: number, slot: number): string | null {
  const code = v.code[i] ?? PASSED;
  const { needs, store } = ctx;
  const view = store.viewAt(slot);
  switch (code) {
    case PASSED:
      return null;
    case NVME_CAPACITY: {
      const pools = view?.nvmePools ?? [];
      const top = pools[0];
      const reserved = v.reservedBytes[i] ?? 0;
      const free = Math.max(0, (top?.freeBytes ?? 0) - (pools.length === 1 ? reserved : 0));
      const held = reserved > 0 ? ` (${formatBytes(reserved)} reserved for pods in flight)` : '';
      return `${formatBytes(free)} free in pool ${top?.name ?? ''}${held}`;
    }
    case LINK_UNKNOWN:
      return view?.link === null ? 'no network interface' : `link speed of ${view?.link?.name ?? ''} unknown`;
    case BANDWIDTH: {
      const headroom = headroomBps(store.table.linkSpeed[slot] ?? 0, store.table.linkLoad[slot] ?? 0);
      return `${formatBitRate(headroom)} headroom on ${view?.link?.name ?? ''}`;
    }
    case PEER_LATENCY: {
      const peer = ctx.peers.refs[v.worstPeer[i] ?? -1]?.node ?? '';
      return `${formatDurationUs(v.worstRtt[i] ?? 0)} to ${peer} (limit ${formatDurationUs(needs.maxPeerLatencyUs ?? 0)})`;
    }
    case PEER_ON_NODE:
      return `runs a peer: ${ctx.peers.refs.filter((r) => r.slot === slot).map((r) => r.node)[0] ?? ''}`;
    default:
      return reasonText(ctx, v, code, slot);
  }
}

const orNull = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);

/** Self-contained verdicts for `names` (allocates): for explain and tests, not for the hot path. */
export function evaluateNodes(names: readonly string[], ctx: RequestContext): NodeVerdict[] {
  const slots = Int32Array.from(names, (n) => ctx.store.table.slot(n));
  const v = new Verdicts();
  judgeSlots(ctx, slots, names.length, v, true);
  const reasons = new Reasons(ctx, v);
  return names.map((node, i) => {
    const slot = slots[i] ?? -1;
    const rejection = reasons.at(i, slot);
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
    const detail = detailAt(ctx, v, i, slot);
    return { node, rejection, detail, terms, score: rejection === null && score >= 0 ? score : null, facts };
  });
}

export function evaluateNode(node: string, ctx: RequestContext): NodeVerdict {
  return evaluateNodes([node], ctx)[0] as NodeVerdict;
}
