/**
 * Scenarios 4 and 6 where the in-tree scoring is decided by load rather than by labels: two equal nodes, one
 * already running a large pod, and opted-in pods without needs. Without berth, NodeResourcesFit and
 * BalancedAllocation send every pod to the empty node. With berth (a real `berth extender` process) and
 * `nodeCacheCapable: true` the placements must be the same.
 *
 * With `nodeCacheCapable: false`, kube-scheduler v1.36.3 builds a new, empty NodeInfo for every Node object an
 * extender returns (pkg/scheduler/extender.go, Filter), so its scoring sees both nodes as idle: kubernetes#141781,
 * the reason berth's README recommends `true`. The tie then goes to whichever node comes first in the feasible list
 * (v1.36.3 randomises ties only among nodes an extender scored, schedule_one.go prioritizeNodes, and berth scores
 * nothing for these pods); that order comes from the parallel in-tree filtering and varies, so pods land on the
 * busy node too. This test checks that this is still what the pinned kube-scheduler does, so the README's advice is
 * re-examined when Kubernetes is upgraded.
 *
 * Last, the README's promise for a berth started without --accept-full-nodes: full-node requests get a 400 saying
 * what to change (seen through a recording proxy, since kube-scheduler's event shows only the status code).
 */
import t from 'tap';
import type { V1Pod } from '@kubernetes/client-node';
import { e2eGate, model, startControlPlane } from '../harness/control-plane.ts';
import { startBerth, startWireTap } from './berth-process.ts';
import {
  PodWatch,
  StandInAgents,
  loadShippedConfig,
  scenarioPod,
  schedulerConfig,
  schedulerConfigWithoutBerth,
} from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const PODS = 16;

t.test('load-driven placement with and without berth, in both node modes', { skip: gate.skip }, async (t) => {
  const shipped = await loadShippedConfig();
  const cp = await startControlPlane(t);
  const berth = await startBerth(t, cp.dir, ['--accept-full-nodes']);
  const agents = new StandInAgents();
  for (const node of ['roomy', 'busy']) {
    await cp.createNode(node, { cpu: '8', memory: '32Gi' });
    agents.set(node, {});
  }
  await agents.push(berth);
  const pods = new PodWatch(cp.kubeConfig());
  // Already running on busy (bound directly, as a DaemonSet pod would be): three quarters of its CPU and memory.
  await pods.create(
    model<V1Pod>({
      metadata: { name: 'ballast' },
      spec: {
        nodeName: 'busy',
        containers: [
          { name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '6', memory: '24Gi' } } },
        ],
      },
    }),
  );

  const run = async (schedulerYaml: string): Promise<string[]> => {
    await cp.restartScheduler(schedulerYaml);
    const placed: string[] = [];
    for (let i = 0; i < PODS; i++) {
      await pods.create(scenarioPod(`app-${i}`, { marker: shipped.marker, labels: { run: 'app' } }));
      placed.push(await pods.bound(`app-${i}`));
    }
    await pods.forceDelete('run=app');
    return placed;
  };
  const summary = (placed: readonly string[]): string =>
    `${placed.filter((n) => n === 'busy').length} of ${placed.length} on busy (${placed.join(', ')})`;

  const without = await run(schedulerConfigWithoutBerth(shipped));
  t.comment(`without berth: ${summary(without)}`);
  const names = await run(schedulerConfig(shipped, { url: berth.url, nodeCacheCapable: true }));
  t.comment(`berth, nodeCacheCapable: true: ${summary(names)}`);
  t.same(names, without, 'with node names, every pod lands where it lands without berth');

  const full = await run(schedulerConfig(shipped, { url: berth.url, nodeCacheCapable: false }));
  t.comment(`berth, nodeCacheCapable: false: ${summary(full)}`);
  t.ok(
    full.includes('busy') && !without.includes('busy'),
    'with full nodes, v1.36.3 scores the returned nodes as empty and some pods land on the busy node (kubernetes#141781, as the README says)',
  );
});

t.test(
  'full-node requests to a berth without --accept-full-nodes: 400, and the pod waits',
  { skip: gate.skip },
  async (t) => {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t);
    const berth = await startBerth(t, cp.dir);
    const wire = await startWireTap(t, berth.url);
    await cp.createNode('node-1');
    await cp.createNode('node-2');
    await cp.startScheduler(schedulerConfig(shipped, { url: wire.url, nodeCacheCapable: false }));
    const pods = new PodWatch(cp.kubeConfig());
    await pods.create(scenarioPod('refused', { marker: shipped.marker }));
    const { events } = await pods.refused('refused', 'SchedulerError');
    t.comment(`FailedScheduling: ${events.at(-1) ?? ''}`);
    t.ok(
      events.some((m) => m.includes('code 400')),
      'kube-scheduler reports the failed filter call with its status',
    );
    const answer = JSON.stringify(wire.exchanges.find((e) => e.path.endsWith('/filter'))?.response ?? null);
    t.ok(
      answer.includes('nodeCacheCapable: true') && answer.includes('--accept-full-nodes'),
      `berth's 400 says what to change: ${answer}`,
    );
    t.equal(await pods.nodeOf('refused'), undefined, 'the pod is not placed (ignorable: false)');
  },
);
