import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { frontProxyClientName, type Pki } from './pki.ts';
import type { ManagedProcess } from './processes.ts';
import { httpGet, type HttpGetOptions } from './wait.ts';

/*
 * Command lines of the four components. Every listener is on 127.0.0.1 and a port chosen by
 * the harness, so parallel runs and a developer's own cluster never collide.
 */

export const serviceClusterIpRange = '10.0.0.0/24';
export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export interface EtcdPorts {
  client: number;
  peer: number;
}

export function etcdArgs(dataDir: string, ports: EtcdPorts): string[] {
  const clientUrl = `http://127.0.0.1:${ports.client}`;
  const peerUrl = `http://127.0.0.1:${ports.peer}`;
  return [
    '--name=berth-e2e',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=berth-e2e=${peerUrl}`,
    // The data is thrown away after the test; skipping fsync makes writes (and so every
    // apiserver write) much faster on slow CI disks.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export interface ApiserverFiles {
  pki: Pki;
  tokenAuthFile: string;
  certDir: string;
}

export function apiserverArgs(
  etcdClientPort: number,
  port: number,
  files: ApiserverFiles,
  extra: readonly string[],
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${files.pki.servingCertPath}`,
    `--tls-private-key-file=${files.pki.servingKeyPath}`,
    // Otherwise it writes self-signed certificates to /var/run/kubernetes.
    `--cert-dir=${files.certDir}`,
    `--client-ca-file=${files.pki.caCertPath}`,
    `--token-auth-file=${files.tokenAuthFile}`,
    `--requestheader-client-ca-file=${files.pki.frontProxyCaCertPath}`,
    `--requestheader-allowed-names=${frontProxyClientName}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${files.pki.frontProxyClientCertPath}`,
    `--proxy-client-key-file=${files.pki.frontProxyClientKeyPath}`,
    // What kubeadm runs: RBAC decides for users, the Node authorizer for kubelets.
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${serviceAccountIssuer}`,
    `--service-account-key-file=${files.pki.serviceAccountPublicKeyPath}`,
    `--service-account-signing-key-file=${files.pki.serviceAccountKeyPath}`,
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--enable-admission-plugins=NodeRestriction',
    // The ServiceAccount admission plugin rejects every Pod until the namespace's "default"
    // ServiceAccount exists, and only kube-controller-manager (opt-in here) creates it.
    // envtest disables it for the same reason; nothing runs the pods' tokens anyway.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // The "kubernetes" Service would need a non-loopback endpoint (validation rejects
    // 127.0.0.1, and logs an error every 10 s); nothing in these tests calls it from a pod.
    '--endpoint-reconciler-type=none',
    // On SIGTERM the apiserver otherwise waits for open watches (every informer has some)
    // until its 60 s shutdown timeout. With a grace period it ends them and exits in ~1 s,
    // like a real rolling restart, which is what restartApiserver() is for.
    '--shutdown-watch-termination-grace-period=2s',
    '--profiling=false',
    ...extra,
  ];
}

function componentServingArgs(port: number, kubeconfigPath: string): string[] {
  return [
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    // Delegated authn/authz on the component's own port, so tests can scrape /metrics with
    // a token like Prometheus does.
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
  ];
}

export function schedulerArgs(
  configPath: string,
  port: number,
  kubeconfigPath: string,
  extra: readonly string[],
): string[] {
  return [
    `--config=${configPath}`,
    ...componentServingArgs(port, kubeconfigPath),
    // v=2 logs each binding decision ("Successfully bound pod to node"), which is what one
    // needs when a scheduling test fails.
    '--v=2',
    ...extra,
  ];
}

export function controllerManagerArgs(
  port: number,
  kubeconfigPath: string,
  pki: Pki,
  extra: readonly string[],
): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    ...componentServingArgs(port, kubeconfigPath),
    '--leader-elect=false',
    // As kubeadm: each controller acts as its own ServiceAccount, so RBAC is exercised the
    // same way as in a real cluster.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountKeyPath}`,
    `--root-ca-file=${pki.caCertPath}`,
    `--cluster-signing-cert-file=${pki.caCertPath}`,
    `--cluster-signing-key-file=${pki.caKeyPath}`,
    '--cluster-name=berth-e2e',
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    ...extra,
  ];
}

/**
 * Polls a health endpoint until it answers 200, failing at once (with the log tail) if the
 * process exits first, so a bad flag is reported in seconds rather than after the timeout.
 */
export async function waitUntilHealthy(
  process: ManagedProcess,
  url: string,
  options: HttpGetOptions & { timeoutMs?: number; bodyShows?: RegExp },
): Promise<void> {
  const { timeoutMs = 60_000, bodyShows, ...getOptions } = options;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const exit = process.describeExit();
    if (exit !== undefined) {
      throw new Error(`${exit} before ${url} became healthy; its log is printed below (${process.logPath})`);
    }
    try {
      const response = await httpGet(url, { ...getOptions, timeoutMs: 5_000 });
      if (response.status === 200 && (bodyShows === undefined || bodyShows.test(response.body))) return;
      last = `HTTP ${response.status}: ${response.body.slice(0, 1_000)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${process.name} was not healthy at ${url} after ${timeoutMs} ms (last: ${last}); log: ${process.logPath}`,
      );
    }
    await sleep(250);
  }
}

export function logPath(dir: string, component: string): string {
  return join(dir, `${component}.log`);
}
