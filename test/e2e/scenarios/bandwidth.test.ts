/**
 * Scenario 2, NIC headroom, in both node modes: a pod that needs `berth.io/min-bandwidth: 10G` never lands on a
 * 1G node, with the real kube-scheduler v1.36 calling a real `berth extender` process. The test stands in for the
 * agents of the fake nodes and pushes their reports (link speed and load of eth0) to POST /v1/reports.
 *
 * Two controls keep the scenario honest: the 1G nodes do take a berth pod whose need they meet, and a 10G pod that
 * may only go to them (required node affinity) stays Pending with berth's reason.
 */
import t from 'tap';
import type { V1Affinity } from '@kubernetes/client-node';
import { formatBitRate } from '../../../lib/core/units.ts';
import { Gbps } from '../../helpers/builders.ts';
import { e2eGate, startControlPlane } from '../harness/control-plane.ts';
import { startBerth, sumSamples } from './berth-process.ts';
import { MODES, PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

/** speed null: the NIC reports no link speed (a virtual NIC). Load is the busier direction. */
const NODES = [
  { name: 'fast-25g', zone: 'zone-a', net: 'fast', speed: 25 * Gbps, rx: 1 * Gbps, tx: 2 * Gbps },
  { name: 'fast-10g', zone: 'zone-b', net: 'fast', speed: 10 * Gbps, rx: 0, tx: 0 },
  { name: 'slow-1', zone: 'zone-a', net: 'slow', speed: 1 * Gbps, rx: 0.2 * Gbps, tx: 0.1 * Gbps },
  { name: 'slow-2', zone: 'zone-b', net: 'slow', speed: 1 * Gbps, rx: 0.1 * Gbps, tx: 0.2 * Gbps },
  { name: 'virtual', zone: 'zone-c', net: 'unknown', speed: null, rx: 0, tx: 0 },
] as const;
const headroom = (n: (typeof NODES)[number]): number | null =>
  n.speed === null ? null : n.speed - Math.max(n.rx, n.tx);
const onlySlowNodes: V1Affinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'net', operator: 'In', values: ['slow'] }] }],
    },
  },
};
const REPLICAS = 6;

for (const mode of MODES) {
  t.test(`bandwidth: a 10G pod never lands on a 1G node (${mode.name})`, { skip: gate.skip }, async (t) => {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t);
    const berth = await startBerth(t, cp.dir, mode.berthArgs);
    const agents = new StandInAgents();
    for (const n of NODES) {
      await cp.createNode(n.name, { zone: n.zone, labels: { net: n.net } });
      agents.set(n.name, { zone: n.zone, nics: [{ name: 'eth0', speedBps: n.speed, rxBps: n.rx, txBps: n.tx }] });
    }
    await agents.push(berth);
    await cp.startScheduler(schedulerConfig(shipped, { url: berth.url, nodeCacheCapable: mode.nodeCacheCapable }));
    const pods = new PodWatch(cp.kubeConfig());
    const marker = shipped.marker;
    const tenG = { 'berth.io/min-bandwidth': '10G' };
    const enough = new Set<string>(NODES.filter((n) => (headroom(n) ?? 0) >= 10 * Gbps).map((n) => n.name));

    const placements: string[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      await pods.create(scenarioPod(`stream-${i}`, { marker, annotations: tenG }));
      placements.push(await pods.bound(`stream-${i}`));
    }
    t.comment(`10G pods placed on: ${placements.join(', ')}`);
    t.same(
      placements.filter((n) => !enough.has(n)),
      [],
      `all ${REPLICAS} 10G pods are on nodes with at least 10G headroom`,
    );
    const rejected = sumSamples(await berth.metrics(), 'berth_filter_rejections_total', { reason: 'bandwidth' });
    t.ok(
      rejected >= 2 * REPLICAS,
      `berth rejected the two 1G nodes for every 10G pod (${rejected} bandwidth rejections)`,
    );

    // Control: a pod whose need the 1G nodes meet goes there (when told to), so only the 10G need kept them off.
    await pods.create(
      scenarioPod('light', { marker, annotations: { 'berth.io/min-bandwidth': '500M' }, affinity: onlySlowNodes }),
    );
    const lightNode = await pods.bound('light');
    t.match(lightNode, /^slow-/, `a 500M pod restricted to the 1G nodes is placed (${lightNode})`);

    // A 10G pod that may only use the 1G nodes stays Pending, with berth's figures in its event.
    await pods.create(scenarioPod('heavy-on-slow', { marker, annotations: tenG, affinity: onlySlowNodes }));
    const slow = await pods.refused('heavy-on-slow', 'Unschedulable');
    const slowMessage = slow.events.at(-1) ?? '';
    t.comment(`FailedScheduling: ${slowMessage}`);
    const slowHeadroom = formatBitRate(Math.max(headroom(NODES[2]) ?? 0, headroom(NODES[3]) ?? 0));
    t.ok(
      slowMessage.includes(`2 needs 10Gbit/s bandwidth; most headroom on a candidate: ${slowHeadroom}`),
      'both 1G nodes are refused with one reason and the most headroom either has',
    );
    t.equal(await pods.nodeOf('heavy-on-slow'), undefined, 'the 10G pod is not bound to a 1G node');

    // No node has 40G of headroom: every reason shows, including the NIC without a known speed.
    await pods.create(scenarioPod('too-heavy', { marker, annotations: { 'berth.io/min-bandwidth': '40G' } }));
    const heavy = await pods.refused('too-heavy', 'Unschedulable');
    const heavyMessage = heavy.events.at(-1) ?? '';
    t.comment(`FailedScheduling: ${heavyMessage}`);
    t.match(heavyMessage, new RegExp(`^0/${NODES.length} nodes are available: `), 'the event counts every node');
    t.ok(
      heavyMessage.includes(
        `4 needs 40Gbit/s bandwidth; most headroom on a candidate: ${formatBitRate(headroom(NODES[0]) ?? 0)}`,
      ),
      'the four nodes with a speed share one reason, with the best headroom (the 25G node)',
    );
    t.ok(
      heavyMessage.includes('needs 40Gbit/s bandwidth; node reports no link speed'),
      'the node whose NIC reports no speed is refused as unknown',
    );
  });
}
