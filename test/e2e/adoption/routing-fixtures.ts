/**
 * Pieces of the automatic-routing scenario: the shipped certificates and admission files pointed at a berth on
 * loopback, the shipped webhook configuration with its Service reference replaced by that address (no Service
 * routing runs here), berth as a child process serving mTLS, and the objects the scenario creates.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { MARKER } from '../../../lib/cluster/routing.ts';
import { REPO } from '../../helpers/manifests/render.ts';
import { model, waitFor, type ControlPlane } from '../harness/control-plane.ts';
import { ManagedProcess } from '../harness/processes.ts';
import { sumSamples } from '../scenarios/berth-process.ts';
import { httpGet } from '../harness/wait.ts';

const run = promisify(execFile);

export interface RoutingCerts {
  readonly dir: string;
  readonly ca: string;
  readonly caPem: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly schedulerCert: string;
  readonly schedulerKey: string;
}

/** scripts/gen-certs.sh as a user runs it, plus 127.0.0.1 as a SAN: here the API server calls berth by address. */
export async function routingCerts(dir: string): Promise<RoutingCerts> {
  await run('bash', [join(REPO, 'scripts', 'gen-certs.sh'), dir], {
    env: { ...process.env, BERTH_CERT_DAYS: '2', BERTH_EXTRA_SANS: 'IP:127.0.0.1' },
  });
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    caPem: await readFile(join(dir, 'ca.crt'), 'utf8'),
    serverCert: join(dir, 'extender.crt'),
    serverKey: join(dir, 'extender.key'),
    schedulerCert: join(dir, 'control-plane', 'scheduler-client.crt'),
    schedulerKey: join(dir, 'control-plane', 'scheduler-client.key'),
  };
}

/**
 * The admission files gen-certs.sh writes for kube-apiserver, with only what a test must change: paths into the
 * test's directory, and the kubeconfig user named after the address the API server calls (for a URL webhook the
 * API server looks the user up by host:port; for the shipped Service reference by <service>.<namespace>.svc:8888).
 * Returns the path for --admission-control-config-file.
 */
export async function apiserverAdmissionConfig(certs: RoutingCerts, berthPort: number): Promise<string> {
  const cp = join(certs.dir, 'control-plane');
  const kubeconfig = parse(await readFile(join(cp, 'admission-kubeconfig.yaml'), 'utf8')) as {
    users: { name: string; user: Record<string, string> }[];
  };
  const [user] = kubeconfig.users;
  if (user === undefined || user.name !== 'berth-extender.berth-system.svc:8888' || kubeconfig.users.length !== 1)
    throw new Error('gen-certs.sh: expected one kubeconfig user named after the extender Service and port');
  user.name = `127.0.0.1:${berthPort}`;
  user.user['client-certificate'] = join(cp, 'apiserver-client.crt');
  user.user['client-key'] = join(cp, 'apiserver-client.key');
  const kubeconfigPath = join(cp, 'admission-kubeconfig.test.yaml');
  await writeFile(kubeconfigPath, stringify(kubeconfig));
  const config = parse(await readFile(join(cp, 'admission-config.yaml'), 'utf8')) as {
    plugins: { name: string; configuration: { kubeConfigFile: string } }[];
  };
  const plugin = config.plugins.find((p) => p.name === 'MutatingAdmissionWebhook');
  if (plugin === undefined) throw new Error('gen-certs.sh: no MutatingAdmissionWebhook entry');
  plugin.configuration.kubeConfigFile = kubeconfigPath;
  const path = join(cp, 'admission-config.test.yaml');
  await writeFile(path, stringify(config));
  return path;
}

export type Obj = k8s.KubernetesObject & Record<string, unknown>;

