import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { binariesAvailable } from './binaries.ts';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  logPath,
  schedulerArgs,
  waitUntilHealthy,
} from './components.ts';
import { createNode, NodeHeartbeat, type FakeNodeOptions } from './nodes.ts';
import { generatePki, type Pki } from './pki.ts';
import { freePorts } from './ports.ts';
import { ManagedProcess } from './processes.ts';
import { defaultSchedulerConfig, resolveSchedulerConfig, type SchedulerConfigInput } from './scheduler-config.ts';
import {
  adminUserName,
  clientKubeConfig,
  controllerManagerUserName,
  kubeconfigFile,
  makeTokenUsers,
  schedulerUserName,
  tokenAuthFile,
  type TokenUser,
  type TokenUserSpec,
} from './users.ts';

/** The part of a tap Test the harness needs; keeps it independent of tap's plugin types. */
export interface TestLifecycle {
  teardown(fn: () => unknown): void;
  passing(): boolean;
}

export interface ControlPlaneOptions {
  /** Directory with etcd and the kube-* binaries; default: what binariesAvailable() finds. */
  binDir?: string;
  /** Extra static-token users, e.g. one per berth component to test its RBAC. */
  users?: TokenUserSpec[];
  /** Start kube-scheduler with this configuration once the apiserver is ready. */
  scheduler?: SchedulerConfigInput;
  /** Start kube-controller-manager (PV binding, garbage collection, namespace deletion, ...). */
  controllerManager?: boolean;
  apiserverFlags?: string[];
  schedulerFlags?: string[];
  controllerManagerFlags?: string[];
  /** How long each component may take to become healthy. */
  startTimeoutMs?: number;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  scheduler: number;
  controllerManager: number;
}

/** A running etcd + kube-apiserver (+ optional scheduler and controller-manager) on loopback. */
export class ControlPlane {
  readonly dir: string;
  readonly binDir: string;
  readonly server: string;
  readonly ports: Ports;
  readonly pki: Pki;
  readonly #users: Map<string, TokenUser>;
  readonly #options: ControlPlaneOptions;
  readonly #etcd: ManagedProcess;
  readonly #apiserver: ManagedProcess;
  readonly #scheduler: ManagedProcess;
  readonly #controllerManager: ManagedProcess;
  #schedulerConfig: SchedulerConfigInput = defaultSchedulerConfig;
  #schedulerConfigCount = 0;
  #heartbeat: NodeHeartbeat | undefined;

