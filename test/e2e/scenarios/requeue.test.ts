/**
 * Retry when room appears, end to end: the real kube-scheduler v1.36 (shipped wiring) refuses a pod that needs
 * 200Gi of NVMe because every node reports 100Gi free; then one node's NodeReport shows 400Gi, and nothing else
 * happens in the cluster. berth (`berth extender --kube`, a child process, as the berth-extender service account
 * under the shipped RBAC and admission policy) sees the report, patches berth.io/requeue on the pending pod, and
 * kube-scheduler retries and binds it.
 *
 * First the control: with `--requeue-rate 0` the same report leaves the pod Pending well past the 10 s target (it
 * would wait for the next cluster event or kube-scheduler's 5-minute flush). Then three runs with the default
 * flags, each bound within RUN_BOUND_MS of the report (the target is a p95 of 10 s; `node bench/requeue-latency.ts`
 * measures the distribution over many runs).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eGate } from '../harness/control-plane.ts';
import { NODES, RoomAppears, percentile } from './requeue-setup.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

/** Half the 10 s target: each run must make it with that margin. */
const RUN_BOUND_MS = 5_000;
/** How long the control watches the pod after the report: past the 10 s target. */
const CONTROL_MS = 12_000;
const RUNS = 3;

t.test(
  'a pod refused for NVMe is placed within seconds of a report that makes room',
  { skip: gate.skip },
  async (t) => {
    const setup = await RoomAppears.start(t);

    await t.test('control: without berth.io/requeue the report alone changes nothing', async (t) => {
      await setup.startBerth(['--requeue-rate', '0']);
      const name = await setup.refusedPod();
      await setup.report('nvme-a', 400);
      await sleep(CONTROL_MS); // watching for something that must not happen: no condition to wait for
      t.equal(await setup.pods.nodeOf(name), undefined, `${CONTROL_MS / 1000} s after the report the pod is Pending`);
      t.equal(await setup.metric('berth_requeue_touches_total'), 0, 'and berth touched nothing');
      // A restarted kube-scheduler tries every pending pod at once: this one is placed, and then cleaned up.
      await setup.startBerth();
      t.equal(await setup.pods.bound(name), 'nvme-a', 'placed once kube-scheduler restarts');
      await setup.reset('nvme-a');
    });

    await t.test(`with the default flags: ${RUNS} runs`, async (t) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const node = NODES[i % NODES.length] ?? 'nvme-a';
        const name = await setup.refusedPod();
        t.ok((await setup.metric('berth_requeue_waiting_pods')) >= 1, `${name}: berth remembers it was turned away`);
        const run = await setup.roomAppears(name, node);
        t.comment(
          `${name}: bound to ${node} ${Math.round(run.boundMs)} ms after the report` +
            ` (berth annotated it after ${run.annotatedMs ?? '?'} ms)`,
        );
        t.ok(run.boundMs < RUN_BOUND_MS, `${name} bound within ${RUN_BOUND_MS / 1000} s of the report`);
        t.match(
          run.annotation,
          new RegExp(`^room on ${node} at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`),
          'by berth.io/requeue',
        );
        times.push(run.boundMs);
        await setup.reset(node);
      }
      times.sort((a, b) => a - b);
      t.comment(
        `report → bound over ${RUNS} runs: p50 ${Math.round(percentile(times, 50))} ms, max ${Math.round(times.at(-1) ?? 0)} ms`,
      );
      t.equal(await setup.metric('berth_requeue_touches_total'), RUNS, 'one annotation per run');
      t.equal(await setup.metric('berth_requeue_failures_total'), 0, 'no failed write');
      t.equal(await setup.metric('berth_requeue_held_back_total'), 0, 'nothing held back by a limit');
      t.equal(await setup.metric('berth_requeue_waiting_pods'), 0, 'every placed pod forgotten');
      t.ok(
        (await setup.metric('berth_requeue_forgotten_total', { reason: 'passed' })) +
          (await setup.metric('berth_requeue_forgotten_total', { reason: 'placed' })) >=
          RUNS,
        'forgotten because they passed filter or were placed',
      );
    });
  },
);
