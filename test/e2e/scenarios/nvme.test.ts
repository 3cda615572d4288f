/**
 * Scenario 1, NVMe capacity, in both node modes: the real kube-scheduler v1.36, wired with the shipped
 * configuration, calls berth (a real `berth extender` process) for pods that ask for `berth.io/nvme-capacity`.
 * Pods must land only where their volume fits, and when nothing fits the pod's FailedScheduling event must carry
 * berth's reasons, figures included.
 *
 * No agent runs here: the test stands in for the agents on the five fake nodes and pushes their reports to
 * POST /v1/reports, and after each placement republishes the chosen node's report with the volume carved out, as
 * that node's agent would once the local-volume provisioner had allocated it.
 *
 * Last, an agent reports freed space: the pending pod is placed there, but only once kube-scheduler retries it,
 * which a report alone never causes (berth is not an API object kube-scheduler watches).
 */
import t from 'tap';
import { formatBytes } from '../../../lib/core/units.ts';
import { GiB } from '../../helpers/builders.ts';
import { e2eGate, startControlPlane } from '../harness/control-plane.ts';
import { startBerth, sumSamples } from './berth-process.ts';
import { MODES, PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const NEED_GI = 200;
const CAPACITY_GI = 1000;
/** How long the pending pod is watched after a report alone, without any cluster event. */
const QUIET_MS = 5_000;
/** free: NVMe GiB free in pool nvme0; null: the agent reports no NVMe pool; absent agent: no report at all. */
const NODES = [
  { name: 'nvme-a', zone: 'zone-a', agent: true, free: 800 },
  { name: 'nvme-b', zone: 'zone-b', agent: true, free: 300 },
  { name: 'nvme-c', zone: 'zone-c', agent: true, free: 120 },
  { name: 'disk-only', zone: 'zone-a', agent: true, free: null },
  { name: 'no-agent', zone: 'zone-b', agent: false, free: null },
] as const;

for (const mode of MODES) {
  t.test(
    `NVMe: pods land where their volume fits, and say why not when nothing does (${mode.name})`,
    { skip: gate.skip },
    async (t) => {
      const shipped = await loadShippedConfig();
      const cp = await startControlPlane(t);
      const berth = await startBerth(t, cp.dir, mode.berthArgs);
      const agents = new StandInAgents();
      const free = new Map<string, number>();
      const pools = (gi: number | null): readonly (readonly [string, number, number])[] =>
        gi === null ? [] : [['nvme0', gi, CAPACITY_GI]];
      for (const n of NODES) {
        await cp.createNode(n.name, { zone: n.zone });
        if (n.free !== null) free.set(n.name, n.free);
        if (n.agent) agents.set(n.name, { zone: n.zone, pools: pools(n.free) });
      }
      await agents.push(berth);
      await cp.startScheduler(schedulerConfig(shipped, { url: berth.url, nodeCacheCapable: mode.nodeCacheCapable }));
      const pods = new PodWatch(cp.kubeConfig());
      const needs = { 'berth.io/nvme-capacity': `${NEED_GI}Gi` };

      // Room for whole volumes, from the reports alone: kube-scheduler has no other way to know it.
      const room = [...free.values()].reduce((n, gi) => n + Math.floor(gi / NEED_GI), 0);
      t.comment(`room for ${room} volumes of ${NEED_GI}Gi on ${JSON.stringify(Object.fromEntries(free))}`);
      const placements: string[] = [];
      for (let i = 0; i < room; i++) {
        const name = `db-${i}`;
        await pods.create(scenarioPod(name, { marker: shipped.marker, annotations: needs }));
        const node = await pods.bound(name);
        const before = free.get(node);
        t.ok(
          before !== undefined && before >= NEED_GI,
          `${name} bound to ${node}, which reported ${before ?? 'no'} GiB free NVMe`,
        );
        placements.push(node);
        if (before === undefined) continue;
        free.set(node, before - NEED_GI);
        agents.set(node, { ...agents.spec(node), pools: pools(before - NEED_GI) });
        await agents.push(berth, [node]);
      }
      t.comment(`placements: ${placements.join(', ')}`);
      const never = ['nvme-c', 'disk-only', 'no-agent'];
      t.same(
        placements.filter((n) => never.includes(n)),
        [],
        'no pod landed on a node without enough free NVMe',
      );

      // Every pool is now too small: the next pod stays Pending with berth's reasons in kubectl describe.
      await pods.create(scenarioPod('db-overflow', { marker: shipped.marker, annotations: needs }));
      const { condition, events } = await pods.refused('db-overflow', 'Unschedulable');
      const message = events.at(-1) ?? '';
      t.comment(`FailedScheduling: ${message}`);
      t.match(message, new RegExp(`^0/${NODES.length} nodes are available: `), 'the event counts every node');
      // Nodes refused for the same cause share one reason, with the most any of them has left.
      const most = formatBytes(Math.max(...free.values()) * GiB);
      const tooSmall = `${free.size} needs ${NEED_GI}Gi NVMe; most free on a candidate: ${most} in one pool`;
      t.ok(message.includes(tooSmall), `the event groups the ${free.size} nodes that are too small: "${tooSmall}"`);
      t.ok(
        message.includes(`needs ${NEED_GI}Gi NVMe; node reports no NVMe pool`),
        '... says why for the node whose agent reports no NVMe',
      );
      t.ok(message.includes('no report from berth agent'), '... and for the node without an agent');
      t.ok(
        condition.message?.includes(`most free on a candidate: ${most} in one pool`),
        'the PodScheduled condition carries the same reasons',
      );
      t.equal(await pods.nodeOf('db-overflow'), undefined, 'the pod is not bound');

      // nvme-c's agent now reports room (space freed outside Kubernetes). A report is not a cluster event:
      // kube-scheduler does not retry the pod for it, only on its next cluster event (or after 5 minutes).
      agents.set('nvme-c', { ...agents.spec('nvme-c'), pools: pools(400) });
      await agents.push(berth, ['nvme-c']);
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      t.equal(
        await pods.nodeOf('db-overflow'),
        undefined,
        `${QUIET_MS / 1000} s after the report, with no cluster event, the pod is still Pending`,
      );
      const eventAt = performance.now();
      await pods.create(scenarioPod('unrelated')); // any pod or node change is one; in a busy cluster they never stop
      t.equal(
        await pods.bound('db-overflow'),
        'nvme-c',
        'after the next cluster event it is placed on nvme-c, now the only node with room',
      );
      t.comment(`placed ${Math.round(performance.now() - eventAt)} ms after the cluster event`);

      const metrics = await berth.metrics();
      t.ok(
        sumSamples(metrics, 'berth_filter_rejections_total', { reason: 'nvme_capacity' }) > 0,
        'berth counted NVMe capacity rejections',
      );
      t.ok(
        sumSamples(metrics, 'berth_extender_request_duration_seconds_count', { verb: 'filter', code: '200' }) >=
          room + 1,
        'every filter call was answered 200',
      );
    },
  );
}
