/**
 * Every dashboard query, run for real: Prometheus scrapes running berth processes every second while traffic flows
 * (berth-load.ts), then each panel's PromQL (Grafana's macros substituted, $__rate_interval = 30s) goes to
 * Prometheus' HTTP API and must return at least one series with a finite value. The extender runs twice: in
 * Kubernetes mode against the e2e control plane (informers, ledger) and standalone with pushed reports from two
 * real agents; the dashboards aggregate across both, as they do across replicas.
 * With BERTH_DASHBOARD_DATA=<file>, the range data is saved for scripts/render-dashboard.ts (docs/dashboard.png).
 */
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningAgent } from '../../server/agent/start.ts';
import type { RunningExtender } from '../../server/extender/run.ts';
import { renderDashboardPng, type DashboardData } from '../../scripts/render-dashboard.ts';
import { e2eGate, startControlPlane } from '../e2e/harness/control-plane.ts';
import { applyNodeReports, driveVerbs, fleetReports } from '../helpers/manifests/berth-load.ts';
import {
  EXTENDER_SA_GROUPS,
  EXTENDER_SA_USER,
  startAgentPair,
  startKubeExtender,
  startStandaloneExtender,
  type KubeExtender,
} from '../helpers/manifests/berth-stack.ts';
import { loadDashboards, queryPanels, substituteMacros } from '../helpers/manifests/dashboards.ts';
import { Prometheus, prometheusBinary, type Sample } from '../helpers/manifests/prometheus.ts';

t.setTimeout(300_000);
const LOAD_SECONDS = Number(process.env['BERTH_DASHBOARD_LOAD_SECONDS'] ?? 45);
const binary = prometheusBinary();
const gate = e2eGate(t);
if (binary === null && process.env['BERTH_E2E_REQUIRED'] === '1')
  t.fail(
    'Prometheus is required (BERTH_E2E_REQUIRED=1) but neither $PROMETHEUS_BIN nor /usr/bin/prometheus exists: apt-get install prometheus',
  );
const skip =
  binary === null
    ? 'dashboard queries not run against Prometheus: no /usr/bin/prometheus (apt-get install prometheus)'
    : false;
/** Metrics only the Kubernetes side exports: without the control plane their panels cannot have data. */
const KUBE_ONLY = /berth_informer_|berth_reservations_in_flight|berth_ledger_/;

const hasFiniteValue = (samples: readonly Sample[]): boolean =>
  samples.some((s) => s.value !== undefined && Number.isFinite(Number(s.value[1])));

