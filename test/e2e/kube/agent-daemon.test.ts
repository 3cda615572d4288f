/**
 * `berth agent --kube` as the DaemonSet runs it, against a real kube-apiserver v1.36: two agent processes, each
 * with a token bound to a pod on its node (the kind the kubelet mounts), under the shipped RBAC and own-node
 * admission policy, and a real `berth extender --kube` process reading what they write. Nothing is published by
 * the test: every number in the NodeReports comes from the agents measuring this machine and each other.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  NODE_REPORT_API_VERSION,
  NODE_REPORT_GROUP,
  NODE_REPORT_KIND,
  NODE_REPORT_PLURAL,
  NODE_REPORT_VERSION,
} from '../../../lib/core/node-report-resource.ts';
import type { NodeReport } from '../../../lib/core/report.ts';
import { FIELD_MANAGER } from '../../../server/agent/publish-kube.ts';
import { freePort } from '../harness/ports.ts';
import { e2eGate, startControlPlane, waitFor, type ControlPlane } from '../harness/control-plane.ts';
import { kubeconfigFile } from '../harness/users.ts';
import {
  AGENT_NS,
  AGENT_SA,
  EXTENDER_NS,
  EXTENDER_SA,
  applyManifests,
  placeholderPod,
  serviceAccountToken,
  tokenKubeConfig,
} from './kube-fixtures.ts';

t.setTimeout(240_000);
const gate = e2eGate(t);
const BERTH = join(import.meta.dirname, '..', '..', '..', 'bin', 'berth.js');
const ZONES: Readonly<Record<string, string>> = { 'node-a': 'z1', 'node-b': 'z2' };

/** A `berth` child process with its output kept for assertions and failure messages. */
class Berth {
  readonly child: ChildProcess;
  output = '';

  constructor(args: readonly string[]) {
    // Neither the node nor the zone may leak in from the test's environment: they must come from flags and the Node.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k !== 'BERTH_ZONE' && k !== 'NODE_NAME' && k !== 'KUBECONFIG'),
    );
    this.child = spawn(process.execPath, [BERTH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child.stdout?.on('data', (b: Buffer) => {
      this.output += b.toString();
    });
    this.child.stderr?.on('data', (b: Buffer) => {
      this.output += b.toString();
    });
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit') as Promise<[number | null]>;
    this.child.kill('SIGTERM');
    return (await exited)[0];
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** The agent's JSON log lines with this message. */
  logs(msg: string): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === msg);
  }
}

type NodeReportObject = k8s.KubernetesObject & { status?: Omit<NodeReport, 'apiVersion'> };

async function getReport(kc: k8s.KubeConfig, name: string): Promise<NodeReportObject | null> {
  try {
    return (await kc.makeApiClient(k8s.CustomObjectsApi).getClusterCustomObject({
      group: NODE_REPORT_GROUP,
      version: NODE_REPORT_VERSION,
      plural: NODE_REPORT_PLURAL,
      name,
    })) as NodeReportObject;
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return null;
    throw e;
  }
}

/** A kubeconfig file for a child process, carrying a service account token (what the pod's in-cluster config is). */
async function tokenKubeconfigFile(cp: ControlPlane, dir: string, name: string, token: string): Promise<string> {
  const path = join(dir, `kubeconfig-${name}`);
  await writeFile(path, kubeconfigFile({ server: cp.server, caPem: cp.pki.caPem }, { name, groups: [], token }), {
    mode: 0o600,
  });
  return path;
}

function agentArgs(kubeconfig: string, node: string, pool: string): string[] {
  return [
    'agent',
    '--kube',
    '--kubeconfig',
    kubeconfig,
    '--node',
    node,
    '--probe-listen',
    '127.0.0.1:0',
    '--pool',
    `fast=mount:${pool}`,
    '--interval',
    '1s',
    '--heartbeat',
    '2s',
    '--peers-refresh',
    '1s',
    '--probe-count',
    '2',
  ];
}

