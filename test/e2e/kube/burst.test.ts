/**
 * No overcommit in bursts, against the real kube-scheduler, kube-apiserver and kube-controller-manager v1.36:
 * a Parallel StatefulSet of 40 pods, each claiming 100Gi of local NVMe through its PVC, on 10 nodes whose reports
 * leave room for 36. No kubelet or CSI driver runs here, so TestProvisioner plays the local-volume provisioner
 * (selected-node → local PV with that node's affinity; the PV controller binds it) and FakeAgents republish each
 * node's report as its free space shrinks, as agents would.
 *
 * Run twice: with provisional holds (the default) and without, to measure what the holds buy. The numbers are
 * printed as comments; docs/kubernetes.md quotes them.
 */
import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { httpGet } from '../harness/wait.ts';
import { sumSamples } from '../scenarios/berth-process.ts';
import {
  EXTENDER_NS,
  EXTENDER_SA,
  TestProvisioner,
  applyManifests,
  serviceAccountToken,
  startKubeExtender,
  tokenKubeConfig,
  waitReady,
} from './kube-fixtures.ts';
import {
  FakeAgents,
  GiB,
  burstOutcome,
  extenderSchedulerConfig,
  localNvmeClass,
  statefulSet,
} from './burst-fixtures.ts';

t.setTimeout(600_000);
const gate = e2eGate(t);

const NODES = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
// Six nodes with room for four 100Gi claims, four with room for three: 36 in all.
const FREE = new Map(NODES.map((n, i) => [n, (i < 6 ? 400 : 300) * GiB]));
const ROOM = 36;
const PODS = 40;
const CAPACITY = 1000 * GiB;

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

