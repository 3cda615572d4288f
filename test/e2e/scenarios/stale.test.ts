/**
 * A node whose agent goes silent: once its report is older than --report-ttl, berth (a real `berth extender`
 * process, here with a 3 s TTL) rejects it for pods with needs, even though it has the most free NVMe, and the
 * real kube-scheduler places those pods elsewhere; when the agent is back, the node is used again. The test stands
 * in for the three agents, pushing their reports to POST /v1/reports once a second, as a heartbeat would.
 */
import t from 'tap';
import { e2eGate, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { startBerth, sumSamples } from './berth-process.ts';
import { PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(180_000);
const gate = e2eGate(t);

const TTL = '3s';
const FREE = { quiet: 900, 'steady-1': 400, 'steady-2': 400 } as const;
const nvme = { 'berth.io/nvme-capacity': '100Gi' };

t.test('a node whose agent went silent is avoided, and used again once it reports', { skip: gate.skip }, async (t) => {
  const shipped = await loadShippedConfig();
  const cp = await startControlPlane(t);
  const berth = await startBerth(t, cp.dir, ['--report-ttl', TTL]);
  const agents = new StandInAgents();
  for (const [node, free] of Object.entries(FREE)) {
    await cp.createNode(node);
    agents.set(node, { pools: [['nvme0', free, 1000]] });
  }
  const alive = new Set(Object.keys(FREE));
  const heartbeat = setInterval(() => {
    void agents.push(berth, [...alive]).catch(() => undefined);
  }, 1_000);
  t.teardown(() => {
    clearInterval(heartbeat);
  });
  await agents.push(berth);
  await cp.startScheduler(schedulerConfig(shipped, { url: berth.url }));
  const pods = new PodWatch(cp.kubeConfig());
  const marker = shipped.marker;

  await pods.create(scenarioPod('before', { marker, annotations: nvme }));
  t.equal(await pods.bound('before'), 'quiet', 'while it reports, the node with the most free NVMe is preferred');

  alive.delete('quiet');
  await waitFor(async () => sumSamples(await berth.metrics(), 'berth_reports', { state: 'stale' }) === 1, {
    timeoutMs: 15_000,
    description: "quiet's report to go stale",
  });
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
    refused.events.at(-1)?.includes(`report stale (older than ${TTL})`),
    'a pod that may only go there is refused with "report stale"',
  );
  await pods.create(scenarioPod('no-needs', { marker, nodeSelector: { 'kubernetes.io/hostname': 'quiet' } }));
  t.equal(await pods.bound('no-needs'), 'quiet', 'a pod without needs is not affected by the stale report');

  alive.add('quiet');
  await waitFor(async () => sumSamples(await berth.metrics(), 'berth_reports', { state: 'fresh' }) === 3, {
    timeoutMs: 15_000,
    description: 'quiet to report again',
  });
  await pods.create(scenarioPod('after', { marker, annotations: nvme }));
  t.equal(await pods.bound('after'), 'quiet', 'once it reports again, it is preferred again');
  t.equal(
    await pods.bound('pinned'),
    'quiet',
    'and the pod waiting for it is placed (retried on the cluster events above)',
  );

  alive.clear();
  const unready = await waitFor(
    async () => {
      const res = await fetch(`${berth.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { reasons: string[] }).reasons : null;
    },
    { timeoutMs: 15_000, description: 'berth to report not ready' },
  );
  t.ok(
    unready.some((r) => r.includes('node reports are stale')),
    `with every agent silent berth is not ready: ${unready.join('; ')}`,
  );
});
