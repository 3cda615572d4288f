/**
 * The three ways kube-scheduler runs in the benchmark, all from the shipped manifests/scheduler/extender-config.yaml
 * (wiring (a): managedResources, weight, httpTimeout, nodeCacheCapable, ignorable, mTLS with serverName verified):
 *   berth  `berth extender --kube` as a child process, flags as manifests/extender/deployment.yaml has them;
 *   noop   bench/server.ts' no-op extender behind the same TLS listener settings and the same scheduler wiring;
 *   none   the same file without extenders, the marker resource ignored by NodeResourcesFit as
 *          `ignoredByScheduler: true` does, so the very same pods fit.
 * Only the extender's address, the certificate paths, leader election (off, so a restart schedules at once) and
 * clientConnection.qps/burst (raised, so kube-scheduler's API client is not what is measured) differ.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:https';
import { parse, stringify } from 'yaml';
import { ManagedProcess } from '../../test/e2e/harness/processes.ts';
import { freePorts } from '../../test/e2e/harness/ports.ts';
import { waitFor } from '../../test/e2e/harness/wait.ts';
import { testSchedulerConfig, type GeneratedCerts } from '../../test/helpers/manifests/berth-tls.ts';
import { loadShippedConfig, schedulerConfigWithoutBerth } from '../../test/e2e/scenarios/scenario.ts';
import { parseSamples, sumOf } from './prom.ts';

const root = join(import.meta.dirname, '..', '..');
const SHIPPED = join(root, 'manifests', 'scheduler', 'extender-config.yaml');

export interface SchedulerConfigs {
  readonly marker: string;
  withExtender(url: string): string;
  readonly none: string;
}

function adjust(text: string, qps: number, burst: number): string {
  const doc = parse(text) as Record<string, unknown>;
  const client = (doc['clientConnection'] ?? {}) as Record<string, unknown>;
  doc['clientConnection'] = { ...client, qps, burst };
  doc['leaderElection'] = { leaderElect: false };
  return stringify(doc);
}

export async function schedulerConfigs(certs: GeneratedCerts, qps: number, burst: number): Promise<SchedulerConfigs> {
  const text = await readFile(SHIPPED, 'utf8');
  const shipped = await loadShippedConfig();
  const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
  return {
    marker: shipped.marker,
    withExtender: (url) => adjust(testSchedulerConfig(text, { extenderUrl: url, ...tls }), qps, burst),
    none: adjust(schedulerConfigWithoutBerth(shipped), qps, burst),
  };
}

/** A running extender: the URL kube-scheduler calls and the process, for CPU accounting and its log. */
export interface Extender {
  readonly url: string;
  readonly process: ManagedProcess;
  /** berth's /metrics (plain HTTP side port); null for the no-op, which has none. */
  metrics(): Promise<string | null>;
}

const tlsFlags = (certs: GeneratedCerts): string[] => [
  '--tls-cert',
  certs.serverCert,
  '--tls-key',
  certs.serverKey,
  '--tls-client-ca',
  certs.ca,
];

/** berth in Kubernetes mode, ready (informers synced) and holding a fresh report for every node. */
export async function startBerth(dir: string, certs: GeneratedCerts, kubeconfig: string, nodes: number) {
  const [port, metricsPort] = await freePorts(2);
  const args = [join(root, 'bin', 'berth.js'), 'extender', '--kube', '--kubeconfig', kubeconfig];
  args.push('--listen', `127.0.0.1:${String(port)}`, '--metrics-listen', `127.0.0.1:${String(metricsPort)}`);
  args.push('--prefix', '/scheduler', ...tlsFlags(certs), '--shutdown-delay', '0s', '--log-level', 'info');
  const proc = new ManagedProcess('berth extender', process.execPath, args, join(dir, 'berth.log'));
  proc.start();
  const metricsUrl = `http://127.0.0.1:${String(metricsPort)}/metrics`;
  const metrics = async (): Promise<string> => (await fetch(metricsUrl)).text();
  await waitFor(
    async () => {
      if (proc.describeExit() !== undefined) throw new Error(`${proc.describeExit() ?? ''}\n${proc.tail(20)}`);
      const fresh = sumOf(parseSamples(await metrics()), 'berth_reports', { state: 'fresh' });
      return (await fetch(`http://127.0.0.1:${String(metricsPort)}/readyz`)).ok && fresh === nodes;
    },
    { timeoutMs: 120_000, intervalMs: 250, description: `berth to be ready with ${nodes} fresh reports` },
  );
  const extender: Extender = { url: `https://127.0.0.1:${String(port)}`, process: proc, metrics };
  await checkMtls(extender.url, certs);
  return extender;
}

/** bench/server.ts noop with berth's TLS settings (server certificate, client certificates required). */
export async function startNoop(dir: string, certs: GeneratedCerts): Promise<Extender> {
  const log = join(dir, `noop-${Date.now()}.log`);
  const args = [join(root, 'bench', 'server.ts'), 'noop', ...tlsFlags(certs)];
  const proc = new ManagedProcess('no-op extender', process.execPath, args, log);
  proc.start();
  const port = await waitFor(
    async () => {
      if (proc.describeExit() !== undefined) throw new Error(`${proc.describeExit() ?? ''}\n${proc.tail(20)}`);
      return /^(\d+)$/m.exec(await readFile(log, 'utf8'))?.[1];
    },
    { timeoutMs: 30_000, intervalMs: 100, description: 'the no-op extender to print its port' },
  );
  const extender: Extender = { url: `https://127.0.0.1:${port}`, process: proc, metrics: () => Promise.resolve(null) };
  await checkMtls(extender.url, certs);
  return extender;
}

/**
 * Both extenders must be wired alike: a filter call with the scheduler's client certificate, verified against
 * the CA and the certificate's serverName, answers 200; the same call without a client certificate is refused.
 */
export async function checkMtls(url: string, certs: GeneratedCerts): Promise<void> {
  const [ca, cert, key, serverName] = [
    await readFile(certs.ca),
    await readFile(certs.clientCert),
    await readFile(certs.clientKey),
    'berth-extender.berth-system.svc',
  ];
  const body = JSON.stringify({ Pod: { metadata: { name: 'probe', namespace: 'bench' } }, NodeNames: [], Nodes: null });
  const post = (withCert: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${url}/scheduler/filter`,
        {
          method: 'POST',
          ca,
          servername: serverName,
          ...(withCert ? { cert, key } : {}),
          headers: { 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const status = await post(true);
  if (status !== 200) throw new Error(`${url}: a filter call over mTLS answered ${status}`);
  const refused = await post(false).then(
    (s) => `answered ${s}`,
    () => null,
  );
  if (refused !== null) throw new Error(`${url}: a call without a client certificate ${refused}; mTLS is not on`);
}
