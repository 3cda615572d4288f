/**
 * Informer supervision against a real kube-apiserver v1.36:
 *   - the API server restarted mid-run: informers error out, readiness drops, they come back, and what changed
 *     while they were down is seen;
 *   - a stalled connection (StallProxy stops forwarding bytes and closes nothing): no error ever reaches
 *     client-node, so only the watchdog can notice; readiness drops within the documented bound and returns
 *     once bytes flow again, and what changed during the stall is seen.
 * Both are real API servers and real TCP; nothing is faked but the stall itself.
 */
import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { RESTART_MAX_MS } from '../../../lib/cluster/informer-health.ts';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { pod } from '../../helpers/builders.ts';
import { e2eGate, startControlPlane, waitFor, type ControlPlane } from '../harness/control-plane.ts';
import { nodeReport, GiB } from './burst-fixtures.ts';
import {
  EXTENDER_NS,
  EXTENDER_SA,
  applyManifests,
  extenderArgs,
  post,
  serviceAccountToken,
  startKubeExtender,
  tokenKubeConfig,
  waitReady,
  type KubeExtender,
} from './kube-fixtures.ts';
import { StallProxy } from './stall-proxy.ts';

t.setTimeout(420_000);
const gate = e2eGate(t);
const WATCHDOG_MS = 35_000;
const CHECK_EVERY_MS = Math.min(5_000, WATCHDOG_MS / 4);

/** Polls /readyz and keeps the transitions. */
class ReadinessLog {
  readonly changes: { atMs: number; ready: boolean; reasons: string[] }[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(ext: KubeExtender) {
    this.#timer = setInterval(() => {
      void fetch(`${ext.running.url}/readyz`).then(
        async (res) => {
          const body = (await res.json()) as { reasons?: string[] };
          const ready = res.status === 200;
          if (this.changes.at(-1)?.ready !== ready)
            this.changes.push({ atMs: Date.now(), ready, reasons: body.reasons ?? [] });
        },
        () => undefined,
      );
    }, 100);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  firstAfter(ms: number, ready: boolean): { atMs: number; reasons: string[] } | undefined {
    return this.changes.find((c) => c.atMs >= ms && c.ready === ready);
  }
}

async function setup(
  t: Test,
  cp: ControlPlane,
  server?: string,
): Promise<{ ext: KubeExtender; publish: (node: string, freeGiB: number) => Promise<void> }> {
  const admin = cp.kubeConfig();
  let seq = 0;
  const publish = async (node: string, freeGiB: number): Promise<void> => {
    await new KubeReportPublisher({ k8s, kc: admin, node, timeoutMs: 10_000 }).publish(
      nodeReport(node, freeGiB * GiB, 1000 * GiB, ++seq),
      new AbortController().signal,
    );
  };
  await publish('n1', 500);
  await publish('n2', 500);
  const token = await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA);
  const ext = await startKubeExtender(tokenKubeConfig(cp, token, server), {
    'watchdog-timeout': `${WATCHDOG_MS / 1000}s`,
  });
  t.teardown(() => ext.close());
  await waitReady(ext);
  return { ext, publish };
}

async function passing(ext: KubeExtender): Promise<string> {
  const res = await post(
    `${ext.running.url}/scheduler/filter`,
    extenderArgs(pod({ [ANNOTATIONS.nvmeCapacity]: '100Gi' }), ['n1', 'n2']),
  );
  return JSON.stringify((JSON.parse(res.text) as { NodeNames: string[] }).NodeNames);
}

