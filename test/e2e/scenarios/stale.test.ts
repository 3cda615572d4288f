/**
 * A node whose agent goes silent: once its report is older than --report-ttl, berth rejects it for pods with needs,
 * even though it has the most free NVMe, and the real kube-scheduler places those pods elsewhere; when the agent
 * is back, the node is used again.
 *
 * berth runs in this process (the same startExtender the command runs) with its clock injected, so "older than
 * the TTL" is a step of the test rather than seconds waited out: reports age only when the test moves the clock,
 * and the two steady nodes cannot go stale by accident while a loaded machine schedules slowly. The test stands in
 * for the three agents, pushing their reports to POST /v1/reports.
 */
import t from 'tap';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import type { NodeReport } from '../../../lib/core/report.ts';
import { startExtender } from '../../../server/extender/run.ts';
import { e2eGate, startControlPlane } from '../harness/control-plane.ts';
import { sumSamples } from './berth-process.ts';
import { PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(180_000);
const gate = e2eGate(t);

const TTL_MS = 3_000;
const FREE = { quiet: 900, 'steady-1': 400, 'steady-2': 400 } as const;
const nvme = { 'berth.io/nvme-capacity': '100Gi' };

async function push(url: string, reports: readonly NodeReport[]): Promise<void> {
  const res = await fetch(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: reports }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/reports answered ${res.status}: ${await res.text()}`);
}

t.test('a node whose agent went silent is avoided, and used again once it reports', { skip: gate.skip }, async (t) => {
  const shipped = await loadShippedConfig();
  const cp = await startControlPlane(t);
  const config = parseExtenderConfig({ listen: '127.0.0.1:0', 'shutdown-delay': '0s', 'report-ttl': `${TTL_MS}ms` });
  if (!config.ok) throw new Error(JSON.stringify(config.problems));
  let nowMs = Date.now();
  const berth = await startExtender(config.value, { logger: false, now: () => nowMs });
  t.teardown(() => berth.close());
  const metric = async (state: 'fresh' | 'stale'): Promise<number> =>
    sumSamples(await (await fetch(`${berth.url}/metrics`)).text(), 'berth_reports', { state });
  const agents = new StandInAgents();
  for (const [node, free] of Object.entries(FREE)) {
    await cp.createNode(node);
    agents.set(node, { pools: [['nvme0', free, 1000]] });
  }
  await push(berth.url, agents.reports());
  await cp.startScheduler(schedulerConfig(shipped, { url: berth.url }));
  const pods = new PodWatch(cp.kubeConfig());
  const marker = shipped.marker;

  await pods.create(scenarioPod('before', { marker, annotations: nvme }));
  t.equal(await pods.bound('before'), 'quiet', 'while it reports, the node with the most free NVMe is preferred');

  // quiet falls silent; the TTL and more pass while the other two keep reporting.
  nowMs += TTL_MS + 1_000;
  await push(berth.url, agents.reports(['steady-1', 'steady-2']));
  t.equal(await metric('stale'), 1, "quiet's report is stale");
  const placed: string[] = [];
  for (let i = 0; i < 4; i++) {
    await pods.create(scenarioPod(`during-${i}`, { marker, annotations: nvme }));
    placed.push(await pods.bound(`during-${i}`));
  }
  t.comment(`with quiet silent: ${placed.join(', ')}`);
  t.notOk(placed.includes('quiet'), 'no pod with needs lands on the node whose report is stale');
  await pods.create(
    scenarioPod('pinned', { marker, annotations: nvme, nodeSelector: { 'kubernetes.io/hostname': 'quiet' } }),
  );
  const refused = await pods.refused('pinned', 'Unschedulable');
  t.ok(
    refused.events.at(-1)?.includes(`report stale (older than 3s)`),
    'a pod that may only go there is refused with "report stale"',
  );
  await pods.create(scenarioPod('no-needs', { marker, nodeSelector: { 'kubernetes.io/hostname': 'quiet' } }));
  t.equal(await pods.bound('no-needs'), 'quiet', 'a pod without needs is not affected by the stale report');

  await push(berth.url, agents.reports(['quiet']));
  t.equal(await metric('fresh'), 3, 'quiet reports again');
  await pods.create(scenarioPod('after', { marker, annotations: nvme }));
  t.equal(await pods.bound('after'), 'quiet', 'once it reports again, it is preferred again');
  t.equal(
    await pods.bound('pinned'),
    'quiet',
    'and the pod waiting for it is placed (retried on the cluster events above)',
  );

  // Every agent falls silent.
  nowMs += TTL_MS + 1_000;
  const res = await fetch(`${berth.url}/readyz`);
  t.equal(res.status, 503, 'with every agent silent berth is not ready');
  const unready = ((await res.json()) as { reasons: string[] }).reasons;
  t.ok(
    unready.some((r) => r.includes('node reports are stale')),
    `and says why: ${unready.join('; ')}`,
  );
});
