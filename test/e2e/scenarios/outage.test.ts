/**
 * Scenario 5: berth down. With the shipped `ignorable: false`, a pod that opted in to berth stays Pending
 * (PodScheduled=False, reason SchedulerError, a FailedScheduling event naming berth's URL) and is placed, with
 * berth's checks, once berth is back; pods without the marker are not affected. With `ignorable: true` the pod is
 * placed without berth, i.e. without its checks. berth is a real `berth extender` process, crashed with SIGKILL
 * and restarted on the same port; standalone berth keeps no state, so the test, standing in for the node agents,
 * pushes the reports again as soon as /healthz answers (real agents re-push on their retry/heartbeat schedule).
 *
 * Recovery time (berth restarted → pod bound) is measured over several outages of different lengths: it is
 * dominated by kube-scheduler's per-pod backoff (1 s doubling to 10 s), which keeps growing while berth is down.
 */
import t, { type Test } from 'tap';
import { e2eGate, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { startBerth } from './berth-process.ts';
import { PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(420_000);
const gate = e2eGate(t);

const NODES = [
  { name: 'nvme-1', pools: [['nvme0', 800, 1000]] },
  { name: 'nvme-2', pools: [['nvme0', 800, 1000]] },
  { name: 'disk-only', pools: [] },
] as const;
/** How long berth stays down in each run, after the pod was first refused. */
const DOWNTIMES_MS = [2_000, 5_000, 10_000, 20_000, 30_000];
const nvme = (gi: number): Record<string, string> => ({ 'berth.io/nvme-capacity': `${gi}Gi` });

/** A control plane with the scenario's nodes, berth running, and the stand-in agents' reports pushed to it. */
async function nodesWithBerth(t: Test) {
  const cp = await startControlPlane(t);
  const berth = await startBerth(t, cp.dir);
  const agents = new StandInAgents();
  for (const n of NODES) {
    await cp.createNode(n.name);
    agents.set(n.name, { pools: n.pools });
  }
  await agents.push(berth);
  return { cp, berth, agents };
}

t.test(
  "berth down with ignorable: false: opted-in pods wait, then schedule with berth's checks",
  { skip: gate.skip },
  async (t) => {
    const shipped = await loadShippedConfig();
    t.equal(shipped.extender['ignorable'], false, 'the shipped configuration is ignorable: false');
    const { cp, berth, agents } = await nodesWithBerth(t);
    await cp.startScheduler(schedulerConfig(shipped, { url: berth.url }));
    const pods = new PodWatch(cp.kubeConfig());
    const marker = shipped.marker;
    await pods.create(scenarioPod('warm-up', { marker, annotations: nvme(100) }));
    t.match(await pods.bound('warm-up'), /^nvme-/, 'with berth up, an NVMe pod is placed on an NVMe node');

    const recoveries: { downMs: number; healthzMs: number; boundMs: number }[] = [];
    for (const [i, downMs] of DOWNTIMES_MS.entries()) {
      await berth.crash();
      const crashedAt = Date.now();
      const name = `db-${i}`;
      await pods.create(scenarioPod(name, { marker, annotations: nvme(100) }));
      const refused = await pods.refused(name, 'SchedulerError');
      if (i === 0) {
        t.comment(`FailedScheduling while berth is down: ${refused.events.at(-1) ?? ''}`);
        t.ok(
          refused.events.some((m) => m.includes(`${berth.url}/scheduler/filter`) && m.includes('connection refused')),
          "the event names berth's filter URL and the refused connection",
        );
        t.ok(refused.condition.message?.includes('connection refused'), 'so does the PodScheduled condition');
        // managedResources: only opted-in pods depend on berth.
        await pods.create(scenarioPod('not-opted-in', { annotations: nvme(100) }));
        t.ok(await pods.bound('not-opted-in'), 'a pod without the marker is placed while berth is down');
        await pods.create(scenarioPod('opted-in-no-needs', { marker }));
        await pods.refused('opted-in-no-needs', 'SchedulerError');
        t.pass('an opted-in pod without needs waits too (kube-scheduler cannot know berth would pass it)');
      }
      await waitFor(() => Date.now() - crashedAt >= downMs, { timeoutMs: downMs + 1_000, intervalMs: 100 });
      t.equal(await pods.nodeOf(name), undefined, `${name} is still Pending after ${downMs} ms of outage`);

      const restartedAt = performance.now();
      const healthzMs = await berth.start();
      await agents.push(berth);
      const node = await waitFor(
        async () => {
          const bound = await pods.nodeOf(name);
          if (bound !== undefined) return bound;
          const c = await pods.scheduledCondition(name);
          if (c?.reason === 'Unschedulable')
            throw new Error(`${name} was judged before the reports were back: ${c.message ?? ''}`);
          return undefined;
        },
        { timeoutMs: 60_000, intervalMs: 25, description: `${name} to be bound once berth is back` },
      );
      const boundMs = performance.now() - restartedAt;
      recoveries.push({ downMs, healthzMs: Math.round(healthzMs), boundMs: Math.round(boundMs) });
      t.match(
        node,
        /^nvme-/,
        `${name} is placed on an NVMe node once berth is back (${node}), ${Math.round(boundMs)} ms after the restart`,
      );
      t.equal((await pods.scheduledCondition(name))?.status, 'True', `${name} has PodScheduled=True`);
    }
    t.ok(await pods.bound('opted-in-no-needs'), 'the opted-in pod without needs is placed too');
    t.comment('recovery (berth restarted → pod bound), per outage:');
    for (const r of recoveries)
      t.comment(`  down ${r.downMs / 1000} s: /healthz after ${r.healthzMs} ms, pod bound after ${r.boundMs} ms`);
  },
);

t.test('berth down with ignorable: true: opted-in pods are placed without berth', { skip: gate.skip }, async (t) => {
  const shipped = await loadShippedConfig();
  const { cp, berth } = await nodesWithBerth(t);
  await cp.startScheduler(schedulerConfig(shipped, { url: berth.url, ignorable: true }));
  const pods = new PodWatch(cp.kubeConfig());
  const marker = shipped.marker;

  // No node has 900Gi free: with berth up, ignorable changes nothing, the pod is refused with berth's reason.
  await pods.create(scenarioPod('huge-while-up', { marker, annotations: nvme(900) }));
  const refused = await pods.refused('huge-while-up', 'Unschedulable');
  t.ok(
    refused.events.at(-1)?.includes('needs 900Gi NVMe; most free on a candidate: 800Gi in one pool'),
    "with berth up the 900Gi pod is refused with berth's reason",
  );

  await berth.crash();
  await pods.create(scenarioPod('huge-while-down', { marker, annotations: nvme(900) }));
  const node = await pods.bound('huge-while-down');
  t.ok(node, `with berth down the same pod is placed anyway, without berth's checks (on ${node})`);
  t.same(await pods.failedScheduling('huge-while-down'), [], 'no FailedScheduling event: the outage is silent');
});
