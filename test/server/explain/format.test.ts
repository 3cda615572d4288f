/**
 * What berth explain prints: sorting (passing by score, then the rest by name), the routing line, warnings for
 * stale, missing and invalid reports, the summary, the table, and the JSON document.
 */
import t from 'tap';
import { nodeReportObject } from '../../../lib/core/node-report-resource.ts';
import { MARKER } from '../../../lib/cluster/routing.ts';
import { judge, type ClusterSnapshot } from '../../../server/explain/engine.ts';
import { explainOutput, renderJson, renderText } from '../../../server/explain/format.ts';
import { config, pod, report } from '../../helpers/builders.ts';

const NOW = Date.parse('2026-11-21T10:00:00Z');
const cfg = config({ kube: true, 'report-ttl': '60s' });
const policy = { ...cfg.policy, source: 'test' };

function reportObject(node: string, secondsAgo: number, free: number): unknown {
  const o = nodeReportObject(report(node, { pools: [['nvme0', free, 1000]] }), { name: node, uid: node });
  const time = new Date(NOW - secondsAgo * 1000).toISOString();
  return { ...o, metadata: { ...o.metadata, managedFields: [{ subresource: 'status', time }] } };
}

function run(p: Record<string, unknown>, warnings: string[] = []) {
  const snap: ClusterSnapshot = {
    pod: p,
    nodes: ['zeta', 'alpha', 'mid', 'old', 'gone'],
    reports: [
      reportObject('zeta', 1, 900),
      reportObject('alpha', 1, 300),
      reportObject('mid', 1, 600),
      reportObject('old', 600, 900),
    ],
    claims: [],
    classes: [],
    pods: [],
  };
  return explainOutput(p, judge(snap, cfg, NOW), snap.nodes, policy, warnings);
}

t.test('nodes are sorted: passing by score, best first; then the rejected by name', async (t) => {
  const out = run(pod({ 'berth.io/nvme-capacity': '200Gi' }), ['cannot list Nodes: forbidden']);
  t.same(
    out.nodes.map((n) => [n.node, n.passed, n.score]),
    [
      ['zeta', true, 7],
      ['mid', true, 4],
      ['alpha', true, 1],
      ['gone', false, null],
      ['old', false, null],
    ],
  );
  t.same(out.summary, { passed: 3, total: 5, text: out.summary.text });
  t.equal(
    out.summary.text,
    '3 of 5 nodes pass, best zeta (score 7); rejected: 1 no report, 1 report stale (but kube-scheduler does not ask berth about this pod)',
  );
  t.same(out.warnings, [
    "NodeReport old is stale: written 10m ago, berth's --report-ttl is 60s (is its agent running?)",
    'node gone has no NodeReport: no berth agent reports it',
    'cannot list Nodes: forbidden',
  ]);
  const text = renderText(out);
  t.match(text, /^Pod: {6}default\/db-0 \(not bound\)$/m);
  t.match(text, /^Routing: {2}it requests no berth\.io\/managed and uses the default scheduler/m);
  t.match(text, /^Needs: {4}NVMe 200Gi in 1 volume\(s\)$/m);
  t.match(
    text,
    /^Policy: {3}spread, weights capacity 1 bandwidth 1 latency 1, latency reference 2ms, report TTL 60s, stale reports reject \(test\)$/m,
  );
  t.match(text, /^zeta\s+pass\s+7\s+0\.70\s+-\s+-\s+fresh 1s$/m, 'the best node first, with its terms and score');
  t.match(
    text,
    /^old\s+reject\s+-\s+-\s+-\s+-\s+STALE 10m\s+report stale \(older than 60s\)$/m,
    'a stale report, loudly',
  );
  const rows = text.split('\n');
  const header = rows.find((r) => r.startsWith('NODE')) ?? '';
  const starts = ['RESULT', 'SCORE', 'CAPACITY', 'BANDWIDTH', 'LATENCY', 'REPORT', 'WHY'].map((c) => header.indexOf(c));
  for (const row of rows.slice(rows.indexOf(header) + 1, rows.indexOf(header) + 6))
    t.ok(
      starts.every((at) => (row[at - 1] ?? ' ') === ' ' && (row[at] ?? 'end') !== ' '),
      `columns line up: ${row}`,
    );
  t.match(text, /^Warnings:\n {2}NodeReport old is stale/m);
  t.match(text, /\nSummary: {2}3 of 5 nodes pass, best zeta \(score 7\)/);
  const json = JSON.parse(renderJson(out)) as typeof out;
  t.same(
    json.nodes.map((n) => n.node),
    out.nodes.map((n) => n.node),
    'JSON carries the same, in the same order',
  );
  t.same(json.nodes[4]?.report, { state: 'stale', writtenAtMs: NOW - 600_000, ageMs: 600_000 });
});

t.test('routing: the marker, or another scheduler, or neither', async (t) => {
  const marked = pod({ 'berth.io/nvme-capacity': '1Gi' });
  (marked['spec'] as { containers: Record<string, unknown>[] }).containers[0]!['resources'] = {
    limits: { [MARKER]: '1' },
  };
  t.match(run(marked).routing, { routed: true, why: /requests berth\.io\/managed/ });
  const second = pod({});
  (second['spec'] as Record<string, unknown>)['schedulerName'] = 'berth-scheduler';
  t.match(run(second).routing, { routed: true, why: /schedulerName berth-scheduler/ });
  t.match(run(pod({})).routing, { routed: false });
});

t.test('a pod that needs nothing, and one whose annotation is invalid', async (t) => {
  const none = run(pod({}));
  t.ok(
    none.nodes.every((n) => n.passed),
    'no needs: every node passes',
  );
  t.match(renderText(none), /^Needs: {4}none: berth passes every node unchanged and scores none$/m);
  const bad = run(pod({ 'berth.io/min-bandwidth': 'fast' }));
  t.ok(
    bad.nodes.every((n) => !n.passed && n.code === 'invalid_needs'),
    'an invalid annotation rejects every node',
  );
  t.match(renderText(bad), /^Needs: {4}invalid: invalid annotation berth\.io\/min-bandwidth="fast"/m);
  t.equal(bad.summary.text.startsWith('no node of 5 passes; rejected: 5 invalid needs'), true, bad.summary.text);
});
