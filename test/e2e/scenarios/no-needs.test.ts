/**
 * Scenario 4, in both node modes: pods that opt in to berth (the marker resource) but ask for nothing schedule
 * exactly as they do without berth. One control plane, the same fake nodes, the same pods, twice: first with the
 * shipped scheduler configuration minus its extender, then with berth (a real `berth extender` process) behind a
 * recording proxy, so the test sees every request kube-scheduler made and every answer berth gave.
 *
 * The in-tree scoring is made decisive on purpose: preferred node affinity (gold 100, silver 50, bronze 10) with
 * room for three pods on each tiered node, so no two nodes tie (a tie goes to whichever node the parallel filtering
 * listed first), while any score from berth (weight 5: up to 500 points) or any node it dropped would change the
 * placements. full-nodes.test.ts does the same with placements decided by load.
 *
 * Then pods without the marker: kube-scheduler must never send them to berth, whatever their annotations say
 * (counted on berth's own /metrics). The test stands in for the agents of three of the four nodes.
 */
import t from 'tap';
import type { V1Affinity } from '@kubernetes/client-node';
import { isRecord } from '../../../lib/core/check.ts';
import { e2eGate, startControlPlane } from '../harness/control-plane.ts';
import { startBerth, startWireTap, type Exchange } from './berth-process.ts';
import {
  MODES,
  PodWatch,
  StandInAgents,
  loadShippedConfig,
  scenarioPod,
  schedulerConfig,
  schedulerConfigWithoutBerth,
} from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const TIERS = [
  ['gold', 100],
  ['silver', 50],
  ['bronze', 10],
] as const;
const PODS = 10;
const preferTiers: V1Affinity = {
  nodeAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: TIERS.map(([tier, weight]) => ({
      weight,
      preference: { matchExpressions: [{ key: 'tier', operator: 'In', values: [tier] }] },
    })),
  },
};

function nodeNames(nodes: unknown): string[] | null {
  if (!isRecord(nodes) || !Array.isArray(nodes['items'])) return null;
  return nodes['items'].map((n: unknown) =>
    isRecord(n) && isRecord(n['metadata']) ? String(n['metadata']['name']) : '?',
  );
}

/** The candidate nodes of a request, or the passing nodes of a filter answer, in either node mode. */
function names(body: unknown): string[] | null {
  if (!isRecord(body)) return null;
  return Array.isArray(body['NodeNames']) ? body['NodeNames'].map(String) : nodeNames(body['Nodes']);
}

function isEmptyMap(v: unknown): boolean {
  return v === null || v === undefined || (isRecord(v) && Object.keys(v).length === 0);
}

for (const mode of MODES) {
  t.test(`pods without needs schedule exactly as without berth (${mode.name})`, { skip: gate.skip }, async (t) => {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t);
    const berth = await startBerth(t, cp.dir, mode.berthArgs);
    const wire = await startWireTap(t, berth.url);
    const agents = new StandInAgents();
    for (const [tier] of TIERS) {
      await cp.createNode(tier, { zone: `zone-${tier}`, pods: 3, labels: { tier } });
      agents.set(tier, { zone: `zone-${tier}` });
    }
    await cp.createNode('plain', { zone: 'zone-plain' }); // no agent: berth has no report for it
    await agents.push(berth);
    const pods = new PodWatch(cp.kubeConfig());
    const run = async (): Promise<string[]> => {
      const placed: string[] = [];
      for (let i = 0; i < PODS; i++) {
        await pods.create(scenarioPod(`app-${i}`, { marker: shipped.marker, affinity: preferTiers }));
        placed.push(await pods.bound(`app-${i}`));
      }
      return placed;
    };

    await cp.startScheduler(schedulerConfigWithoutBerth(shipped));
    const without = await run();
    t.comment(`without berth: ${without.join(', ')}`);
    await pods.forceDelete();

    await cp.restartScheduler(schedulerConfig(shipped, { url: wire.url, nodeCacheCapable: mode.nodeCacheCapable }));
    const withBerth = await run();
    t.comment(`with berth:    ${withBerth.join(', ')}`);
    t.same(withBerth, without, 'every pod lands on the node it lands on without berth');

    const filters = wire.exchanges.filter((e) => e.path.endsWith('/filter'));
    const prioritizes = wire.exchanges.filter((e) => e.path.endsWith('/prioritize'));
    t.equal(filters.length, PODS, 'kube-scheduler asked berth to filter each opted-in pod once');
    const filterProblems = filters.flatMap((e: Exchange) => {
      const r = e.response;
      const asked = names(e.request);
      const passed = names(r);
      const ok =
        e.status === 200 &&
        isRecord(r) &&
        asked !== null &&
        passed !== null &&
        JSON.stringify(passed) === JSON.stringify(asked) &&
        isEmptyMap(r['FailedNodes']) &&
        isEmptyMap(r['FailedAndUnresolvableNodes']) &&
        (r['Error'] ?? '') === '';
      return ok ? [] : [JSON.stringify(r).slice(0, 300)];
    });
    t.same(
      filterProblems,
      [],
      'every filter answer passed every candidate, the node without a report included, and failed none',
    );
    if (!mode.nodeCacheCapable) {
      const altered = filters.filter(
        (e) =>
          isRecord(e.request) &&
          isRecord(e.response) &&
          JSON.stringify(e.request['Nodes']) !== JSON.stringify(e.response['Nodes']),
      );
      t.equal(altered.length, 0, 'full-nodes answers return the Node objects exactly as sent');
    }
    t.ok(
      prioritizes.length > 0,
      `prioritize was called (${prioritizes.length} times, for the pods with at least two feasible nodes)`,
    );
    const scored = prioritizes.filter(
      (e) =>
        e.status !== 200 ||
        !Array.isArray(e.response) ||
        e.response.some((h: unknown) => !isRecord(h) || h['Score'] !== 0),
    );
    t.same(
      scored.map((e) => e.response),
      [],
      'every prioritize answer gave no score (an empty list, or zeros)',
    );
    t.equal(
      filters.filter((e) => names(e.request)?.includes('plain')).length,
      PODS,
      'the node without a report was offered every time',
    );

    // Pods without the marker are never sent to berth, even with berth annotations (and no report fits 500Gi).
    const before = {
      filter: await berth.requestCount('filter'),
      prioritize: await berth.requestCount('prioritize'),
      wire: wire.exchanges.length,
    };
    t.equal(before.filter, PODS, "berth's own /metrics counts the same filter calls as the proxy saw");
    await pods.create(scenarioPod('unmarked', {}));
    await pods.create(scenarioPod('unmarked-with-needs', { annotations: { 'berth.io/nvme-capacity': '500Gi' } }));
    t.ok(await pods.bound('unmarked'), 'a pod without the marker is bound');
    t.ok(
      await pods.bound('unmarked-with-needs'),
      'a pod with berth annotations but no marker is bound too (not opted in)',
    );
    const after = {
      filter: await berth.requestCount('filter'),
      prioritize: await berth.requestCount('prioritize'),
      wire: wire.exchanges.length,
    };
    t.same(
      after,
      before,
      'kube-scheduler sent neither pod to berth (berth_extender_request_duration_seconds_count unchanged)',
    );
  });
}
