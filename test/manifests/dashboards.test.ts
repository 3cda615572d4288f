/**
 * The Grafana dashboards, offline: the structure Grafana's file and sidecar provisioning need, PromQL that parses
 * (lezer-promql, after Grafana's macros are substituted), and only metrics berth really exports. A panel querying
 * a metric no berth registry has fails here. dashboards-prometheus.test.ts then runs every query for real.
 */
import t from 'tap';
import {
  berthMetricNames,
  loadDashboards,
  parsePromql,
  queryPanels,
  substituteMacros,
} from '../helpers/manifests/dashboards.ts';

const dashboards = await loadDashboards();
const exported = berthMetricNames();

t.test('two dashboards, with stable unique uids', async (t) => {
  t.same(
    dashboards.map((d) => d.file),
    ['berth-agent.json', 'berth-extender.json'],
    'the agent and extender dashboards',
  );
  const uids = dashboards.map((d) => d.dashboard.uid);
  t.equal(new Set(uids).size, uids.length, 'uids are unique');
  for (const uid of uids) t.ok(/^[A-Za-z0-9_-]{1,40}$/.test(uid), `uid ${uid} is at most 40 URL-safe characters`);
});

for (const { file, dashboard: d } of dashboards) {
  t.test(`${file}: structure Grafana provisioning accepts`, async (t) => {
    t.notOk('__inputs' in d, 'no __inputs: file and sidecar provisioning never resolve them');
    t.equal(typeof d.title, 'string', 'has a title');
    t.ok(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36, `schemaVersion ${d.schemaVersion}`);
    const ds = d.templating.list.find((v) => v.name === 'datasource');
    t.same(
      { type: ds?.type, query: ds?.query },
      { type: 'datasource', query: 'prometheus' },
      'a Prometheus data source variable named datasource',
    );
    const variables = new Set(d.templating.list.map((v) => v.name));
    const all = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const ids = all.map((p) => p.id);
    t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of all) {
      const { x, y, w, h } = p.gridPos;
      t.ok(
        Number.isInteger(x + y + w + h) && x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24,
        `"${p.title}" fits the 24-column grid (x ${x}, w ${w})`,
      );
    }
    const boxes = all.map((p) => p.gridPos);
    const overlaps = boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        .map(() => i),
    );
    t.same(overlaps, [], 'no two panels overlap');
    for (const p of queryPanels(d)) {
      t.same(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `"${p.title}" uses the datasource variable`);
      t.ok((p.targets ?? []).length > 0, `"${p.title}" has targets`);
      t.ok(typeof p.fieldConfig?.defaults?.unit === 'string', `"${p.title}" states its unit`);
      t.ok((p.description ?? '').length > 20, `"${p.title}" explains itself in its description`);
      const refIds = (p.targets ?? []).map((x) => x.refId);
      t.equal(new Set(refIds).size, refIds.length, `"${p.title}" refIds are unique`);
      for (const target of p.targets ?? []) {
        t.ok(target.refId !== '' && target.expr.trim() !== '', `"${p.title}" ${target.refId} has a refId and an expr`);
        t.equal(target.datasource?.uid, '${datasource}', `"${p.title}" ${target.refId} uses the datasource variable`);
        const used = [...target.expr.matchAll(/\$\{?([A-Za-z]\w*)\}?/g)].map((m) => m[1] ?? '');
        t.same(
          used.filter((v) => !variables.has(v)),
          [],
          `"${p.title}" ${target.refId} uses only defined variables`,
        );
      }
    }
  });

  t.test(`${file}: PromQL parses and names only metrics berth exports`, async (t) => {
    for (const p of queryPanels(d)) {
      for (const target of p.targets ?? []) {
        const query = substituteMacros(target.expr);
        const parsed = parsePromql(query);
        t.same(parsed.errors, [], `"${p.title}" ${target.refId} parses: ${query}`);
        t.ok(parsed.metrics.length > 0, `"${p.title}" ${target.refId} queries at least one metric`);
        for (const m of parsed.metrics)
          t.ok(exported.has(m), `"${p.title}" ${target.refId}: ${m} is exported by berth`);
      }
    }
  });
}

t.test('the checks can fail', async (t) => {
  t.not(
    parsePromql('rate(berth_fast_path_total[$__rate_interval])').errors.length,
    0,
    'an unsubstituted macro is a syntax error',
  );
  t.same(
    parsePromql(substituteMacros('rate(berth_fast_path_total{namespace=~"$namespace"}[$__rate_interval])')).errors,
    [],
    'substituted, it parses',
  );
  t.not(parsePromql('sum(rate(x[5m])').errors.length, 0, 'an unbalanced parenthesis is a syntax error');
  t.notOk(exported.has('berth_extender_requests_total'), 'a plausible but wrong metric name is not in the set');
  t.ok(
    exported.has('berth_extender_request_duration_seconds_bucket') &&
      exported.has('berth_agent_probe_rtt_seconds_count'),
    'histogram series names are',
  );
  t.ok(
    exported.has('berth_informer_synced') && exported.has('berth_reservations_in_flight'),
    "the Kubernetes side's metrics are",
  );
});

t.test('the panels cover what operators asked for', async (t) => {
  const queried = new Set(
    dashboards.flatMap(({ dashboard }) =>
      queryPanels(dashboard).flatMap((p) =>
        (p.targets ?? []).flatMap((x) => parsePromql(substituteMacros(x.expr)).metrics),
      ),
    ),
  );
  const wanted: Record<string, string> = {
    'latency percentiles per verb': 'berth_extender_request_duration_seconds_bucket',
    'request rate and errors': 'berth_extender_request_duration_seconds_count',
    'nodes per call': 'berth_extender_nodes_per_call_bucket',
    'rejections by reason': 'berth_filter_rejections_total',
    'oldest reports (top nodes)': 'berth_report_age_seconds',
    'informer health': 'berth_informer_synced',
    'reservations in flight': 'berth_reservations_in_flight',
    'NVMe free across the cluster': 'berth_nvme_free_bytes',
    'NVMe claimed (reserved) across the cluster': 'berth_nvme_reserved_bytes',
    'most committed nodes': 'berth_node_nvme_committed_ratio',
    'least NIC headroom': 'berth_node_link_headroom_bps',
    'peer latency heatmap': 'berth_agent_probe_rtt_seconds_bucket',
    'agent publish errors': 'berth_agent_publish_total',
  };
  for (const [what, metric] of Object.entries(wanted))
    t.ok(queried.has(metric), `${what}: ${metric} is on a dashboard`);
});
