import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Paths of the key material the control plane uses, plus the CA certificate as PEM text. */
export interface Pki {
  caCertPath: string;
  caKeyPath: string;
  caPem: string;
  servingCertPath: string;
  servingKeyPath: string;
  serviceAccountKeyPath: string;
  serviceAccountPublicKeyPath: string;
  frontProxyCaCertPath: string;
  frontProxyClientCertPath: string;
  frontProxyClientKeyPath: string;
}

/** The CN the apiserver accepts on front-proxy client certificates (--requestheader-allowed-names). */
export const frontProxyClientName = 'front-proxy-client';

/** The first address of --service-cluster-ip-range; in-cluster clients reach the apiserver there. */
export const kubernetesServiceIp = '10.0.0.1';

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        'the e2e control plane needs the openssl command to generate its certificates (apt-get install openssl)',
        { cause: error },
      );
    }
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(`openssl ${args.join(' ')} failed: ${typeof stderr === 'string' ? stderr : String(error)}`, {
      cause: error,
    });
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Generates a throw-away CA, an apiserver serving certificate valid for loopback and the
 * in-cluster service names, and the service-account signing key pair. Node has no X.509
 * generation, so this shells out to openssl. EC P-256 keys keep it to a few milliseconds.
 */
export async function generatePki(dir: string): Promise<Pki> {
  const path = (name: string): string => join(dir, name);
  // Two days: long enough for any run, and a skewed clock cannot make it not-yet-valid for long.
  const days = '2';

  await openssl(
    ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=berth-e2e-ca'],
    dir,
  );

  const altNames = [
    'IP:127.0.0.1',
    `IP:${kubernetesServiceIp}`,
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  await writeFile(
    path('apiserver.ext'),
    [
      `subjectAltName=${altNames.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n') + '\n',
  );
  await openssl(
    ['req', ...ecKey, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver'],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'apiserver.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      'apiserver.ext',
      '-out',
      'apiserver.crt',
    ],
    dir,
  );

  // The front-proxy (aggregation layer) CA, as kubeadm sets it up. Without it the apiserver
  // publishes no requestheader CA, and the scheduler and controller-manager log an error about
  // the missing bundle every few seconds, burying the lines that matter in failure reports.
  await writeFile(
    path('front-proxy-client.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  await openssl(
    [
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'front-proxy-ca.key',
      '-out',
      'front-proxy-ca.crt',
      '-days',
      days,
      '-subj',
      '/CN=berth-e2e-front-proxy-ca',
    ],
    dir,
  );
  await openssl(
    [
      'req',
      ...ecKey,
      '-keyout',
      'front-proxy-client.key',
      '-out',
      'front-proxy-client.csr',
      '-subj',
      `/CN=${frontProxyClientName}`,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'front-proxy-client.csr',
      '-CA',
      'front-proxy-ca.crt',
      '-CAkey',
      'front-proxy-ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      'front-proxy-client.ext',
      '-out',
      'front-proxy-client.crt',
    ],
    dir,
  );

  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);

  return {
    caCertPath: path('ca.crt'),
    caKeyPath: path('ca.key'),
    caPem: await readFile(path('ca.crt'), 'utf8'),
    servingCertPath: path('apiserver.crt'),
    servingKeyPath: path('apiserver.key'),
    serviceAccountKeyPath: path('sa.key'),
    serviceAccountPublicKeyPath: path('sa.pub'),
    frontProxyCaCertPath: path('front-proxy-ca.crt'),
    frontProxyClientCertPath: path('front-proxy-client.crt'),
    frontProxyClientKeyPath: path('front-proxy-client.key'),
  };
}