  constructor(
    dir: string,
    binDir: string,
    ports: Ports,
    pki: Pki,
    users: Map<string, TokenUser>,
    options: ControlPlaneOptions,
  ) {
    this.dir = dir;
    this.binDir = binDir;
    this.ports = ports;
    this.pki = pki;
    this.server = `https://127.0.0.1:${ports.apiserver}`;
    this.#users = users;
    this.#options = options;
    const bin = (name: string): string => join(binDir, name);
    this.#etcd = new ManagedProcess(
      'etcd',
      bin('etcd'),
      etcdArgs(join(dir, 'etcd-data'), { client: ports.etcdClient, peer: ports.etcdPeer }),
      logPath(dir, 'etcd'),
    );
    const apiserverFiles = { pki, tokenAuthFile: join(dir, 'tokens.csv'), certDir: join(dir, 'apiserver-certs') };
    this.#apiserver = new ManagedProcess(
      'kube-apiserver',
      bin('kube-apiserver'),
      apiserverArgs(ports.etcdClient, ports.apiserver, apiserverFiles, options.apiserverFlags ?? []),
      logPath(dir, 'kube-apiserver'),
    );
    // The scheduler's --config changes on each start, so its args are set in startScheduler.
    this.#scheduler = new ManagedProcess('kube-scheduler', bin('kube-scheduler'), [], logPath(dir, 'kube-scheduler'));
    this.#controllerManager = new ManagedProcess(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      controllerManagerArgs(
        ports.controllerManager,
        this.#kubeconfigPath(controllerManagerUserName),
        pki,
        options.controllerManagerFlags ?? [],
      ),
      logPath(dir, 'kube-controller-manager'),
    );
  }

  get processes(): readonly ManagedProcess[] {
    return [this.#etcd, this.#apiserver, this.#controllerManager, this.#scheduler];
  }

  get userNames(): string[] {
    return [...this.#users.keys()];
  }

  /** A client acting as `userName` (default: the system:masters admin). */
  kubeConfig(userName: string = adminUserName): KubeConfig {
    return clientKubeConfig({ server: this.server, caPem: this.pki.caPem }, this.#user(userName));
  }

  token(userName: string = adminUserName): string {
    return this.#user(userName).token;
  }

  /** Writes a kubeconfig file for `userName`, for processes the test starts itself. */
  async writeKubeconfig(userName: string = adminUserName): Promise<string> {
    const path = this.#kubeconfigPath(userName);
    await writeFile(path, kubeconfigFile({ server: this.server, caPem: this.pki.caPem }, this.#user(userName)), {
      mode: 0o600,
    });
    return path;
  }

  /** A Ready fake Node (see nodes.ts), kept alive with Lease heartbeats. */
  async createNode(name: string, options: FakeNodeOptions = {}): Promise<V1Node> {
    const kc = this.kubeConfig();
    const node = await createNode(kc, name, options);
    this.#heartbeat ??= new NodeHeartbeat(kc);
    await this.#heartbeat.add(node);
    return node;
  }

  async startEtcdAndApiserver(): Promise<void> {
    await mkdir(join(this.dir, 'apiserver-certs'), { recursive: true });
    await writeFile(join(this.dir, 'tokens.csv'), tokenAuthFile(this.#users.values()), { mode: 0o600 });
    for (const userName of [schedulerUserName, controllerManagerUserName]) await this.writeKubeconfig(userName);
    this.#etcd.start();
    await waitUntilHealthy(this.#etcd, `http://127.0.0.1:${this.ports.etcdClient}/health`, {
      timeoutMs: this.#startTimeoutMs,
    });
    await this.#startApiserver();
  }

  async #startApiserver(): Promise<void> {
    this.#apiserver.start();
    // /readyz covers the RBAC bootstrap roles and the system namespaces, not just "listening".
    await waitUntilHealthy(this.#apiserver, `${this.server}/readyz`, {
      ca: this.pki.caPem,
      bearerToken: this.token(),
      timeoutMs: this.#startTimeoutMs,
    });
  }

  /** Stops the apiserver and starts it again on the same port and etcd (informer recovery tests). */
  async restartApiserver(): Promise<void> {
    await this.#apiserver.stop();
    await this.#startApiserver();
  }

  async startScheduler(config: SchedulerConfigInput = this.#schedulerConfig): Promise<void> {
    const kubeconfigPath = this.#kubeconfigPath(schedulerUserName);
    const resolved = await resolveSchedulerConfig(config, kubeconfigPath);
    this.#schedulerConfig = config;
    this.#schedulerConfigCount += 1;
    const configPath = join(this.dir, `kube-scheduler-config-${this.#schedulerConfigCount}.yaml`);
    await writeFile(configPath, resolved);
    this.#scheduler.args = schedulerArgs(
      configPath,
      this.ports.scheduler,
      kubeconfigPath,
      this.#options.schedulerFlags ?? [],
    );
    this.#scheduler.start();
    // The scheduler's /readyz includes its informers having synced.
    await waitUntilHealthy(this.#scheduler, `https://127.0.0.1:${this.ports.scheduler}/readyz`, {
      insecureSkipVerify: true,
      timeoutMs: this.#startTimeoutMs,
    });
  }

  async stopScheduler(): Promise<void> {
    await this.#scheduler.stop();
  }

  /** Restarts the scheduler, with a new configuration if given, else the previous one. */
  async restartScheduler(config?: SchedulerConfigInput): Promise<void> {
    await this.stopScheduler();
    await this.startScheduler(config ?? this.#schedulerConfig);
  }

  async startControllerManager(): Promise<void> {
    this.#controllerManager.start();
    // /healthz passes before any controller exists. The per-controller checks are registered
    // once all controllers are built, right before their informers start, so wait for those.
    await waitUntilHealthy(
      this.#controllerManager,
      `https://127.0.0.1:${this.ports.controllerManager}/healthz?verbose`,
      {
        insecureSkipVerify: true,
        timeoutMs: this.#startTimeoutMs,
        bodyShows: /^\[\+\][\w-]+-controller ok$/m,
      },
    );
  }

  async stopControllerManager(): Promise<void> {
    await this.#controllerManager.stop();
  }

  /** Stops everything, clients first, etcd last; safe to call more than once. */
  async stop(): Promise<void> {
    await this.#heartbeat?.stop();
    await Promise.all([this.#scheduler.stop(), this.#controllerManager.stop()]);
    await this.#apiserver.stop();
    await this.#etcd.stop();
  }

  /** The last lines of each component's log, for failure reports. */
  logTails(lines = 40): string {
    return this.processes
      .filter((managed) => managed.describeExit() !== `${managed.name} was never started`)
      .map((managed) => {
        const state = managed.describeExit() ?? 'still running';
        return `----- ${managed.name} (${state}): last ${lines} lines of ${managed.logPath}\n${managed.tail(lines)}`;
      })
      .join('\n');
  }

  get #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? 60_000;
  }

  #kubeconfigPath(userName: string): string {
    return join(this.dir, `kubeconfig-${userName.replaceAll(/[^A-Za-z0-9_.-]/g, '_')}`);
  }

  #user(userName: string): TokenUser {
    const user = this.#users.get(userName);
    if (user === undefined) throw new Error(`no token user ${userName}; declare it in startControlPlane({ users })`);
    return user;
  }
}

