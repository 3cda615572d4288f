/**
 * What `berth explain pod` prints: per node, whether berth would let it through and why, each term and the score,
 * how old the node's report is; sorted (passing nodes by score, then the rest by name); warnings for stale,
 * missing or invalid reports and for anything that could not be read; and a one-line summary. `-o json` prints the
 * same as one JSON document for scripts.
 */
import { MARKER, routingFacts } from '../../lib/cluster/routing.ts';
import { formatDurationUs } from '../../lib/core/units.ts';
import type { Explanation, NodeExplanation } from '../../lib/extender/explain.ts';
import type { Policy } from '../../lib/extender/verdict.ts';
import type { Judged, ReportState } from './engine.ts';

export interface NodeLine {
  readonly node: string;
  readonly passed: boolean;
  /** The reason the scheduler is told (shared by every node rejected for the same cause). */
  readonly reason: string | null;
  /** This node's own figures behind it; WHY shows it, as it says more about one node than the shared reason. */
  readonly detail: string | null;
  readonly code: string | null;
  readonly terms: NodeExplanation['terms'];
  readonly score: number | null;
  readonly facts: NodeExplanation['facts'] | null;
  readonly report: ReportState;
}

export interface ExplainOutput {
  readonly pod: { readonly namespace: string; readonly name: string; readonly nodeName: string | null };
  readonly routing: { readonly routed: boolean; readonly why: string };
  readonly needs: Explanation['needs'] | null;
  readonly needsError: string | null;
  readonly peerNodes: readonly string[];
  readonly policy: Policy & { readonly source: string };
  readonly nodes: readonly NodeLine[];
  readonly warnings: readonly string[];
  readonly summary: { readonly passed: number; readonly total: number; readonly text: string };
}

function routing(pod: Readonly<Record<string, unknown>>): ExplainOutput['routing'] {
  const spec = (pod['spec'] ?? {}) as { schedulerName?: string };
  const scheduler = spec.schedulerName ?? 'default-scheduler';
  if (routingFacts(pod).marked)
    return { routed: true, why: `it requests ${MARKER}: kube-scheduler asks berth about it (managedResources)` };
  if (scheduler !== 'default-scheduler')
    return { routed: true, why: `schedulerName ${scheduler}: berth is asked if that is berth's second scheduler` };
  return {
    routed: false,
    why: `it requests no ${MARKER} and uses the default scheduler: kube-scheduler does not ask berth about it (automatic routing: docs/deploy.md)`,
  };
}

