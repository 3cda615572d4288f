/**
 * What the workloads promise, checked against berth's own code: the container arguments parse with the real flag
 * parsers, ports and probes line up with the flags, shutdown timing adds up, the extender is locked down
 * (restricted-profile fields, mTLS off loopback), the agent has exactly its documented host access, and the
 * scheduler configurations point at the Service, the prefix and the certificate names the manifests define.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateAgentConfig } from '../../lib/agent/config.ts';
import { parseExtenderConfig, type ExtenderConfig } from '../../lib/extender/config.ts';
import { OPTIONS } from '../../lib/extender/options.ts';
import { AGENT_OPTIONS } from '../../lib/agent/options.ts';
import type { RawFlags } from '../../lib/core/options.ts';
import { parseFlags } from '../../server/common/options.ts';
import { describe, loadShippedManifests, MANIFESTS, podSpecOf, type KubeObject } from '../helpers/manifests/render.ts';

const shipped = await loadShippedManifests();
const find = (kind: string, name: string): KubeObject => {
  const o = [...shipped.core.objects, ...shipped.standalone].find(
    (x) => x.object.kind === kind && x.object.metadata['name'] === name,
  )?.object;
  if (o === undefined) throw new Error(`no ${kind} ${name} in the manifests`);
  return o;
};
type Container = {
  name: string;
  args?: string[];
  env?: { name: string }[];
  ports?: { name: string; containerPort: number; protocol?: string }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
};
type Probe = { httpGet?: { path: string; port: string | number } };
type PodSpec = {
  containers: Container[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  volumes?: { name: string; hostPath?: { path: string }; secret?: { secretName: string } }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
};
const podOf = (o: KubeObject): PodSpec => podSpecOf(o) as unknown as PodSpec;
const only = <T>(xs: readonly T[] | undefined, what: string): T => {
  if (xs?.length !== 1 || xs[0] === undefined) throw new Error(`expected exactly one ${what}`);
  return xs[0];
};

const extender = find('Deployment', 'berth-extender');
const extenderPod = podOf(extender);
const extenderContainer = only(extenderPod.containers, 'extender container');

function agentFlags(args: readonly string[]): RawFlags {
  const parsed = parseFlags(args, AGENT_OPTIONS);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.values;
}

function extenderConfig(args: readonly string[]): ExtenderConfig {
  const [command, ...flags] = args;
  if (command !== 'extender') throw new Error(`the extender container runs ${String(command)}, not "extender"`);
  const parsed = parseFlags(flags, OPTIONS);
  if (!parsed.ok) throw new Error(parsed.message);
  const config = parseExtenderConfig(parsed.values);
  if (!config.ok) throw new Error(config.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return config.value;
}

t.test('the extender Deployment: flags berth accepts, ports and probes that match them', async (t) => {
  const config = extenderConfig(extenderContainer.args ?? []);
  t.ok(config.tls?.clientCa, 'listening off loopback with client certificates required (mTLS)');
  const port = (name: string): number | undefined =>
    extenderContainer.ports?.find((p) => p.name === name)?.containerPort;
  t.equal(port('verbs'), config.listen.port, "the verbs port is --listen's");
  t.equal(
    port('metrics'),
    config.metricsListen?.port,
    "the metrics port is --metrics-listen's (plain HTTP, probes and metrics)",
  );
  t.same(
    extenderContainer.readinessProbe?.httpGet,
    { path: '/readyz', port: 'metrics' },
    "readiness is berth's /readyz on the plain port",
  );
  t.same(
    extenderContainer.livenessProbe?.httpGet,
    { path: '/healthz', port: 'metrics' },
    "liveness is berth's /healthz on the plain port",
  );
  const tlsMount = extenderContainer.volumeMounts?.find((m) => m.name === 'tls');
  for (const file of [config.tls?.cert, config.tls?.key, config.tls?.clientCa]) {
    t.ok(
      tlsMount !== undefined && file?.startsWith(`${tlsMount.mountPath}/`),
      `${String(file)} comes from the TLS Secret mount`,
    );
  }
  t.equal(
    extenderPod.volumes?.find((v) => v.name === 'tls')?.secret?.secretName,
    'berth-extender-tls',
    'the Secret scripts/gen-certs.sh writes',
  );
});

t.test('shutdown timing: preStop sleep, --shutdown-delay and the drain fit in the grace period', async (t) => {
  const config = extenderConfig(extenderContainer.args ?? []);
  const preStop = extenderContainer.lifecycle?.preStop?.sleep?.seconds ?? 0;
  t.ok(preStop >= 3, `preStop sleeps ${preStop} s so the endpoint leaves the Service before SIGTERM`);
  t.ok(
    config.shutdownDelayMs >= 1000,
    `--shutdown-delay is ${config.shutdownDelayMs} ms of failing readiness before the listener closes`,
  );
  // server/extender/run.ts: closeWithGrace gives the drain --shutdown-delay + 15 s before forcing the exit.
  const worst = preStop + config.shutdownDelayMs / 1000 + 15;
  t.ok(
    (extenderPod.terminationGracePeriodSeconds ?? 30) >= worst,
    `terminationGracePeriodSeconds ${String(extenderPod.terminationGracePeriodSeconds)} ≥ ${worst} s`,
  );
});

t.test('the extender pod asks for nothing the restricted profile forbids', async (t) => {
  t.notOk(extenderPod.hostNetwork ?? extenderPod.hostPID ?? extenderPod.hostIPC, 'no host namespaces');
  t.same(
    extenderPod.volumes?.filter((v) => v.hostPath !== undefined),
    [],
    'no hostPath volumes',
  );
  t.equal(
    (extenderPod.securityContext?.['seccompProfile'] as { type?: string } | undefined)?.type,
    'RuntimeDefault',
    'seccomp RuntimeDefault',
  );
  const sc = extenderContainer.securityContext ?? {};
  t.equal(sc['runAsNonRoot'], true, 'non-root');
  t.equal(sc['allowPrivilegeEscalation'], false, 'no privilege escalation');
  t.equal(sc['readOnlyRootFilesystem'], true, 'read-only root filesystem');
  t.same(sc['capabilities'], { drop: ['ALL'] }, 'all capabilities dropped, none added');
});

t.test('two extender replicas spread over nodes, with a PodDisruptionBudget', async (t) => {
  const spec = extender['spec'] as {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { spec: { affinity?: { podAntiAffinity?: unknown } } };
  };
  t.equal(spec.replicas, 2, 'two replicas');
  t.ok(spec.template.spec.affinity?.podAntiAffinity, 'pod anti-affinity');
  const pdb = find('PodDisruptionBudget', 'berth-extender')['spec'] as {
    minAvailable: number;
    selector: { matchLabels: Record<string, string> };
  };
  t.same(pdb.selector.matchLabels, spec.selector.matchLabels, 'the PDB selects the extender pods');
  t.ok(pdb.minAvailable >= 1 && pdb.minAvailable < spec.replicas, 'one replica may be disrupted, never both');
  const svc = find('Service', 'berth-extender')['spec'] as {
    selector: Record<string, string>;
    sessionAffinity?: string;
    ports: { name: string; port: number; targetPort: string }[];
  };
  t.same(svc.selector, spec.selector.matchLabels, 'the Service selects the extender pods');
  t.same(
    svc.ports.map((p) => p.targetPort).sort(),
    ['metrics', 'verbs'],
    'the Service exposes the verbs and metrics ports by name',
  );
  t.equal(svc.sessionAffinity, 'ClientIP', 'a scheduler keeps talking to the replica that holds its provisional holds');
});

t.test('the agent DaemonSet: flags the agent accepts, and exactly the documented host access', async (t) => {
  const ds = find('DaemonSet', 'berth-agent');
  const pod = podOf(ds);
  const c = only(pod.containers, 'agent container');
  const [command, ...args] = c.args ?? [];
  t.equal(command, 'agent', 'runs `berth agent`');
  // The kubelet expands $(POD_IP) from the env; any address stands in for it here.
  const expanded = args.map((a) => a.replaceAll('$(POD_IP)', '10.1.2.3'));
  const checked = validateAgentConfig({
    flags: agentFlags(expanded),
    env: { NODE_NAME: 'node-a' },
    hostname: 'ignored',
  });
  t.ok(checked.ok, `the agent accepts its flags${checked.ok ? '' : `: ${JSON.stringify(checked.problems)}`}`);
  if (!checked.ok) return;
  t.equal(pod.hostNetwork, true, 'hostNetwork: host NIC statistics and node-address probes');
  t.notOk(pod.hostPID ?? pod.hostIPC, 'no host PID or IPC namespace');
  const sc = c.securityContext ?? {};
  t.equal(sc['privileged'] ?? false, false, 'not privileged');
  t.same(sc['capabilities'], { drop: ['ALL'] }, 'all capabilities dropped, none added');
  t.equal(sc['readOnlyRootFilesystem'], true, 'read-only root filesystem');
  t.equal(sc['allowPrivilegeEscalation'], false, 'no privilege escalation');
  const hostVolumes = new Map(
    (pod.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => [v.name, v.hostPath?.path]),
  );
  for (const m of c.volumeMounts ?? []) {
    if (!hostVolumes.has(m.name)) continue;
    t.equal(m.readOnly, true, `host path ${String(hostVolumes.get(m.name))} is mounted read-only`);
  }
  t.same(
    [...hostVolumes.values()].filter((p) => p === '/' || p === '/dev' || p === '/var/run/docker.sock'),
    [],
    'no root, /dev or runtime socket',
  );
  for (const pool of checked.value.pools) {
    if (pool.kind !== 'mount') continue;
    const mount = c.volumeMounts?.find((m) => m.mountPath === pool.path);
    t.ok(
      mount !== undefined && hostVolumes.get(mount.name) === pool.path,
      `pool ${pool.name} (${pool.path}) is the host's path, mounted at the same place`,
    );
    t.equal(mount?.mountPropagation, 'HostToContainer', `pool ${pool.name} sees disks mounted after the agent started`);
  }
  const metrics = c.ports?.find((p) => p.name === 'metrics');
  t.equal(metrics?.containerPort, checked.value.metricsListen?.port, "the metrics port is --metrics-listen's");
  t.equal(
    c.ports?.find((p) => p.name === 'probe')?.containerPort,
    checked.value.probe.listen.port,
    "the probe port is --probe-listen's",
  );
});

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** What the ClusterRoles bound to a ServiceAccount allow, as "group/resource verb" strings. */
function grantsOf(namespace: string, name: string): Set<string> {
  const all = [...shipped.core.objects, ...shipped.standalone].map((o) => o.object);
  const roles = all
    .filter((o) => o.kind === 'ClusterRoleBinding')
    .filter((b) =>
      ((b['subjects'] ?? []) as { kind: string; name: string; namespace?: string }[]).some(
        (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
      ),
    )
    .map((b) => (b['roleRef'] as { kind: string; name: string }).name);
  const grants = new Set<string>();
  for (const role of roles) {
    for (const r of (find('ClusterRole', role)['rules'] ?? []) as Rule[]) {
      for (const g of r.apiGroups)
        for (const res of r.resources) for (const v of r.verbs) grants.add(`${g}/${res} ${v}`);
    }
  }
  return grants;
}

t.test('the agent publishes through the API server, with exactly the rights that needs', async (t) => {
  const ds = find('DaemonSet', 'berth-agent');
  const pod = podOf(ds);
  const c = only(pod.containers, 'agent container');
  const [, ...args] = c.args ?? [];
  const expanded = args.map((a) => a.replaceAll('$(POD_IP)', '10.1.2.3'));
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, 'from-the-pod']));
  const checked = validateAgentConfig({ flags: agentFlags(expanded), env, hostname: 'ignored' });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const config = checked.value;
  // The extender's only listener requires a client certificate (mTLS for kube-scheduler) and has push off with
  // --kube: the NodeReport, written through the API server, is the one path that reaches it.
  t.not(config.kube, null, "--kube: the report is this node's NodeReport, written through the API server");
  t.equal(config.extender, null, 'no push to the extender');
  t.equal(config.tokenFile, null, 'no extender token file');
  t.equal(config.kube?.kubeconfig, null, "in-cluster credentials: the pod's own node-bound ServiceAccount token");
  t.not(pod.automountServiceAccountToken, false, 'the kubelet mounts that token');
  t.equal(config.kube?.zoneFromNode, true, "the zone comes from the Node's topology.kubernetes.io/zone label");
  t.equal(config.peers.source, 'kube', 'latency peers come from the NodeReports');
  t.equal(
    pod.volumes?.some((v) => v.name === 'berth-token'),
    false,
    'no extender-audience token is mounted',
  );
  const grants = grantsOf(String(ds.metadata['namespace']), pod.serviceAccountName ?? 'default');
  for (const need of [
    'berth.io/nodereports create',
    'berth.io/nodereports patch',
    'berth.io/nodereports/status patch',
    '/nodes get',
    'berth.io/nodereports list',
  ]) {
    t.ok(grants.has(need), `RBAC grants ${need}`);
  }
  const extenderTtl = extenderConfig(extenderContainer.args ?? []).policy.reportTtlMs;
  t.ok(
    config.heartbeatMs * 3 <= extenderTtl,
    `--heartbeat ${config.heartbeatMs / 1000}s fits three times into the extender's --report-ttl ${extenderTtl / 1000}s: a lost publish does not make the node stale`,
  );
});