/**
 * Starts a control plane for one tap test and registers its teardown first thing, so the
 * processes are stopped however the test ends. When the test failed, the teardown prints each
 * component's log tail and keeps the temp dir; otherwise it removes the dir.
 */
export async function startControlPlane(t: TestLifecycle, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  let binDir = options.binDir;
  if (binDir === undefined) {
    const found = binariesAvailable();
    if (!found.ok) throw new Error(`cannot start the e2e control plane: ${found.why}`);
    binDir = found.dir;
  }
  const dir = await mkdtemp(join(tmpdir(), 'berth-e2e-'));
  // Filled in below; the teardown is registered before anything can fail or start.
  const started: { controlPlane?: ControlPlane } = {};
  t.teardown(async () => {
    await started.controlPlane?.stop();
    if (t.passing()) {
      await rm(dir, { recursive: true, force: true });
      return;
    }
    const tails = started.controlPlane?.logTails() ?? '';
    process.stderr.write(`\n# e2e control plane logs (kept in ${dir}):\n${tails}\n`);
  });

  const [etcdClient, etcdPeer, apiserver, scheduler, controllerManager] = await freePorts(5);
  if (
    etcdClient === undefined ||
    etcdPeer === undefined ||
    apiserver === undefined ||
    scheduler === undefined ||
    controllerManager === undefined
  ) {
    throw new Error('could not reserve five loopback ports');
  }
  const pki = await generatePki(dir);
  const users = makeTokenUsers(options.users ?? []);
  const controlPlane = new ControlPlane(
    dir,
    binDir,
    { etcdClient, etcdPeer, apiserver, scheduler, controllerManager },
    pki,
    users,
    options,
  );
  started.controlPlane = controlPlane;

  await controlPlane.startEtcdAndApiserver();
  if (options.controllerManager === true) await controlPlane.startControllerManager();
  if (options.scheduler !== undefined) await controlPlane.startScheduler(options.scheduler);
  return controlPlane;
}

export { binariesAvailable, kubernetesVersion, type BinariesCheck } from './binaries.ts';
export { e2eGate, type E2eGate } from './gate.ts';
export { model, type PlainModel } from './model.ts';
export { createNode, type FakeNodeOptions } from './nodes.ts';
export { defaultSchedulerConfig, type SchedulerConfigInput } from './scheduler-config.ts';
export { adminUserName, type TokenUserSpec } from './users.ts';
export { waitFor, type WaitForOptions } from './wait.ts';