function order(a: NodeLine, b: NodeLine): number {
  if (a.passed !== b.passed) return a.passed ? -1 : 1;
  if (a.passed && a.score !== b.score) return (b.score ?? -1) - (a.score ?? -1);
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

function reportWarnings(reports: ReadonlyMap<string, ReportState>, nodes: readonly string[], ttlMs: number): string[] {
  const out: string[] = [];
  for (const node of nodes) {
    const r = reports.get(node);
    if (r?.state === 'stale')
      out.push(
        `NodeReport ${node} is stale: written ${age(r.ageMs)} ago, berth's --report-ttl is ${formatDurationUs(ttlMs * 1000)} (is its agent running?)`,
      );
    else if (r?.state === 'missing') out.push(`node ${node} has no NodeReport: no berth agent reports it`);
    else if (r?.state === 'invalid') out.push(`NodeReport ${node} is invalid and ignored by berth: ${r.problem}`);
  }
  return out;
}

function summaryText(lines: readonly NodeLine[], r: ExplainOutput['routing']): string {
  const passed = lines.filter((l) => l.passed);
  const best = passed[0];
  const counts = new Map<string, number>();
  for (const l of lines) if (!l.passed) counts.set(l.code ?? 'rejected', (counts.get(l.code ?? 'rejected') ?? 0) + 1);
  const rejected = [...counts].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${n} ${code.replaceAll('_', ' ')}`);
  const head =
    passed.length === 0
      ? `no node of ${lines.length} passes`
      : `${passed.length} of ${lines.length} nodes pass, best ${best?.node ?? '?'}${best?.score == null ? '' : ` (score ${best.score})`}`;
  const tail = rejected.length > 0 ? `; rejected: ${rejected.join(', ')}` : '';
  return `${head}${tail}${r.routed ? '' : ' (but kube-scheduler does not ask berth about this pod)'}`;
}

export function explainOutput(
  pod: Readonly<Record<string, unknown>>,
  judged: Judged,
  nodes: readonly string[],
  policy: Policy & { source: string },
  warnings: readonly string[],
): ExplainOutput {
  const meta = (pod['metadata'] ?? {}) as { namespace?: string; name?: string };
  const nodeName = ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName ?? null;
  const e = judged.explanation;
  const report = (node: string): ReportState => judged.reports.get(node) ?? { state: 'missing' };
  const lines: NodeLine[] =
    e !== null
      ? e.nodes.map((n) => ({ ...n, facts: n.facts, report: report(n.node) }))
      : nodes.map((node) => ({
          node,
          passed: false,
          reason: judged.needsError,
          detail: null,
          code: 'invalid_needs',
          terms: { capacity: null, bandwidth: null, latency: null },
          score: null,
          facts: null,
          report: report(node),
        }));
  const sorted = [...lines].sort(order);
  const r = routing(pod);
  return {
    pod: { namespace: meta.namespace ?? 'default', name: meta.name ?? '', nodeName },
    routing: r,
    needs: e?.needs ?? null,
    needsError: judged.needsError,
    peerNodes: e?.peerNodes ?? [],
    policy,
    nodes: sorted,
    warnings: [...reportWarnings(judged.reports, nodes, policy.reportTtlMs), ...warnings],
    summary: { passed: sorted.filter((l) => l.passed).length, total: sorted.length, text: summaryText(sorted, r) },
  };
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m}m${s % 60 ? `${s % 60}s` : ''}` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

function term(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

function reportCell(r: ReportState): string {
  if (r.state === 'fresh') return `fresh ${age(r.ageMs)}`;
  if (r.state === 'stale') return `STALE ${age(r.ageMs)}`;
  return r.state;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function needsText(o: ExplainOutput): string {
  if (o.needsError !== null) return `invalid: ${o.needsError} (berth rejects every node with this reason)`;
  const n = o.needs;
  const parts = [
    n?.nvme ? `NVMe ${n.nvme}` : null,
    n?.minBandwidth ? `bandwidth ${n.minBandwidth}` : null,
    n?.peers ? `peers: ${n.peers}${n.maxPeerLatency ? `, at most ${n.maxPeerLatency}` : ''}` : null,
  ].filter((p) => p !== null);
  if (parts.length === 0) return 'none: berth passes every node unchanged and scores none';
  const peers = o.peerNodes.length > 0 ? ` (peers run on ${[...new Set(o.peerNodes)].join(', ')})` : '';
  return `${parts.join('; ')}${peers}`;
}

export function renderText(o: ExplainOutput): string {
  const p = o.policy;
  const w = p.weights;
  const lines = [
    `Pod:      ${o.pod.namespace}/${o.pod.name}${o.pod.nodeName ? ` (bound to ${o.pod.nodeName}; judged as if scheduled now)` : ' (not bound)'}`,
    `Routing:  ${o.routing.why}`,
    `Needs:    ${needsText(o)}`,
    `Policy:   ${p.strategy}, weights capacity ${w.capacity} bandwidth ${w.bandwidth} latency ${w.latency}, latency reference ${formatDurationUs(p.latencyReferenceUs)}, report TTL ${formatDurationUs(p.reportTtlMs * 1000)}, stale reports ${p.stalePolicy} (${p.source})`,
    '',
    ...table([
      ['NODE', 'RESULT', 'SCORE', 'CAPACITY', 'BANDWIDTH', 'LATENCY', 'REPORT', 'WHY'],
      ...o.nodes.map((n) => [
        n.node,
        n.passed ? 'pass' : 'reject',
        n.score === null ? '-' : String(n.score),
        term(n.terms.capacity),
        term(n.terms.bandwidth),
        term(n.terms.latency),
        reportCell(n.report),
        n.detail ?? n.reason ?? '',
      ]),
    ]),
  ];
  if (o.nodes.length === 0) lines.push('(no nodes)');
  if (o.warnings.length > 0) lines.push('', 'Warnings:', ...o.warnings.map((x) => `  ${x}`));
  lines.push('', `Summary:  ${o.summary.text}`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(o: ExplainOutput): string {
  return `${JSON.stringify(o, null, 2)}\n`;
}
