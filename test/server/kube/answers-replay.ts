/**
 * Replays the recorded requests of replay-cluster.ts against an extender built from the checkout at `root`, fed by
 * the fake API server, and returns every filter and prioritize answer. Run against the code before the informer
 * rewrite it produced test/fixtures/scale-answers/answers.json (bench/scale/record-answers.ts); the test
 * answers-replay.test.ts runs it against this checkout and compares. Only interfaces both versions share are used:
 * parseExtenderConfig, createKubeSide, startExtender, and ClusterView reads to know the watch events have landed.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { FakeApiServer } from './fake-api-server.ts';
import { waitFor } from '../../helpers/wait.ts';
import { KINDS, PATHS, replayCluster, reportObject, type Collection, type Obj } from './replay-cluster.ts';

export interface RecordedAnswer {
  readonly pod: string;
  readonly filter: unknown;
  readonly prioritize: unknown;
}

interface Modules {
  parseExtenderConfig: (raw: Record<string, unknown>) => { ok: boolean; value?: unknown; problems?: unknown };
  createKubeSide: (config: unknown, kube: unknown, opts: unknown) => Promise<KubeSideLike>;
  startExtender: (config: unknown, opts: unknown) => Promise<RunningLike>;
  parseSelector: (text: string) => unknown;
}

interface KubeSideLike {
  cluster: {
    peerNodes(rule: unknown, pod: unknown): readonly string[];
    claimVolumes(pod: unknown): readonly number[];
  };
  authenticateReport: unknown;
  close(): Promise<void>;
  attach(store: unknown, registry: unknown, log: unknown): void;
}

interface RunningLike {
  url: string;
  deps: { store: { get(node: string): unknown }; metrics: { registry: unknown } };
  close(): Promise<void>;
}

async function load(root: string): Promise<Modules> {
  const at = (p: string): string => pathToFileURL(join(root, p)).href;
  const config = (await import(at('lib/extender/config.ts'))) as Pick<Modules, 'parseExtenderConfig'>;
  const kube = (await import(at('server/kube/kube-side.ts'))) as Pick<Modules, 'createKubeSide'>;
  const run = (await import(at('server/extender/run.ts'))) as Pick<Modules, 'startExtender'>;
  const selector = (await import(at('lib/core/selector.ts'))) as Pick<Modules, 'parseSelector'>;
  return { ...config, ...kube, ...run, ...selector };
}

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  await waitFor(check, { timeoutMs: ms, description: what });
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown };
}

/** Sentinels, one per informer with events, so the replay starts only after every event has been applied. */
function sentinels(nowMs: number): { collection: Collection; obj: Obj }[] {
  const sentinelPod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sentinel', namespace: 'zz', uid: 'uid-sentinel', labels: { sentinel: 'yes' } },
    spec: { nodeName: 'node-00', containers: [] },
    status: { phase: 'Running' },
  };
  const sentinelClaim: Obj = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'sentinel', namespace: 'zz', uid: 'pvc-sentinel' },
    spec: { storageClassName: 'local-nvme', resources: { requests: { storage: '1Gi' } } },
  };
  const report = reportObject(
    {
      apiVersion: 'berth.io/v1alpha1',
      node: 'sentinel',
      zone: null,
      takenAt: '2026-11-21T10:00:00Z',
      agent: { instance: 's', sequence: 1 },
      probe: null,
      devices: [],
      pools: [],
      nics: [],
      peers: [],
      problems: [],
    },
    nowMs,
  );
  return [
    { collection: 'pods', obj: sentinelPod },
    { collection: 'persistentvolumeclaims', obj: sentinelClaim },
    { collection: 'nodereports', obj: report },
  ];
}

export async function replayAnswers(root: string): Promise<RecordedAnswer[]> {
  const m = await load(root);
  const nowMs = Date.now();
  const cluster = replayCluster(nowMs);
  const fake = await FakeApiServer.start();
  for (const c of Object.keys(PATHS) as Collection[]) fake.collection(PATHS[c], KINDS[c]);
  for (const { collection, obj } of cluster.initial) fake.put(PATHS[collection], obj);
  const parsed = m.parseExtenderConfig({ listen: '127.0.0.1:0', 'shutdown-delay': '0s', kube: true, ...cluster.flags });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const config = parsed.value as { kube: unknown };
  const kube = await m.createKubeSide(config, config.kube, { kubeConfig: kubeConfig(fake.url) });
  const running = await m.startExtender(config, {
    cluster: kube.cluster,
    authenticateReport: kube.authenticateReport,
    onClose: () => kube.close(),
    logger: false,
  });
  try {
    // Older checkouts take a log callback, newer ones a logger: this is both, and says nothing.
    const quiet = (): void => undefined;
    const log = Object.assign(quiet, {
      info: quiet,
      warn: quiet,
      error: quiet,
      debug: quiet,
      trace: quiet,
      fatal: quiet,
    });
    kube.attach(running.deps.store, running.deps.metrics.registry, log);
    await until(async () => (await fetch(`${running.url}/readyz`)).status === 200, 'the first sync');
    for (const change of cluster.changes) {
      if (change.put !== undefined) fake.put(PATHS[change.collection], change.put);
      if (change.delete !== undefined) fake.delete(PATHS[change.collection], change.delete);
    }
    for (const { collection, obj } of sentinels(nowMs)) fake.put(PATHS[collection], obj);
    const rule = { kind: 'selector', namespace: 'zz', selector: m.parseSelector('sentinel=yes') };
    const facts = {
      namespace: 'zz',
      name: 'x',
      uid: '',
      labels: {},
      annotations: {},
      controllerUid: null,
      claimNames: ['sentinel'],
      nodeName: null,
    };
    await until(
      () =>
        kube.cluster.peerNodes(rule, facts).length === 1 &&
        kube.cluster.claimVolumes(facts).length === 1 &&
        running.deps.store.get('sentinel') !== undefined,
      'the watch events to land',
    );
    const answers: RecordedAnswer[] = [];
    for (const { pod, nodes } of cluster.requests) {
      const meta = pod['metadata'] as Obj;
      const filter = (await post(`${running.url}/scheduler/filter`, { Pod: pod, Nodes: null, NodeNames: nodes })) as {
        body: { NodeNames?: string[] | null };
      };
      const passed = filter.body.NodeNames ?? [];
      const prioritize = await post(`${running.url}/scheduler/prioritize`, {
        Pod: pod,
        Nodes: null,
        NodeNames: passed,
      });
      answers.push({ pod: `${String(meta['namespace'])}/${String(meta['name'])}`, filter, prioritize });
    }
    return answers;
  } finally {
    await running.close();
    await fake.close();
  }
}
