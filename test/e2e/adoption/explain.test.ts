/**
 * `kubectl berth explain pod` against a real kube-apiserver v1.36, run as a user who holds only the shipped
 * ClusterRole berth-explain: it reads the pod, its claims, the NodeReports, the Nodes and the pod's peers, takes the
 * policy from the extender Deployment's flags, and prints per node the verdict, terms, score and report age. The
 * answer is compared with what a real extender (`berth extender --kube` in this process, fed by informers) says for
 * the same pod on POST /v1/explain: the same engine, so the same verdicts.
 *
 * Nodes: nvme-big (800Gi free, runs the pod's peer), nvme-mid (300Gi free, 2ms from nvme-big), nvme-small (50Gi),
 * stale-node (a report older than the extender's --report-ttl), no-report (a Node whose agent never reported).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { KubeReportPublisher } from '../../../server/agent/publish-kube.ts';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { GiB, localNvmeClass, nodeReport } from '../kube/burst-fixtures.ts';
import { applyManifests, startKubeExtender, waitReady } from '../kube/kube-fixtures.ts';
import { REPO } from '../../helpers/manifests/render.ts';
import { createAll, shippedObjects } from './routing-fixtures.ts';

const run = promisify(execFile);
t.setTimeout(300_000);
const gate = e2eGate(t);
const TTL_S = 25;
const NODES = ['nvme-big', 'nvme-mid', 'nvme-small', 'stale-node', 'no-report'];
const OWNER = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'e2e-db-uid', controller: true };

interface Explained {
  pod: { namespace: string; name: string };
  routing: { routed: boolean; why: string };
  needs: { nvme: string | null } | null;
  peerNodes: string[];
  policy: { reportTtlMs: number; source: string };
  nodes: {
    node: string;
    passed: boolean;
    reason: string | null;
    code: string | null;
    score: number | null;
    terms: unknown;
    report: { state: string };
  }[];
  warnings: string[];
  summary: { passed: number; total: number; text: string };
}

async function kubectlBerth(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Executed the way kubectl executes a plugin: the file itself, its shebang finding Node 24 first on PATH.
  const path = `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
  return run(join(REPO, 'bin', 'kubectl-berth'), args, { env: { ...process.env, PATH: path, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: unknown) => {
      const f = e as { code?: number; stdout?: string; stderr?: string };
      return { code: f.code ?? -1, stdout: f.stdout ?? '', stderr: f.stderr ?? '' };
    },
  );
}

t.test('berth explain pod, with read-only rights, says what the extender says', { skip: gate.skip }, async (t) => {
  const cp = await startControlPlane(t, { users: [{ name: 'alice' }, { name: 'nobody' }] });
  const admin = cp.kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await applyManifests(admin, ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/explain.yaml']);
  await createAll(admin, [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'berth-explain-alice' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'berth-explain' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    },
  ]);
  // The shipped extender Deployment, with the two flags this cluster needs: explain reads them from it.
  const [deployment] = await shippedObjects('extender/deployment.yaml');
  const container = (deployment as unknown as k8s.V1Deployment).spec?.template.spec?.containers[0];
  container?.args?.push(`--report-ttl=${TTL_S}s`, '--nvme-storage-classes=local-nvme');
  await createAll(admin, deployment ? [deployment] : []);
  for (const n of NODES) await cp.createNode(n);
  await admin.makeApiClient(k8s.StorageV1Api).createStorageClass({ body: localNvmeClass('local-nvme') });
  const publish = (
    node: string,
    free: number,
    peers: { node: string; p50Us: number; p99Us: number; samples: number }[] = [],
  ) =>
    new KubeReportPublisher({ k8s, kc: admin, node, timeoutMs: 10_000 }).publish(
      { ...nodeReport(node, free * GiB, 1000 * GiB, 1), peers },
      new AbortController().signal,
    );

  await publish('stale-node', 800);
  const staleSince = Date.now();
  await core.createNamespace({ body: model<k8s.V1Namespace>({ metadata: { name: 'apps' } }) });
  const pod = (name: string, o: Partial<k8s.V1Pod['spec']> & { annotations?: Record<string, string> } = {}) =>
    model<k8s.V1Pod>({
      metadata: { name, annotations: o.annotations ?? {}, ownerReferences: [OWNER] },
      spec: {
        containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }],
        ...(o.nodeName ? { nodeName: o.nodeName } : {}),
        ...(o.volumes ? { volumes: o.volumes } : {}),
      },
    });
  await core.createNamespacedPod({ namespace: 'apps', body: pod('db-peer', { nodeName: 'nvme-big' }) });
  await core.createNamespacedPod({
    namespace: 'apps',
    body: pod('db-0', { annotations: { 'berth.io/nvme-capacity': '200Gi', 'berth.io/max-peer-latency': '1ms' } }),
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace: 'apps',
    body: model<k8s.V1PersistentVolumeClaim>({
      metadata: { name: 'data-vol-0' },
      spec: {
        storageClassName: 'local-nvme',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '100Gi' } },
      },
    }),
  });
  await core.createNamespacedPod({
    namespace: 'apps',
    body: pod('vol-0', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-vol-0' } }] }),
  });
  const extender = await startKubeExtender(admin, { 'report-ttl': `${TTL_S}s`, 'nvme-storage-classes': 'local-nvme' });
  t.teardown(() => extender.close());
  await waitFor(() => Date.now() - staleSince > (TTL_S + 1.5) * 1000, {
    timeoutMs: 60_000,
    intervalMs: 250,
    description: 'the first report to age past the TTL',
  });
  await publish('nvme-big', 800);
  await publish('nvme-mid', 300, [{ node: 'nvme-big', p50Us: 2000, p99Us: 3000, samples: 10 }]);
  await publish('nvme-small', 50);
  await waitReady(extender);
  await waitFor(() => extender.running.deps.store.size === 4, { description: 'the extender to hold the four reports' });

  const alice = await cp.writeKubeconfig('alice');
  const json = await kubectlBerth(['explain', 'pod', 'apps/db-0', '-o', 'json', '--kubeconfig', alice]);
  t.equal(json.code, 0, `exit 0 (${json.stderr})`);
  const out = JSON.parse(json.stdout) as Explained;
  // The extender's own answer for the same pod, asked right away, while the same reports are fresh or stale.
  const podJson = await core.readNamespacedPod({ name: 'db-0', namespace: 'apps' });
  const res = await fetch(`${extender.running.url}/v1/explain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Pod: podJson, Nodes: null, NodeNames: NODES }),
  });
  const theirs = (await res.json()) as {
    nodes: { node: string; passed: boolean; reason: string | null; score: number | null; terms: unknown }[];
  };
  const text = await kubectlBerth(['explain', 'pod', 'db-0', '-n', 'apps'], { KUBECONFIG: alice });

  t.same(
    out.nodes.map((n) => [n.node, n.passed, n.code]),
    [
      ['nvme-big', true, null],
      ['no-report', false, 'no_report'],
      ['nvme-mid', false, 'peer_latency'],
      ['nvme-small', false, 'nvme_capacity'],
      ['stale-node', false, 'report_stale'],
    ],
    'every node, passing first, then by name, each with the reason berth uses',
  );
  const byNode = new Map(theirs.nodes.map((n) => [n.node, n]));
  for (const n of out.nodes) {
    const e = byNode.get(n.node);
    t.same(
      [n.passed, n.reason, n.score, n.terms],
      [e?.passed, e?.reason, e?.score, e?.terms],
      `${n.node}: the extender says the same`,
    );
  }
  t.same(
    out.nodes.map((n) => [n.node, n.report.state]),
    [
      ['nvme-big', 'fresh'],
      ['no-report', 'missing'],
      ['nvme-mid', 'fresh'],
      ['nvme-small', 'fresh'],
      ['stale-node', 'stale'],
    ],
    'report freshness judged as the extender judges it',
  );
  // The peer runs on nvme-big itself: no network peer, so the latency term is neutral (0.5), and as the only node
  // that passes, nvme-big is not turned away for sharing a node with it.
  t.equal(out.nodes[0]?.score, 6, 'nvme-big: (600/1000 + 0.5) / 2 → 5.5, rounded to 6');
  t.same(out.peerNodes, ['nvme-big'], 'the peer found through the pod controller');
  t.equal(out.policy.reportTtlMs, TTL_S * 1000, "the TTL comes from the extender Deployment's flags");
  t.match(out.policy.source, /Deployment berth-system\/berth-extender/);
  t.match(out.warnings.join('\n'), /NodeReport stale-node is stale: written \d+s ago, berth's --report-ttl is 25s/);
  t.match(out.warnings.join('\n'), /node no-report has no NodeReport/);
  t.equal(out.routing.routed, false, 'the pod requests no marker: explain says kube-scheduler does not ask berth');
  t.match(out.summary.text, /^1 of 5 nodes pass, best nvme-big \(score 6\); rejected: /);

  t.equal(text.code, 0, `text: exit 0 (${text.stderr})`);
  const rows = text.stdout.split('\n');
  const header = rows.findIndex((l) => l.startsWith('NODE'));
  t.match(rows[header] ?? '', /^NODE\s+RESULT\s+SCORE\s+CAPACITY\s+BANDWIDTH\s+LATENCY\s+REPORT\s+WHY$/, 'a table');
  t.match(
    rows[header + 1] ?? '',
    /^nvme-big\s+pass\s+6\s+0\.60\s+-\s+0\.50\s+fresh \d+s$/,
    'the passing node, terms and score',
  );
  t.match(rows[header + 3] ?? '', /^nvme-mid\s+reject.*2ms to nvme-big \(limit 1ms\)$/, 'a rejection and why');
  t.match(rows[header + 5] ?? '', /^stale-node\s+reject.*STALE \d+s\s+report stale/, 'the stale report, said clearly');
  t.match(text.stdout, /\nSummary: {2}1 of 5 nodes pass, best nvme-big \(score 6\)/, 'a one-line summary');
  t.comment(`\n${text.stdout}`);

  await t.test('a claim-only pod, berth defaults, and the errors a user meets', async (t) => {
    const vol = JSON.parse(
      (await kubectlBerth(['explain', 'pod', 'apps/vol-0', '-ojson', '--kubeconfig', alice])).stdout,
    ) as Explained;
    t.equal(vol.needs?.nvme, '100Gi in 1 volume(s)', "the NVMe need comes from the pod's unbound local-NVMe claim");
    t.equal(vol.nodes.find((n) => n.node === 'nvme-small')?.code, 'nvme_capacity', 'and is judged like one');
    const defaults = JSON.parse(
      (await kubectlBerth(['explain', 'pod', 'apps/vol-0', '-o', 'json', '--extender', '', '--kubeconfig', alice]))
        .stdout,
    ) as Explained;
    t.match(defaults.policy.source, /^berth's defaults/, "without the Deployment: berth's defaults");
    t.equal(defaults.needs?.nvme, null, '... which name no local-NVMe class, so the claim is no NVMe need');
    t.equal(
      defaults.nodes.find((n) => n.node === 'stale-node')?.report.state,
      'fresh',
      '... and at 180s that report is fresh',
    );
    const given = JSON.parse(
      (
        await kubectlBerth([
          'explain',
          'pod',
          'apps/vol-0',
          '-o',
          'json',
          '--extender=',
          '--nvme-storage-classes',
          'local-nvme',
          '--kubeconfig',
          alice,
        ])
      ).stdout,
    ) as Explained;
    t.equal(given.needs?.nvme, '100Gi in 1 volume(s)', 'a class given on the command line counts again');
    t.match(given.policy.source, /with --nvme-storage-classes from the command line/, 'and the source says so');

    const nobody = await kubectlBerth([
      'explain',
      'pod',
      'apps/db-0',
      '--kubeconfig',
      await cp.writeKubeconfig('nobody'),
    ]);
    t.equal(nobody.code, 1, 'no rights: exit 1');
    t.match(
      nobody.stderr,
      /cannot read pod apps\/db-0: forbidden \(see manifests\/rbac\/explain\.yaml/,
      nobody.stderr.trim(),
    );
    const missing = await kubectlBerth(['explain', 'pod', 'apps/nope', '--kubeconfig', alice]);
    t.equal(missing.code, 1, 'no such pod: exit 1');
    t.match(missing.stderr, /cannot read pod apps\/nope: not found/, missing.stderr.trim());
    const usage = await kubectlBerth(['explain', 'deployment', 'x', '--kubeconfig', alice]);
    t.equal(usage.code, 2, 'a wrong word: exit 2');
    t.match(usage.stderr, /expected "pod", got "deployment"/);
  });

  const kubectl = await run('kubectl', ['version', '--client']).then(
    () => true,
    () => false,
  );
  await t.test(
    'as a kubectl plugin',
    { skip: kubectl ? false : 'no kubectl on PATH (bin/kubectl-berth was run directly above)' },
    async (t) => {
      const viaKubectl = await run('kubectl', ['berth', 'explain', 'pod', 'apps/db-0', '-o', 'json'], {
        env: {
          ...process.env,
          KUBECONFIG: alice,
          PATH: `${join(REPO, 'bin')}:${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
        },
      });
      const got = JSON.parse(viaKubectl.stdout) as Explained;
      t.same(got.pod, out.pod, 'kubectl berth explain pod: the same pod');
      t.same(got.nodes.map((n) => n.node).sort(), [...NODES].sort(), '... every node judged');
      t.same(got.needs, out.needs, '... with the same needs');
    },
  );
});