async function controlPlane(t: Test): Promise<ControlPlane> {
  const cp = await startControlPlane(t);
  await applyManifests(cp.kubeConfig(), ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml']);
  await cp.createNode('n1');
  await cp.createNode('n2');
  await cp.createNode('n3');
  return cp;
}

t.test('the API server restarts mid-run', { skip: gate.skip }, async (t) => {
  const cp = await controlPlane(t);
  const { ext, publish } = await setup(t, cp);
  t.equal(await passing(ext), '["n1","n2"]', 'both nodes pass before');
  const log = new ReadinessLog(ext);
  t.teardown(() => {
    log.stop();
  });
  const restartAt = Date.now();
  await cp.restartApiserver();
  const upAt = Date.now();
  // Changed as soon as the API server is back, while the informers are still down or backing off.
  await publish('n1', 50);
  const dropped = await waitFor(() => log.firstAfter(restartAt, false), {
    timeoutMs: 30_000,
    description: 'readiness to drop',
  });
  const back = await waitFor(() => log.firstAfter(dropped.atMs, true), {
    timeoutMs: RESTART_MAX_MS + 30_000,
    description: 'readiness to return',
  });
  t.match(
    dropped.reasons.join('; '),
    /informer (down|not synced)/,
    `readiness dropped ${dropped.atMs - restartAt} ms after the restart began: ${dropped.reasons.join('; ')}`,
  );
  t.ok(
    back.atMs - upAt <= RESTART_MAX_MS + 10_000,
    `ready again ${back.atMs - upAt} ms after the API server was back (bound: backoff cap ${RESTART_MAX_MS} ms + a LIST)`,
  );
  await waitFor(async () => (await passing(ext)) === '["n2"]', {
    timeoutMs: 10_000,
    description: 'the report changed during the outage to be seen',
  });
  t.pass('answers are correct afterwards: n1 (now 50Gi free) is rejected for 100Gi');
  const restarts = ext.kube.informers().map((i) => i.health.restarts);
  t.ok(
    restarts.every((n) => n >= 1),
    `every informer restarted: ${JSON.stringify(restarts)}`,
  );
  const metrics = await (await fetch(`${ext.running.url}/metrics`)).text();
  t.match(metrics, /berth_informer_synced\{resource="nodereports"\} 1/, 'synced gauge back to 1');
  t.match(metrics, /berth_informer_restarts_total\{resource="pods"\} [1-9]/, 'restarts counted');
  t.comment(
    `apiserver restart took ${upAt - restartAt} ms; readiness ${dropped.atMs - restartAt} ms → dropped, ${back.atMs - upAt} ms after restart → ready`,
  );
});

t.test('a stalled connection is detected by the watchdog and recovered', { skip: gate.skip }, async (t) => {
  const cp = await controlPlane(t);
  const proxy = await StallProxy.start(cp.ports.apiserver);
  t.teardown(() => proxy.close());
  const { ext, publish } = await setup(t, cp, `https://127.0.0.1:${proxy.port}`);
  await publish('n3', 500);
  await waitFor(() => ext.running.deps.store.get('n3') !== undefined, { description: "n3's report in the extender" });
  const log = new ReadinessLog(ext);
  t.teardown(() => {
    log.stop();
  });
  const stallAt = Date.now();
  proxy.stall();
  await publish('n2', 50); // straight to the API server: the extender cannot see it through the stalled proxy
  // And a deletion it cannot see either: only the relist after recovery can tell that n3's report is gone.
  await cp
    .kubeConfig()
    .makeApiClient(k8s.CustomObjectsApi)
    .deleteClusterCustomObject({ group: 'berth.io', version: 'v1alpha1', plural: 'nodereports', name: 'n3' });
  const dropped = await waitFor(() => log.firstAfter(stallAt, false), {
    timeoutMs: WATCHDOG_MS + CHECK_EVERY_MS + 10_000,
    description: 'the watchdog to notice',
  });
  const detectMs = dropped.atMs - stallAt;
  t.match(
    dropped.reasons.join('; '),
    /stalled: nothing from the API server/,
    `readiness dropped: ${dropped.reasons.join('; ')}`,
  );
  t.ok(
    detectMs <= WATCHDOG_MS + CHECK_EVERY_MS + 1_000,
    `detected ${detectMs} ms after the stall began (bound: watchdog ${WATCHDOG_MS} ms + check interval ${CHECK_EVERY_MS} ms)`,
  );
  t.equal(
    await passing(ext),
    '["n1","n2"]',
    'meanwhile the extender still answers from what it had (readiness tells the Service to stop routing)',
  );
  const resumeAt = Date.now();
  proxy.resume();
  const back = await waitFor(() => log.firstAfter(resumeAt, true), {
    timeoutMs: 90_000,
    description: 'readiness to return',
  });
  const recoverMs = back.atMs - resumeAt;
  t.ok(
    recoverMs <= Math.min(30_000, WATCHDOG_MS / 2) + RESTART_MAX_MS + 5_000,
    `ready again ${recoverMs} ms after bytes flowed again (bound: LIST timeout + backoff cap)`,
  );
  await waitFor(async () => (await passing(ext)) === '["n1"]', {
    timeoutMs: 10_000,
    description: 'the change made during the stall to be seen',
  });
  t.pass('the report written during the stall is seen after recovery');
  t.equal(
    ext.running.deps.store.get('n3'),
    undefined,
    'the report deleted during the stall is gone too (relist reconciled)',
  );
  t.comment(
    `stall: detected after ${detectMs} ms, recovered ${recoverMs} ms after resume; restarts ${JSON.stringify(ext.kube.informers().map((i) => [i.resource, i.health.restarts]))}`,
  );
});