export async function shippedObjects(file: string): Promise<Obj[]> {
  const text = await readFile(join(REPO, 'manifests', file), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** The shipped webhook configuration, calling `url` with `caPem` instead of the Service. */
export async function shippedWebhook(url: string, caPem: string): Promise<Obj> {
  const [config] = await shippedObjects('admission/pod-routing-webhook.yaml');
  const hooks = config?.['webhooks'] as { clientConfig: Record<string, unknown> }[] | undefined;
  const hook = hooks?.[0];
  if (config === undefined || hook === undefined) throw new Error('no webhook in pod-routing-webhook.yaml');
  const path = (hook.clientConfig['service'] as { path: string }).path;
  hook.clientConfig = { url: `${url}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
  return config;
}

export async function createAll(kc: k8s.KubeConfig, objects: readonly Obj[]): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) await client.create(o);
}

/** A kubeconfig file that authenticates with `token`, for the berth child process. */
export async function tokenKubeconfigFile(cp: ControlPlane, token: string, path: string): Promise<string> {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.pki.caPem).toString('base64') },
      },
    ],
    users: [{ name: 'berth-extender', user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'berth-extender' } }],
    'current-context': 'e2e',
  };
  await writeFile(path, JSON.stringify(kubeconfig), { mode: 0o600 });
  return path;
}

/** `berth extender --kube` serving its verbs and the webhook with mTLS on 127.0.0.1, probes on plain HTTP. */
export function berthProcess(o: {
  certs: RoutingCerts;
  kubeconfig: string;
  port: number;
  metricsPort: number;
  logPath: string;
  args?: readonly string[];
}): ManagedProcess {
  return new ManagedProcess(
    'berth extender',
    process.execPath,
    [
      join(REPO, 'bin', 'berth.js'),
      'extender',
      '--kube',
      `--kubeconfig=${o.kubeconfig}`,
      `--listen=127.0.0.1:${o.port}`,
      `--metrics-listen=127.0.0.1:${o.metricsPort}`,
      `--tls-cert=${o.certs.serverCert}`,
      `--tls-key=${o.certs.serverKey}`,
      `--tls-client-ca=${o.certs.ca}`,
      '--shutdown-delay=0s',
      '--log-level=warn',
      ...(o.args ?? []),
    ],
    o.logPath,
  );
}

export async function berthCount(metricsPort: number, verb: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return sumSamples(await res.text(), 'berth_extender_request_duration_seconds_count', { verb, code: '200' });
}

/** The API server's own count of calls to a webhook that failed and were let through (failurePolicy: Ignore). */
export async function failOpenCount(cp: ControlPlane, webhook: string): Promise<number> {
  const res = await httpGet(`${cp.server}/metrics`, { ca: cp.pki.caPem, bearerToken: cp.token() });
  return sumSamples(res.body, 'apiserver_admission_webhook_fail_open_count', { name: webhook });
}

export function marked(pod: k8s.V1Pod | undefined): boolean {
  return (pod?.spec?.containers ?? []).some(
    (c) => c.resources?.limits?.[MARKER] === '1' && c.resources.requests?.[MARKER] === '1',
  );
}

export function podOf(name: string, annotations: Record<string, string> = {}, claim?: string): k8s.V1Pod {
  return model<k8s.V1Pod>({
    metadata: { name, annotations },
    spec: {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }],
      ...(claim === undefined ? {} : { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] }),
    },
  });
}

/** A StatefulSet that says nothing of berth's marker: only annotations, or only a volumeClaimTemplate. */
export function statefulSet(
  name: string,
  o: { replicas: number; annotations?: Record<string, string>; storageClass?: string; size?: string },
): k8s.V1StatefulSet {
  return model<k8s.V1StatefulSet>({
    metadata: { name },
    spec: {
      replicas: o.replicas,
      serviceName: name,
      // No kubelet runs the pods, so OrderedReady would stop at the first.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: o.annotations ?? {} },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '16Mi' } },
              ...(o.storageClass ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
            },
          ],
        },
      },
      ...(o.storageClass
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  storageClassName: o.storageClass,
                  resources: { requests: { storage: o.size ?? '100Gi' } },
                },
              },
            ],
          }
        : {}),
    },
  });
}

/** The pods of a StatefulSet once all exist, by name. */
export async function statefulPods(core: k8s.CoreV1Api, ns: string, name: string, count: number): Promise<k8s.V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` })).items;
      return pods.length === count
        ? pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
        : null;
    },
    { timeoutMs: 30_000, description: `${count} pods of StatefulSet ${ns}/${name} to exist` },
  );
}

export async function boundNodes(core: k8s.CoreV1Api, ns: string, names: readonly string[]): Promise<string[]> {
  return waitFor(
    async () => {
      const nodes: string[] = [];
      for (const name of names) {
        const node = (await core.readNamespacedPod({ name, namespace: ns })).spec?.nodeName;
        if (node === undefined) return null;
        nodes.push(node);
      }
      return nodes;
    },
    { timeoutMs: 60_000, description: `${names.join(', ')} to be bound` },
  );
}
