/**
 * `berth extender --kube` as a process, the way the Deployment runs it: flags → Kubernetes side → informers →
 * ready, metrics exposed, clean exit on SIGTERM. Against a real kube-apiserver v1.36.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { freePort } from '../harness/ports.ts';
import { e2eGate, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { nodeReport, GiB } from './burst-fixtures.ts';
import { applyManifests } from './kube-fixtures.ts';

t.setTimeout(180_000);
const gate = e2eGate(t);
const root = join(import.meta.dirname, '..', '..', '..');

t.test('berth extender --kube runs, syncs, reports metrics and stops on SIGTERM', { skip: gate.skip }, async (t) => {
  const cp = await startControlPlane(t);
  const admin = cp.kubeConfig();
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml']);
  await cp.createNode('n1');
  await new KubeReportPublisher({ k8s, kc: admin, node: 'n1', timeoutMs: 10_000 }).publish(
    nodeReport('n1', 10 * GiB, 20 * GiB, 1),
    new AbortController().signal,
  );
  const kubeconfig = await cp.writeKubeconfig();
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'berth.js'),
      'extender',
      '--kube',
      '--kubeconfig',
      kubeconfig,
      '--listen',
      `127.0.0.1:${port}`,
      '--shutdown-delay',
      '0s',
      '--nvme-storage-classes',
      'local-nvme',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    output += b.toString();
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
    timeoutMs: 30_000,
    description: `the extender process to be ready (output: ${output})`,
  });
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const name of [
    'berth_informer_synced{resource="nodereports"} 1',
    'berth_informer_restarts_total',
    'berth_informer_last_event_age_seconds',
    'berth_reservations_in_flight 0',
    'berth_ledger_releases_total{reason="report"}',
  ]) {
    t.ok(metrics.includes(name), `/metrics has ${name}`);
  }
  const reports = (await (await fetch(`http://127.0.0.1:${port}/v1/reports`)).json()) as {
    items: { node: string; nvmeFreeBytes: number }[];
  };
  t.same(
    reports.items.map((r) => [r.node, r.nvmeFreeBytes]),
    [['n1', 10 * GiB]],
    'the report came through the informer',
  );
  const push = await fetch(`http://127.0.0.1:${port}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(push.status, 403, 'report push is off by default with --kube');
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, `exits cleanly on SIGTERM (output: ${output.slice(-500)})`);

  // A replica started later judges the report's age by when the API server took it, not by when it listed it:
  // a report older than --report-ttl is stale from the first moment.
  await new Promise((r) => setTimeout(r, 3_000));
  const port2 = await freePort();
  const late = spawn(
    process.execPath,
    [
      join(root, 'bin', 'berth.js'),
      'extender',
      '--kube',
      '--kubeconfig',
      kubeconfig,
      '--listen',
      `127.0.0.1:${port2}`,
      '--shutdown-delay',
      '0s',
      '--report-ttl',
      '2s',
      '--log-level',
      'warn',
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    if (late.exitCode === null) late.kill('SIGKILL');
  });
  const seen = await waitFor(
    async () => {
      const body = (await (await fetch(`http://127.0.0.1:${port2}/v1/reports`)).json()) as {
        items: { node: string; stale: boolean; ageSeconds: number }[];
      };
      return body.items[0];
    },
    { timeoutMs: 30_000, description: 'the late replica to list the report' },
  );
  t.ok(seen.stale && seen.ageSeconds >= 2, `an old report is stale at once in a new replica (age ${seen.ageSeconds}s)`);
  const ready = await fetch(`http://127.0.0.1:${port2}/readyz`);
  t.equal(ready.status, 503, 'and readiness says so');
  late.kill('SIGTERM');
  await once(late, 'exit');
});
