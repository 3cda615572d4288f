/**
 * The FailedScheduling event of a pod refused by 1,000 nodes must stay readable: under 1 KB, and saying what the
 * pod needs and the best any node offers. The real kube-scheduler v1.36 (shipped wiring, plus
 * `percentageOfNodesToScore: 100` so that berth is asked about every node, as the README advises for a selective
 * filter) calls berth (standalone, reports pushed by stand-in agents) for a pod needing 2Ti of NVMe on 1,000 nodes:
 * 800 report NVMe pools with 10Gi to 800Gi free (one node has the 800Gi), 100 report no NVMe pool, 100 have no
 * report. kube-scheduler groups identical reasons ("N <reason>") and cuts an event at 1,024 bytes with " ...", so
 * the test checks the untruncated PodScheduled condition message as well.
 *
 * The Node objects are created in bulk with their status (the API server keeps a Node's status on create); the
 * not-ready taint the API server adds to new Nodes is tolerated by the pod instead of removed node by node. No
 * kubelet is needed: kube-scheduler reads only the Node objects.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { e2eGate, model, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { startBerth, startWireTap } from './berth-process.ts';
import { PodWatch, StandInAgents, loadShippedConfig, scenarioPod, schedulerConfig } from './scenario.ts';

t.setTimeout(300_000);
const gate = e2eGate(t);

const NODE_COUNT = 1_000;
const NO_POOL = 100;
const NO_REPORT = 100;
const BEST_GI = 800;
const NOTE_LIMIT = 1_024;
const nodeName = (i: number): string => `node-${String(i).padStart(4, '0')}`;

/** Free GiB on node i among the NVMe nodes: 10..790 in steps, and 800 on exactly one of them. */
function freeGi(i: number): number {
  return i === 417 ? BEST_GI : 10 + ((i * 37) % 79) * 10;
}

async function createNodes(kc: k8s.KubeConfig, count: number, concurrency = 16): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const resources = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const name = nodeName(i);
      await core.createNode({
        body: model<k8s.V1Node>({
          metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date() }],
          },
        }),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** "0/1000 nodes are available: 3 a, 997 b. no new claims to deallocate, preemption: ..." → the reason histogram. */
function reasons(message: string): Map<string, number> {
  const m = /nodes are available: (.*?)\.(?: [^.]*,)? preemption:/.exec(message);
  const out = new Map<string, number>();
  for (const item of (m?.[1] ?? '').split(/, (?=\d+ [a-z])/)) {
    const hit = /^(\d+) (.*)$/.exec(item);
    if (hit !== null) out.set(hit[2] ?? '', Number(hit[1]));
  }
  return out;
}

t.test(
  'the event of a pod refused by 1,000 nodes stays under 1 KB and says what is missing',
  { skip: gate.skip },
  async (t) => {
    const shipped = await loadShippedConfig();
    const cp = await startControlPlane(t);
    const admin = cp.kubeConfig();
    const started = performance.now();
    await createNodes(admin, NODE_COUNT);
    t.comment(`${NODE_COUNT} Node objects in ${Math.round(performance.now() - started)} ms`);

    const berth = await startBerth(t, cp.dir);
    const agents = new StandInAgents();
    for (let i = 0; i < NODE_COUNT - NO_REPORT; i++)
      agents.set(nodeName(i), { pools: i < NO_POOL ? [] : [['nvme0', freeGi(i), 4000]] });
    await agents.push(berth);
    const tap = await startWireTap(t, berth.url);
    const config = parse(schedulerConfig(shipped, { url: tap.url })) as Record<string, unknown>;
    config['percentageOfNodesToScore'] = 100;
    await cp.startScheduler(stringify(config));

    const pods = new PodWatch(admin);
    const pod = scenarioPod('big', { marker: shipped.marker, annotations: { 'berth.io/nvme-capacity': '2Ti' } });
    if (pod.spec !== undefined)
      pod.spec.tolerations = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }];
    await pods.create(pod);
    const { condition, events } = await pods.refused('big', 'Unschedulable', 60_000);
    const event = events.at(-1) ?? '';
    const full = condition.message ?? '';
    t.comment(`FailedScheduling (${Buffer.byteLength(event)} bytes): ${event.slice(0, 600)}`);

    const filter = await waitFor(() => tap.exchanges.find((x) => x.path.endsWith('/filter')), {
      description: 'the filter call',
    });
    const asked = (filter.request as { NodeNames?: string[] }).NodeNames ?? [];
    t.equal(asked.length, NODE_COUNT, 'berth was asked about every node');

    t.match(event, new RegExp(`^0/${NODE_COUNT} nodes are available: `), 'the event counts every node');
    t.ok(Buffer.byteLength(event) < NOTE_LIMIT, `the event is under 1 KB (${Buffer.byteLength(event)} bytes)`);
    t.notOk(event.endsWith(' ...'), 'and was not cut by kube-scheduler');
    t.ok(
      Buffer.byteLength(full) < NOTE_LIMIT,
      `the full condition message is under 1 KB too (${Buffer.byteLength(full)} bytes)`,
    );

    const groups = reasons(full);
    t.comment(`reasons: ${JSON.stringify(Object.fromEntries(groups))}`);
    t.equal(
      [...groups.values()].reduce((a, b) => a + b, 0),
      NODE_COUNT,
      'the groups account for every node',
    );
    t.ok(groups.size <= 4, `a few groups, not one per node (${groups.size})`);
    const nvme = [...groups].filter(([text]) => text.includes('2Ti')).sort((x, y) => y[1] - x[1]);
    t.equal(
      nvme.reduce((n, [, count]) => n + count, 0),
      NODE_COUNT - NO_REPORT,
      'the groups naming the need, 2Ti of NVMe, cover every node with a report',
    );
    t.match(nvme[0]?.[0] ?? '', `${BEST_GI}Gi`, 'the largest names the best figure any candidate offers, 800Gi');
    t.ok((nvme[0]?.[1] ?? 0) >= NODE_COUNT - NO_POOL - NO_REPORT, '... and covers at least every too-small node');
    t.ok(
      [...groups.keys()].some((text) => /no report/.test(text)),
      'nodes without a report are one group',
    );
  },
);
