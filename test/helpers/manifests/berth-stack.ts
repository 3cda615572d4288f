/**
 * The berth processes a dashboard watches, started in this test process on loopback:
 *  - an extender in Kubernetes mode (--kube) against the e2e control plane, as ServiceAccount berth-extender with
 *    the shipped RBAC, reading NodeReport objects through its informers (informer, ledger, reservation metrics);
 *  - an extender in standalone mode receiving pushed reports (the HTTP ingestion metrics);
 *  - two real node agents publishing to the standalone extender and probing each other's UDP echo.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import { type RawOptions } from '../../../lib/extender/options.ts';
import { realDeps } from '../../../server/agent/deps.ts';
import { createLogger } from '../../../server/common/log.ts';
import { startAgent, type RunningAgent } from '../../../server/agent/start.ts';
import { startExtender, type RunningExtender } from '../../../server/extender/run.ts';
import type { ControlPlane } from '../../e2e/harness/control-plane.ts';
import { freePorts } from '../../e2e/harness/ports.ts';
import { ApiClient } from './apiserver.ts';
import { FLEET } from './berth-load.ts';
import { isRecord, loadObjects, MANIFESTS, type KubeObject } from './render.ts';

export const EXTENDER_SA_USER = 'system:serviceaccount:berth-system:berth-extender';
export const EXTENDER_SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:berth-system'];

function config(raw: RawOptions): ReturnType<typeof parseExtenderConfig> & { ok: true } {
  const parsed = parseExtenderConfig({ listen: '127.0.0.1:0', 'shutdown-delay': '0s', 'log-level': 'warn', ...raw });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed;
}

export async function startStandaloneExtender(): Promise<RunningExtender> {
  return startExtender(config({}).value, { logger: false });
}

export interface KubeExtender {
  readonly extender: RunningExtender;
  readonly api: ApiClient;
  /** Node name → uid, for NodeReport owner references. */
  readonly nodeUids: ReadonlyMap<string, string>;
}

/** Applies namespaces, the NodeReport CRD and the extender's RBAC for real, then starts `berth extender --kube`. */
export async function startKubeExtender(cp: ControlPlane): Promise<KubeExtender> {
  const api = new ApiClient(cp.server, cp.pki.caPem, cp.token());
  const wanted = ['namespaces.yaml', 'crd/nodereports.yaml', 'rbac/extender.yaml'];
  for (const file of wanted) {
    for (const { object } of await loadObjects(`${MANIFESTS}/${file}`)) {
      const res = await api.apply(object, { dryRun: false });
      if (res.status >= 300) throw new Error(`${file}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      if (object.kind === 'CustomResourceDefinition') await established(api, object);
    }
  }
  const nodeUids = new Map<string, string>();
  for (const node of FLEET)
    nodeUids.set(node, (await cp.createNode(node, { cpu: '16', memory: '64Gi' })).metadata?.uid ?? '');
  const parsed = config({ kube: true, kubeconfig: await cp.writeKubeconfig(EXTENDER_SA_USER) });
  const { createKubeSide } = await import('../../../server/kube/kube-side.ts');
  const kube = await createKubeSide(parsed.value, parsed.value.kube ?? failNoKube());
  const extender = await startExtender(parsed.value, {
    cluster: kube.cluster,
    authenticateReport: kube.authenticateReport,
    onClose: () => kube.close(),
    logger: false,
  });
  kube.attach(extender.deps.store, extender.deps.metrics.registry, createLogger({ level: 'fatal' }));
  return { extender, api, nodeUids };
}

function failNoKube(): never {
  throw new Error('--kube did not produce Kubernetes options');
}

async function established(api: ApiClient, crd: KubeObject): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await api.get(crd);
    const conds =
      isRecord(res.body) && isRecord(res.body['status']) && Array.isArray(res.body['status']['conditions'])
        ? res.body['status']['conditions']
        : [];
    if (conds.some((c) => isRecord(c) && c['type'] === 'Established' && c['status'] === 'True')) {
      const spec = crd['spec'] as { group: string; versions: { name: string }[] };
      for (const v of spec.versions) api.forget(`${spec.group}/${v.name}`);
      return;
    }
    await sleep(100);
  }
  throw new Error('the NodeReport CRD never became Established');
}

/** Two agents that report to `extender` and probe each other over loopback UDP. */
export async function startAgentPair(extender: string, poolDir: string): Promise<RunningAgent[]> {
  const [pa, pb] = await freePorts(2);
  const probe = { 'agent-a': `127.0.0.1:${String(pa)}`, 'agent-b': `127.0.0.1:${String(pb)}` };
  const agents: RunningAgent[] = [];
  for (const [node, listen] of Object.entries(probe)) {
    const peers = Object.entries(probe)
      .filter(([n]) => n !== node)
      .map(([n, a]) => `${n}=${a}`)
      .join(',');
    // Quiet: the agents' JSON log lines would land in the TAP stream; failures show up as missing panel data.
    const warnings: string[] = [];
    agents.push(
      await startAgent({
        extender,
        hostname: node,
        env: {},
        deps: realDeps(
          createLogger({
            level: 'warn',
            destination: {
              write: (line: string) => {
                if (warnings.push(line) <= 3) process.stderr.write(`# agent ${node}: ${line}`);
              },
            },
          }),
        ),
        args: [
          '--node',
          node,
          '--pool',
          `scratch=mount:${poolDir}`,
          '--probe-listen',
          listen,
          '--peers',
          peers,
          '--metrics-listen',
          '127.0.0.1:0',
          '--interval',
          '1s',
          '--heartbeat',
          '2s',
          '--probe-count',
          '5',
        ],
      }),
    );
  }
  return agents;
}