t.test(
  'berth agent --kube publishes NodeReports the extender serves, and agents find each other through them',
  { skip: gate.skip },
  async (t) => {
    const cp = await startControlPlane(t);
    const admin = cp.kubeConfig();
    const dir = await mkdtemp(join(tmpdir(), 'berth-agent-daemon-'));
    const processes: Berth[] = [];
    t.teardown(async () => {
      for (const p of processes) p.kill();
      if (!t.passing())
        for (const p of processes) process.stderr.write(`\n# output of a berth process:\n${p.output.slice(-3000)}\n`);
      await rm(dir, { recursive: true, force: true });
    });
    await applyManifests(admin, [
      'namespaces.yaml',
      'crd/nodereports.yaml',
      'rbac/agent.yaml',
      'rbac/extender.yaml',
      'admission/nodereport-policy.yaml',
    ]);
    const nodes = new Map<string, k8s.V1Node>();
    for (const [name, zone] of Object.entries(ZONES)) nodes.set(name, await cp.createNode(name, { zone }));
    const kubeconfigs = new Map<string, string>();
    for (const name of nodes.keys()) {
      // A DaemonSet pod's token: the agent's service account, bound to a pod on that node (node-name claim).
      const pod = await placeholderPod(admin, AGENT_NS, `agent-${name}`, AGENT_SA, name);
      kubeconfigs.set(
        name,
        await tokenKubeconfigFile(cp, dir, name, await serviceAccountToken(admin, AGENT_NS, AGENT_SA, { pod })),
      );
    }
    const pools = new Map<string, string>();
    for (const name of nodes.keys()) {
      const pool = join(dir, `pool-${name}`);
      await mkdir(pool);
      pools.set(name, pool);
    }
    const kubeconfigOf = (node: string): string => kubeconfigs.get(node) ?? '';
    const poolOf = (node: string): string => pools.get(node) ?? '';

    // The policy is enforced a moment after it is created; until then a wrongly aimed write would go through.
    const custom = tokenKubeConfig(
      cp,
      await serviceAccountToken(admin, AGENT_NS, AGENT_SA, {
        pod: await placeholderPod(admin, AGENT_NS, 'probe-policy', AGENT_SA, 'node-a'),
      }),
    ).makeApiClient(k8s.CustomObjectsApi);
    await waitFor(
      () =>
        custom
          .createClusterCustomObject({
            group: NODE_REPORT_GROUP,
            version: NODE_REPORT_VERSION,
            plural: NODE_REPORT_PLURAL,
            dryRun: 'All',
            body: { apiVersion: NODE_REPORT_API_VERSION, kind: NODE_REPORT_KIND, metadata: { name: 'node-b' } },
          })
          .then(
            () => false,
            (e: unknown) => e instanceof k8s.ApiException && e.code === 403,
          ),
      { description: 'the admission policy to be enforced' },
    );

    await t.test('an agent aimed at another node is refused by the policy, and says so', async (t) => {
      const wrong = new Berth([
        ...agentArgs(kubeconfigOf('node-a'), 'node-b', poolOf('node-b')),
        '--no-probe',
        '--retry-base',
        '200ms',
        '--retry-max',
        '1s',
      ]);
      processes.push(wrong);
      await waitFor(() => wrong.logs('publish failed').length > 0, {
        timeoutMs: 30_000,
        description: `a failed publish (output: ${wrong.output})`,
      });
      t.match(
        String(wrong.logs('publish failed')[0]?.['reason']),
        /the berth agent on node node-a may only write NodeReport node-a, not node-b/,
        "the policy's own message is logged",
      );
      t.equal(await getReport(admin, 'node-b'), null, 'nothing was written');
      t.equal(await wrong.stop(), 0, 'it still stops cleanly on SIGTERM');
    });

    const extPort = await freePort();
    const extKubeconfig = await tokenKubeconfigFile(
      cp,
      dir,
      'extender',
      await serviceAccountToken(admin, EXTENDER_NS, EXTENDER_SA),
    );

    await t.test('an agent that cannot read its Node for the zone does not start zone-less', async (t) => {
      // The extender's service account may not get Nodes: the read is refused every time.
      const blind = new Berth([
        ...agentArgs(extKubeconfig, 'node-a', poolOf('node-a')),
        '--no-probe',
        '--retry-base',
        '10ms',
        '--retry-max',
        '10ms',
      ]);
      processes.push(blind);
      const [code] = (await once(blind.child, 'exit')) as [number | null];
      t.equal(code, 1, 'exit 1 (a runtime failure, not a bad flag)');
      t.match(
        blind.output,
        /berth agent: cannot read Node node-a for its topology\.kubernetes\.io\/zone label \(pass --zone to skip this\): 403 .*cannot get resource "nodes"/,
        "names the Node, the label, the way out, and the API server's reason",
      );
      t.equal(blind.logs('reading the Node for its zone failed').length, 4, 'after five tries');
      t.equal(await getReport(admin, 'node-a'), null, 'nothing was published');
    });
    const extender = new Berth([
      'extender',
      '--kube',
      '--kubeconfig',
      extKubeconfig,
      '--listen',
      `127.0.0.1:${extPort}`,
      '--shutdown-delay',
      '0s',
      '--log-level',
      'warn',
    ]);
    processes.push(extender);
    const agents = new Map(
      [...nodes.keys()].map((node) => [node, new Berth(agentArgs(kubeconfigOf(node), node, poolOf(node)))]),
    );
    processes.push(...agents.values());

    await t.test('each agent applies its own NodeReport, with its zone from the Node label', async (t) => {
      for (const [node, zone] of Object.entries(ZONES)) {
        const agent = agents.get(node);
        const obj = await waitFor(
          async () => {
            const o = await getReport(admin, node);
            return o?.status !== undefined ? o : null;
          },
          { timeoutMs: 60_000, description: `NodeReport ${node} (agent output: ${agent?.output ?? ''})` },
        );
        const status = obj.status;
        t.equal(status?.node, node, `${node}: the report names its node`);
        t.equal(
          status?.zone,
          zone,
          `${node}: zone ${zone}, read from topology.kubernetes.io/zone (no --zone, no $BERTH_ZONE)`,
        );
        t.same(
          agent?.logs('zone from the Node label').map((l) => l['zone']),
          [zone],
          `${node}: the agent read the label once, at start`,
        );
        const fs = await statfs(poolOf(node));
        const pool = status?.pools.find((p) => p.name === 'fast');
        t.equal(pool?.kind, 'mount', `${node}: the --pool it was given`);
        t.equal(pool?.capacityBytes, fs.blocks * fs.bsize, `${node}: pool capacity is statfs of the pool path`);
        t.match(status?.probe ?? '', /^127\.0\.0\.1:\d+$/, `${node}: advertises its echo socket`);
        t.ok(
          (status?.agent.sequence ?? 0) >= 1 && /^[0-9a-f-]{36}$/.test(status?.agent.instance ?? ''),
          `${node}: agent instance and sequence`,
        );
        const managers = obj.metadata?.managedFields?.map((m) => [m.manager, m.operation, m.subresource ?? '']) ?? [];
        t.ok(
          managers.some(([m, op, sub]) => m === FIELD_MANAGER && op === 'Apply' && sub === 'status'),
          `${node}: status applied by ${FIELD_MANAGER}: ${JSON.stringify(managers)}`,
        );
        t.same(
          obj.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
          [['Node', node, nodes.get(node)?.metadata?.uid]],
          `${node}: owned by its Node`,
        );
      }
    });

    await t.test('the extender process serves both reports as fresh, and is ready', async (t) => {
      const base = `http://127.0.0.1:${extPort}`;
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
        timeoutMs: 30_000,
        description: `the extender to be ready (output: ${extender.output})`,
      });
      const items = await waitFor(
        async () => {
          const body = (await (await fetch(`${base}/v1/reports`)).json()) as {
            items: { node: string; zone: string | null; stale: boolean; ageSeconds: number }[];
          };
          return body.items.length === 2 ? body.items : null;
        },
        { description: 'both reports in the extender' },
      );
      t.same(
        items.map((i) => [i.node, i.zone, i.stale]).sort(),
        [
          ['node-a', 'z1', false],
          ['node-b', 'z2', false],
        ],
        'both nodes, their zones, fresh',
      );
      // The agents keep publishing (heartbeat 2s): the extender's view of them stays young.
      await new Promise((r) => setTimeout(r, 4_000));
      const later = (await (await fetch(`${base}/v1/reports`)).json()) as {
        items: { node: string; ageSeconds: number; stale: boolean }[];
      };
      for (const i of later.items)
        t.ok(!i.stale && i.ageSeconds < 5, `${i.node} is still fresh 4 s later (age ${i.ageSeconds.toFixed(1)} s)`);
    });

    await t.test("the agents discover each other through the NodeReports and report each other's RTT", async (t) => {
      for (const [node, other] of [
        ['node-a', 'node-b'],
        ['node-b', 'node-a'],
      ] as const) {
        const peer = await waitFor(
          async () => (await getReport(admin, node))?.status?.peers.find((p) => p.node === other),
          { timeoutMs: 60_000, description: `${node} to report its RTT to ${other}` },
        );
        t.ok(
          peer.samples > 0 && peer.p50Us > 0 && peer.p99Us >= peer.p50Us,
          `${node} → ${other}: ${peer.samples} samples, p50 ${peer.p50Us} µs, p99 ${peer.p99Us} µs`,
        );
      }
      const a = await getReport(admin, 'node-a');
      t.same(
        a?.status?.problems.filter((p) => p.collector === 'latency'),
        [],
        'no peer-discovery problem (the agent may list NodeReports)',
      );
    });

    await t.test('SIGTERM: the agents stop cleanly after a final publish, and so does the extender', async (t) => {
      for (const [node, agent] of agents) {
        t.equal(await agent.stop(), 0, `${node}: exit 0`);
        t.same(
          agent.logs('agent stopped').map((l) => l['flushed']),
          [true],
          `${node}: nothing left unpublished`,
        );
      }
      t.equal(await extender.stop(), 0, 'extender: exit 0');
    });
  },
);
