/**
 * The shipped mTLS setup, run for real: scripts/gen-certs.sh writes the CA and both certificates, and berth's
 * extender serves its verbs with them on loopback (client certificates required), as it does in the Deployment.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { parseExtenderConfig } from '../../../lib/extender/config.ts';
import { startExtender, type RunningExtender } from '../../../server/extender/run.ts';
import { REPO } from './render.ts';

const run = promisify(execFile);

export interface GeneratedCerts {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** null when openssl is missing; the caller decides between skipping and failing. */
export async function opensslVersion(): Promise<string | null> {
  try {
    return (await run('openssl', ['version'])).stdout.trim();
  } catch {
    return null;
  }
}

export async function generateCerts(dir: string): Promise<GeneratedCerts> {
  await run('bash', [join(REPO, 'scripts', 'gen-certs.sh'), dir], { env: { ...process.env, BERTH_CERT_DAYS: '2' } });
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'extender.crt'),
    serverKey: join(dir, 'extender.key'),
    clientCert: join(dir, 'control-plane', 'scheduler-client.crt'),
    clientKey: join(dir, 'control-plane', 'scheduler-client.key'),
  };
}

/** berth's extender on 127.0.0.1 with the generated server certificate, requiring client certificates from the CA. */
export async function startTlsExtender(
  certs: GeneratedCerts,
  extra: Record<string, string> = {},
): Promise<RunningExtender> {
  const config = parseExtenderConfig({
    listen: '127.0.0.1:0',
    'tls-cert': certs.serverCert,
    'tls-key': certs.serverKey,
    'tls-client-ca': certs.ca,
    'shutdown-delay': '0s',
    'log-level': 'warn',
    ...extra,
  });
  if (!config.ok) throw new Error(JSON.stringify(config.problems));
  return startExtender(config.value, { logger: false });
}

interface SchedulerConfigDoc {
  clientConnection?: Record<string, unknown>;
  extenders: { urlPrefix: string; tlsConfig: Record<string, string> }[];
}

/**
 * A shipped KubeSchedulerConfiguration with only what must differ in a test replaced: the extender's address
 * (berth on loopback; the path stays), the certificate files, and optionally the kubeconfig. serverName is kept, so
 * kube-scheduler still verifies the certificate against the Service name gen-certs.sh put in it.
 */
export function testSchedulerConfig(
  text: string,
  opts: { extenderUrl: string; ca: string; cert: string; key: string; kubeconfig?: string },
): string {
  const config = parse(text) as SchedulerConfigDoc;
  const extender = config.extenders[0];
  if (extender === undefined || config.extenders.length !== 1) throw new Error('expected exactly one extender');
  const shipped = new URL(extender.urlPrefix);
  const local = new URL(opts.extenderUrl);
  shipped.host = local.host;
  extender.urlPrefix = shipped.toString().replace(/\/$/, '');
  Object.assign(extender.tlsConfig, { caFile: opts.ca, certFile: opts.cert, keyFile: opts.key });
  if (opts.kubeconfig !== undefined)
    config.clientConnection = { ...config.clientConnection, kubeconfig: opts.kubeconfig };
  return stringify(config);
}

/** Requests berth answered, by verb and status code, from its own request histogram. */
export async function answered(extender: RunningExtender, verb: string): Promise<number> {
  const metric = await extender.deps.metrics.requestDuration.get();
  return metric.values
    .filter(
      (v) =>
        v.metricName === 'berth_extender_request_duration_seconds_count' &&
        v.labels['verb'] === verb &&
        v.labels['code'] === '200',
    )
    .reduce((sum, v) => sum + v.value, 0);
}