t.test(
  'every panel of both dashboards has data in a real Prometheus scraping berth under load',
  { skip },
  async (t) => {
    if (binary === null) return;
    const kubeAvailable = gate.skip === false;
    let kube: KubeExtender | null = null;
    const stops: (() => Promise<unknown>)[] = [];
    t.teardown(async () => {
      for (const stop of stops.reverse()) await stop();
    });
    if (kubeAvailable) {
      const cp = await startControlPlane(t, { users: [{ name: EXTENDER_SA_USER, groups: EXTENDER_SA_GROUPS }] });
      kube = await startKubeExtender(cp);
      stops.push(() => kube?.extender.close() ?? Promise.resolve());
    } else {
      t.comment(`Kubernetes mode not started (${gate.skip}): panels on ${String(KUBE_ONLY)} cannot be checked here`);
    }
    const standalone: RunningExtender = await startStandaloneExtender();
    stops.push(() => standalone.close());
    const agents: RunningAgent[] = await startAgentPair(standalone.url, t.testdir());
    stops.push(async () => {
      await Promise.all(agents.map((a) => a.stop()));
    });

    const extenders = [...(kube === null ? [] : [kube.extender]), standalone];
    const prom = await Prometheus.start(binary, t.testdir(), [
      {
        job: 'berth-extender',
        targets: extenders.map((e) => ({ address: new URL(e.url).host, labels: { namespace: 'berth-system' } })),
      },
      {
        job: 'berth-agent',
        targets: agents.map((a) => ({
          address: `127.0.0.1:${String(a.metricsAddress?.port)}`,
          labels: { namespace: 'berth-agent', node: a.config.node },
        })),
      },
    ]);
    stops.push(() => prom.stop());

    // Load starts once every extender is ready, as a Service would route it: before its first sync berth refuses
    // pods with needs with a 503 (BERTH_ERR_NOT_READY), which is right, but not what this test measures.
    const first = fleetReports(0);
    await (
      await fetch(`${standalone.url}/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: first }),
      })
    ).arrayBuffer();
    if (kube !== null) await applyNodeReports(kube.api, first, kube.nodeUids);
    for (const e of extenders) {
      let status = 0;
      for (let i = 0; i < 150 && status !== 200; i++) {
        status = (await fetch(`${e.url}/readyz`)).status;
        if (status !== 200) await sleep(200);
      }
      t.equal(status, 200, `${e.url} ready before the load starts`);
    }

    const startS = Date.now() / 1000;
    const until = Date.now() + LOAD_SECONDS * 1000;
    const reports = (async () => {
      for (let step = 0; Date.now() < until; step++) {
        const fleet = fleetReports(step);
        const push = await fetch(`${standalone.url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ items: fleet }),
        });
        await push.arrayBuffer();
        if (kube !== null && step % 2 === 0) await applyNodeReports(kube.api, fleet, kube.nodeUids);
        if (kube !== null && step % 10 === 5) await placePod(kube, `placed-${String(step)}`);
        await sleep(1000);
      }
    })();
    const load = await driveVerbs(
      extenders.map((e) => e.url),
      '/scheduler',
      until,
    );
    await reports;
    t.ok(load.requests > 500, `${load.requests} filter/prioritize requests sent`);
    t.equal(load.failures, 0, 'none answered with a 5xx');
    await sleep(2500); // two more scrapes
    const endS = Date.now() / 1000;
    t.comment(`scrape targets: ${(await prom.targetHealth()).join('; ')}`);

    // The picture starts once the first 30 s rate window is full, so rates do not appear to ramp up from zero.
    const rangeStartS = Math.min(startS + 30, endS - 10);
    const data: DashboardData = { generatedAt: new Date().toISOString(), startS: rangeStartS, endS, dashboards: [] };
    const unchecked: string[] = [];
    for (const { file, dashboard } of await loadDashboards()) {
      const panels: DashboardData['dashboards'][number]['panels'] = [];
      for (const panel of queryPanels(dashboard)) {
        const series: DashboardData['dashboards'][number]['panels'][number]['targets'] = [];
        for (const target of panel.targets ?? []) {
          const query = substituteMacros(target.expr, '30s');
          if (kube === null && KUBE_ONLY.test(query)) {
            unchecked.push(`${file} "${panel.title}"`);
            continue;
          }
          const now = await prom.query(query);
          t.ok(hasFiniteValue(now), `${file} "${panel.title}" ${target.refId}: ${now.length} series with data`, {
            query,
          });
          series.push({
            refId: target.refId,
            legendFormat: target.legendFormat ?? '',
            result: await prom.queryRange(query, rangeStartS, endS, 1),
          });
        }
        panels.push({
          id: panel.id,
          type: panel.type,
          title: panel.title,
          unit: panel.fieldConfig?.defaults?.unit ?? 'short',
          targets: series,
        });
      }
      data.dashboards.push({ file, title: dashboard.title, panels });
    }
    if (unchecked.length > 0)
      t.comment(
        `NOT CHECKED (no Kubernetes mode without the e2e control plane): ${[...new Set(unchecked)].join(', ')}`,
      );

    const png = await renderDashboardPng(data, 'berth-extender.json');
    t.same(
      [...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''),
      'PNG',
      `scripts/render-dashboard.ts renders the data (${png.length} bytes)`,
    );
    const out = process.env['BERTH_DASHBOARD_DATA'];
    if (out !== undefined && out !== '') {
      await writeFile(out, JSON.stringify(data));
      t.comment(`range data written to ${out}`);
    }
  },
);

/** A pod placed on a node (as the scheduler's binding would), asking for NVMe: berth reserves it until a report covers it. */
async function placePod(kube: KubeExtender, name: string): Promise<void> {
  const res = await kube.api.send('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { 'berth.io/nvme-capacity': '20Gi' } },
    spec: { nodeName: 'nvme-a', containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  });
  if (res.status >= 300) throw new Error(`pod ${name}: HTTP ${res.status}`);
}