interface ExtenderEntry {
  urlPrefix: string;
  tlsConfig?: { serverName?: string };
}

t.test('both scheduler configurations call the shipped Service, port, prefix and certificate name', async (t) => {
  const config = extenderConfig(extenderContainer.args ?? []);
  const svc = find('Service', 'berth-extender');
  const ns = String(svc.metadata['namespace']);
  const verbsPort = (svc['spec'] as { ports: { name: string; port: number }[] }).ports.find(
    (p) => p.name === 'verbs',
  )?.port;
  const serverName = `${String(svc.metadata['name'])}.${ns}.svc`;
  const fromFile = parse(await readFile(join(MANIFESTS, 'scheduler', 'extender-config.yaml'), 'utf8')) as {
    extenders: ExtenderEntry[];
  };
  const cm = find('ConfigMap', 'berth-scheduler-config')['data'] as Record<string, string>;
  const fromConfigMap = parse(cm['scheduler-config.yaml'] ?? '') as { extenders: ExtenderEntry[] };
  for (const [name, c] of [
    ['extender-config.yaml', fromFile],
    ['second-scheduler.yaml', fromConfigMap],
  ] as const) {
    const e = only(c.extenders, `extender in ${name}`);
    t.equal(
      e.urlPrefix,
      `https://${serverName}:${String(verbsPort)}${config.prefix}`,
      `${name}: urlPrefix is the Service, its verbs port and --prefix`,
    );
    t.equal(
      e.tlsConfig?.serverName,
      serverName,
      `${name}: serverName is a SAN scripts/gen-certs.sh puts in the certificate`,
    );
  }
  const gen = await readFile(join(MANIFESTS, '..', 'scripts', 'gen-certs.sh'), 'utf8');
  t.match(gen, /DNS:\$service\.\$namespace\.svc[,"]/, 'gen-certs.sh issues the <service>.<namespace>.svc SAN');
  t.match(gen, new RegExp(`BERTH_NAMESPACE:-${ns}\\}`), `gen-certs.sh defaults to namespace ${ns}`);
});

t.test('the second scheduler mounts what its configuration names', async (t) => {
  const d = find('Deployment', 'berth-scheduler');
  const c = only(podOf(d).containers, 'kube-scheduler container') as Container & { command?: string[] };
  const cm = find('ConfigMap', 'berth-scheduler-config')['data'] as Record<string, string>;
  const configFlag = c.command?.find((a) => a.startsWith('--config='))?.slice('--config='.length) ?? '';
  const configMount = c.volumeMounts?.find((m) => m.name === 'config');
  t.ok(
    configMount !== undefined &&
      configFlag === `${configMount.mountPath}/scheduler-config.yaml` &&
      'scheduler-config.yaml' in cm,
    '--config is the ConfigMap key, mounted',
  );
  const sched = parse(cm['scheduler-config.yaml'] ?? '') as {
    extenders: { tlsConfig: Record<string, string> }[];
    profiles: { schedulerName: string }[];
  };
  const tlsMount = c.volumeMounts?.find((m) => m.name === 'scheduler-tls')?.mountPath ?? '(none)';
  for (const key of ['caFile', 'certFile', 'keyFile']) {
    t.ok(
      sched.extenders[0]?.tlsConfig[key]?.startsWith(`${tlsMount}/`),
      `${key} is in the client-certificate Secret mount`,
    );
  }
  t.same(
    sched.profiles.map((p) => p.schedulerName),
    ['berth-scheduler'],
    `${describe(d)} runs one profile, berth-scheduler`,
  );
});
