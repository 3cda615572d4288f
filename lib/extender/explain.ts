/**
 * The per-node breakdown behind an answer, built from the same verdicts filter and prioritize use.
 */
import { hasNeeds, totalNvme, type Needs } from './needs.ts';
import type { Terms } from './score.ts';
import { evaluateNodes, type NodeVerdict, type RequestContext } from './verdict.ts';
import { formatBitRate, formatBytes, formatDurationUs } from '../core/units.ts';

export interface NodeExplanation {
  readonly node: string;
  readonly passed: boolean;
  /** The reason the scheduler was told (shared by every node rejected for the same cause). */
  readonly reason: string | null;
  /** This node's own figures behind it. */
  readonly detail: string | null;
  readonly code: string | null;
  readonly list: 'FailedNodes' | 'FailedAndUnresolvableNodes' | null;
  readonly terms: Terms;
  readonly score: number | null;
  readonly facts: NodeVerdict['facts'];
}

export interface Explanation {
  readonly pod: { readonly namespace: string; readonly name: string };
  readonly needs: {
    readonly nvme: string | null;
    readonly minBandwidth: string | null;
    readonly maxPeerLatency: string | null;
    readonly peers: string | null;
  };
  readonly peerNodes: readonly string[];
  readonly fastPath: boolean;
  readonly policy: RequestContext['policy'];
  readonly nodes: readonly NodeExplanation[];
}

export function describeNeeds(n: Needs): Explanation['needs'] {
  const peers =
    n.peers === null
      ? null
      : n.peers.kind === 'selector'
        ? `selector ${n.peers.selector.text}`
        : `same controller (uid ${n.peers.uid})`;
  return {
    nvme: n.nvmeVolumes.length === 0 ? null : `${formatBytes(totalNvme(n))} in ${n.nvmeVolumes.length} volume(s)`,
    minBandwidth: n.minBandwidthBps === null ? null : formatBitRate(n.minBandwidthBps),
    maxPeerLatency: n.maxPeerLatencyUs === null ? null : formatDurationUs(n.maxPeerLatencyUs),
    peers,
  };
}

export function explainNodes(pod: Explanation['pod'], names: readonly string[], ctx: RequestContext): Explanation {
  const fastPath = !hasNeeds(ctx.needs);
  const verdicts = fastPath ? [] : evaluateNodes(names, ctx);
  const nodes = names.map((node, i): NodeExplanation => {
    if (fastPath) {
      return {
        node,
        passed: true,
        reason: null,
        detail: null,
        code: null,
        list: null,
        terms: { capacity: null, bandwidth: null, latency: null },
        score: null,
        facts: {
          nvmeFreeBytes: null,
          reservedBytes: 0,
          freeAfterBytes: null,
          headroomBps: null,
          meanPeerRttUs: null,
          worstPeerNode: null,
          worstPeerRttUs: 0,
        },
      };
    }
    const v = verdicts[i] as NodeVerdict;
    const r = v.rejection;
    return {
      node,
      passed: r === null,
      reason: r?.message ?? null,
      detail: v.detail,
      code: r?.code ?? null,
      list: r === null ? null : r.unresolvable ? 'FailedAndUnresolvableNodes' : 'FailedNodes',
      terms: v.terms,
      score: v.score,
      facts: v.facts,
    };
  });
  return {
    pod,
    needs: describeNeeds(ctx.needs),
    peerNodes: ctx.peers.refs.map((p) => p.node),
    fastPath,
    policy: ctx.policy,
    nodes,
  };
}
