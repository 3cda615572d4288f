/**
 * Both shipped ways of wiring kube-scheduler to berth, run with the real kube-scheduler of the e2e control plane
 * and berth serving mTLS with certificates from scripts/gen-certs.sh:
 *   (a) manifests/scheduler/extender-config.yaml on the default scheduler: opted-in pods land next to NVMe, other
 *       pods never reach berth, and while berth is down only opted-in pods wait (no bootstrap deadlock);
 *   (b) the second scheduler from manifests/scheduler/second-scheduler.yaml, with its own RBAC applied and the
 *       scheduler running as its ServiceAccount: it becomes leader on its own Lease and places its pods.
 * Only the extender's address, the certificate paths and the kubeconfig differ from what ships.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { report } from '../helpers/builders.ts';
import { logPath, schedulerArgs, waitUntilHealthy } from '../e2e/harness/components.ts';
import { e2eGate, model, startControlPlane, waitFor, type ControlPlane } from '../e2e/harness/control-plane.ts';
import { freePorts } from '../e2e/harness/ports.ts';
import { ManagedProcess } from '../e2e/harness/processes.ts';
import { ApiClient, failureMessage } from '../helpers/manifests/apiserver.ts';
import {
  answered,
  generateCerts,
  opensslVersion,
  startTlsExtender,
  testSchedulerConfig,
} from '../helpers/manifests/berth-tls.ts';
import { loadObjects, MANIFESTS } from '../helpers/manifests/render.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);
const openssl = await opensslVersion();
if (openssl === null && process.env['BERTH_E2E_REQUIRED'] === '1')
  t.fail('openssl is required to run scripts/gen-certs.sh (BERTH_E2E_REQUIRED=1)');
const skip =
  gate.skip !== false
    ? gate.skip
    : openssl === null
      ? 'scheduler wiring tests skipped: openssl is missing (apt-get install openssl)'
      : false;
const binDir = gate.skip === false ? gate.binDir : '';
const SA_USER = 'system:serviceaccount:berth-system:berth-scheduler';

function berthPod(name: string, opts: { nvme: string; marker?: boolean; schedulerName?: string }): V1Pod {
  return model<V1Pod>({
    metadata: { name, annotations: { 'berth.io/nvme-capacity': opts.nvme } },
    spec: {
      ...(opts.schedulerName === undefined ? {} : { schedulerName: opts.schedulerName }),
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          resources: opts.marker === false ? {} : { limits: { 'berth.io/managed': '1' } },
        },
      ],
    },
  });
}

const plainPod = (name: string): V1Pod =>
  model<V1Pod>({ metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } });

async function nodeOf(core: CoreV1Api, name: string): Promise<string> {
  return waitFor(async () => (await core.readNamespacedPod({ name, namespace: 'default' })).spec?.nodeName, {
    timeoutMs: 30_000,
    description: `${name} to be bound`,
  });
}

async function unscheduled(core: CoreV1Api, name: string, reason: string): Promise<string> {
  return waitFor(
    async () => {
      const c = (await core.readNamespacedPod({ name, namespace: 'default' })).status?.conditions?.find(
        (x) => x.type === 'PodScheduled',
      );
      return c?.status === 'False' && c.reason === reason ? (c.message ?? '') : undefined;
    },
    { timeoutMs: 30_000, description: `${name} to be refused with ${reason}` },
  );
}

async function nodesWithReports(cp: ControlPlane, ingest: (r: ReturnType<typeof report>) => void): Promise<void> {
  for (const name of ['nvme-node', 'small-node', 'bare-node']) await cp.createNode(name, { cpu: '8', memory: '16Gi' });
  ingest(report('nvme-node', { pools: [['nvme0', 500, 1000]] }));
  ingest(report('small-node', { pools: [['nvme0', 10, 1000]] }));
  // bare-node has no agent report: berth rejects it.
}

// Without the binaries (or openssl) the whole file is one skip line; under BERTH_E2E_REQUIRED=1 the gate has failed it.
if (skip !== false) t.plan(0, skip);
else {
  t.test('(a) extender-config.yaml on the default scheduler', async (t) => {
    const certs = await generateCerts(t.testdir());
    const berth = await startTlsExtender(certs);
    t.teardown(() => berth.close());
    const cp = await startControlPlane(t);
    await nodesWithReports(cp, (r) => {
      berth.deps.store.ingest(r, Date.now());
    });
    const shipped = await readFile(join(MANIFESTS, 'scheduler', 'extender-config.yaml'), 'utf8');
    await cp.startScheduler(
      testSchedulerConfig(shipped, {
        extenderUrl: berth.url,
        ca: certs.ca,
        cert: certs.clientCert,
        key: certs.clientKey,
      }),
    );
    t.pass('kube-scheduler became healthy with the shipped configuration');
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);

    await core.createNamespacedPod({ namespace: 'default', body: berthPod('opted-in', { nvme: '100Gi' }) });
    t.equal(await nodeOf(core, 'opted-in'), 'nvme-node', 'the opted-in pod landed on the node with 500Gi of free NVMe');
    const filtered = await answered(berth, 'filter');
    t.ok(
      filtered >= 1,
      `berth answered ${filtered} filter calls over mTLS (serverName verified against gen-certs.sh's SAN)`,
    );

    await core.createNamespacedPod({ namespace: 'default', body: plainPod('not-opted-in') });
    await nodeOf(core, 'not-opted-in');
    t.equal(
      await answered(berth, 'filter'),
      filtered,
      'a pod without berth.io/managed was scheduled without asking berth',
    );

    await core.createNamespacedPod({ namespace: 'default', body: berthPod('too-big', { nvme: '900Gi' }) });
    const refusal = await unscheduled(core, 'too-big', 'Unschedulable');
    t.match(
      refusal,
      /2 needs 900Gi NVMe; most free on a candidate: 500Gi in one pool/,
      `no node has 900Gi free, and berth's reason reaches the pod, once for both nodes: ${refusal}`,
    );
    t.match(refusal, /1 no report from berth agent/, '... with the node that has no report');

    await berth.close();
    await core.createNamespacedPod({ namespace: 'default', body: berthPod('while-down', { nvme: '1Gi' }) });
    const error = await unscheduled(core, 'while-down', 'SchedulerError');
    t.match(
      error,
      /berth-extender|127\.0\.0\.1|connect/,
      `with berth down an opted-in pod waits, visibly (ignorable: false): ${error.slice(0, 160)}`,
    );
    await core.createNamespacedPod({ namespace: 'default', body: plainPod('plain-while-down') });
    t.ok(
      await nodeOf(core, 'plain-while-down'),
      'with berth down every other pod still schedules: no bootstrap deadlock',
    );
  });

  t.test('(b) second-scheduler.yaml as its own ServiceAccount', async (t) => {
    const certs = await generateCerts(t.testdir());
    const berth = await startTlsExtender(certs);
    t.teardown(() => berth.close());
    const cp = await startControlPlane(t, {
      users: [{ name: SA_USER, groups: ['system:serviceaccounts', 'system:serviceaccounts:berth-system'] }],
    });
    await nodesWithReports(cp, (r) => {
      berth.deps.store.ingest(r, Date.now());
    });
    const api = new ApiClient(cp.server, cp.pki.caPem, cp.token());
    const objects = [
      ...(await loadObjects(join(MANIFESTS, 'namespaces.yaml'))),
      ...(await loadObjects(join(MANIFESTS, 'scheduler', 'second-scheduler.yaml'))),
    ];
    for (const { object } of objects.filter((o) => o.object.kind !== 'Deployment')) {
      const res = await api.apply(object, { dryRun: false });
      t.ok(
        res.status < 300,
        `applied ${object.kind} ${String(object.metadata['name'])}: ${res.status < 300 ? 'ok' : failureMessage(res)}`,
      );
    }
    const configMap = objects.find((o) => o.object.kind === 'ConfigMap')?.object;
    const embedded = (configMap?.['data'] as Record<string, string> | undefined)?.['scheduler-config.yaml'] ?? '';
    const configPath = join(cp.dir, 'berth-scheduler-config.yaml');
    await writeFile(
      configPath,
      testSchedulerConfig(embedded, {
        extenderUrl: berth.url,
        ca: certs.ca,
        cert: certs.clientCert,
        key: certs.clientKey,
        kubeconfig: await cp.writeKubeconfig(SA_USER),
      }),
    );

    const [port] = await freePorts(1);
    const scheduler = new ManagedProcess(
      'berth-scheduler',
      join(binDir, 'kube-scheduler'),
      schedulerArgs(configPath, port ?? 0, await cp.writeKubeconfig(SA_USER), []),
      logPath(cp.dir, 'berth-scheduler'),
    );
    t.teardown(async () => {
      await scheduler.stop();
      if (!t.passing()) process.stderr.write(`\n# berth-scheduler log tail:\n${scheduler.tail(60)}\n`);
    });
    scheduler.start();
    await waitUntilHealthy(scheduler, `https://127.0.0.1:${String(port)}/readyz`, {
      insecureSkipVerify: true,
      timeoutMs: 60_000,
    });
    t.pass('the second scheduler became healthy, authenticated as its ServiceAccount');

    const lease = await waitFor(
      async () =>
        (
          await cp
            .kubeConfig()
            .makeApiClient(CoordinationV1Api)
            .readNamespacedLease({ name: 'berth-scheduler', namespace: 'berth-system' })
        ).spec?.holderIdentity,
      { timeoutMs: 30_000, description: 'the berth-scheduler Lease to have a holder' },
    );
    t.ok(lease, `it holds its own Lease berth-system/berth-scheduler (${lease}), granted by the shipped Role`);

    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: berthPod('second-scheduled', { nvme: '100Gi', marker: false, schedulerName: 'berth-scheduler' }),
    });
    t.equal(await nodeOf(core, 'second-scheduled'), 'nvme-node', 'a pod naming berth-scheduler landed next to NVMe');
    t.ok((await answered(berth, 'filter')) >= 1, "through berth's filter");
    const parsed = parse(embedded) as { profiles: { schedulerName: string }[] };
    t.same(
      parsed.profiles.map((p) => p.schedulerName),
      ['berth-scheduler'],
      'the profile that placed it is the shipped one',
    );
  });
}