/** `guarded`: assert no overcommit; the run without provisional holds only measures what happens. */
async function burst(t: Test, provisionalTtl: string, guarded: boolean): Promise<void> {
  const cp = await startControlPlane(t);
  const admin = cp.kubeConfig();
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
  // Nodes before kube-controller-manager: its node controllers update new Nodes, and the harness's createNode
  // then loses its status update to a 409.
  for (const n of NODES) await cp.createNode(n);
  await cp.startControllerManager();
  await admin.makeApiClient(k8s.StorageV1Api).createStorageClass({ body: localNvmeClass('local-nvme') });
  const provisioner = new TestProvisioner(admin, 'local-nvme');
  const agents = new FakeAgents(admin, FREE, CAPACITY, provisioner, 2_000);
  t.teardown(() => {
    provisioner.stop();
    agents.stop();
  });
  await agents.publishAll();

  const token = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA);
  const ext = await startKubeExtender(tokenKubeConfig(cp, token), {
    'nvme-storage-classes': 'local-nvme',
    'provisional-ttl': provisionalTtl,
  });
  t.teardown(() => ext.close());
  await waitReady(ext);
  await waitFor(() => ext.running.deps.store.size === NODES.length, { description: 'all reports in the extender' });
  await cp.startScheduler(extenderSchedulerConfig(ext.running.url));

  const core = admin.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: model<k8s.V1Namespace>({ metadata: { name: 'burst' } }) });
  const startedAt = Date.now();
  await admin
    .makeApiClient(k8s.AppsV1Api)
    .createNamespacedStatefulSet({ namespace: 'burst', body: statefulSet('db', PODS, 'local-nvme', '100Gi') });

  // Settled: every pod is either bound (PreBind done, so its claim is bound) or has been refused with an event.
  const outcome = await waitFor(
    async () => {
      const o = await burstOutcome(admin, 'burst');
      const settled =
        o.bound + o.pending.length === PODS &&
        o.pending.every((p) => o.failedSchedulingMessages.has(p)) &&
        provisioner.provisioned.length >= o.bound;
      return settled && o.bound + o.pending.length === PODS ? o : null;
    },
    { timeoutMs: 180_000, intervalMs: 500, description: 'the burst to settle' },
  );
  const settledMs = Date.now() - startedAt;
  // Refused pods wait for kube-scheduler to retry them, which it does on a cluster event (or after its 5-minute
  // flush). Before each nudge, wait until every placed claim is accounted for by a newer report (nothing counted
  // twice in berth's ledger); then nudge with Node label changes, as any real cluster's churn would, and wait for
  // what the nudge causes, read from the scheduler's own metrics: one more attempt for every pod that was pending,
  // and nothing left in its active or backoff queue. Stop when the room is used up, or when a nudge on settled
  // state placed nothing more: conservative refusals during the burst (holds on tied nodes, a volume counted in
  // both the report and the ledger until the next report) must cost only time, and retries must not overcommit.
  const core2 = admin.makeApiClient(k8s.CoreV1Api);
  const scheduler = async (): Promise<string> =>
    (
      await httpGet(`https://127.0.0.1:${cp.ports.scheduler}/metrics`, {
        insecureSkipVerify: true,
        bearerToken: cp.token(),
      })
    ).body;
  let nudges = 0;
  let final = outcome;
  // Only the guarded run is retried: the measurement run records the first pass's race window and nothing after it
  // (its refused pods' retries are the requeue tests' subject, not this one's).
  while (guarded && final.bound < ROOM && nudges < PODS) {
    nudges++;
    await waitFor(() => ext.kube.state.ledger.stats().inFlight === 0, {
      timeoutMs: 60_000,
      description: 'every placed claim accounted for by a newer report',
    });
    const attemptsBefore = sumSamples(await scheduler(), 'scheduler_schedule_attempts_total');
    for (const n of NODES)
      await core2.patchNode(
        { name: n, body: { metadata: { labels: { 'berth.e2e/nudge': String(nudges) } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const after = await waitFor(
      async () => {
        const m = await scheduler();
        const retried = sumSamples(m, 'scheduler_schedule_attempts_total') - attemptsBefore >= final.pending.length;
        const queued =
          sumSamples(m, 'scheduler_pending_pods', { queue: 'active' }) +
          sumSamples(m, 'scheduler_pending_pods', { queue: 'backoff' });
        if (!retried || queued > 0) return null;
        const o = await burstOutcome(admin, 'burst');
        return o.bound + o.pending.length === PODS && provisioner.provisioned.length >= o.bound ? o : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `every pending pod tried again after nudge ${nudges}` },
    );
    const placedMore = after.bound > final.bound;
    final = after;
    if (!placedMore) break;
  }

  const overcommitted = [...final.claimedByNode]
    .filter(([node, claimed]) => claimed > (FREE.get(node) ?? 0))
    .map(([node, claimed]) => `${node} ${claimed / GiB}Gi`);
  if (guarded) {
    t.ok(final.bound <= ROOM, `at most ${ROOM} pods land (${final.bound} bound)`);
    t.equal(final.bound, ROOM, `and, once retried, all ${ROOM} places are used (${nudges} nudges)`);
    for (const [node, claimed] of final.claimedByNode) {
      t.ok(
        claimed <= (FREE.get(node) ?? 0),
        `${node}: claimed ${claimed / GiB}Gi ≤ reported free ${(FREE.get(node) ?? 0) / GiB}Gi`,
      );
    }
    for (const p of final.pending)
      t.match(
        final.failedSchedulingMessages.get(p) ?? '',
        /needs 100Gi NVMe/,
        `${p} stays Pending with berth's reason`,
      );
  }
  t.equal(final.bound + final.pending.length, PODS, 'every pod is accounted for');
  t.comment(`overcommitted nodes: ${overcommitted.length === 0 ? 'none' : overcommitted.join(', ')}`);

  const stats = ext.kube.state.ledger.stats();
  const race = ext.kube.state.raceStats();
  const windows = [...race.windowsMs].sort((a, b) => a - b);
  t.comment(
    `provisional-ttl=${provisionalTtl}: ${final.bound}/${PODS} bound (room ${ROOM}), first pass settled in ${settledMs} ms with ${outcome.bound} bound; ${nudges} retry nudges`,
  );
  t.comment(
    `ledger: reserved ${JSON.stringify(stats.reserved)}, released ${JSON.stringify(stats.released)}, provisional ${JSON.stringify(stats.provisional)}, in flight now ${stats.inFlight}, max in flight ${stats.maxInFlight}`,
  );
  t.comment(
    `race: placements seen on a held node ${race.hits}, elsewhere ${race.misses}, without a hold ${race.unheld}; prioritize→placement observed p50 ${percentile(windows, 50)} ms, p99 ${percentile(windows, 99)} ms, max ${windows.at(-1) ?? 0} ms`,
  );
  t.comment(
    `claimed per node (Gi): ${JSON.stringify(Object.fromEntries([...final.claimedByNode].map(([n, b]) => [n, b / GiB])))}; fake agent publishes ${agents.publishes}`,
  );
  t.ok(
    stats.reserved['selected-node'] >= final.bound,
    'every placed claim was reserved from its selected-node annotation',
  );
  t.equal(race.hits + race.misses + race.unheld >= final.bound, true, 'every placement was observed');
}

t.test('a 40-pod burst on room for 36: provisional holds on (default)', { skip: gate.skip }, async (t) => {
  await burst(t, '15s', true);
});

// The same burst with --provisional-ttl 0: only the API-visible signals (selected-node, bindings) reserve. This
// measures the race window the holds close; it asserts only that the run completed and is accounted for.
t.test('the same burst without provisional holds (measurement)', { skip: gate.skip }, async (t) => {
  await burst(t, '0', false);
});
