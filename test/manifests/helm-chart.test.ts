/**
 * charts/berth with the real Helm (scripts/build-helm.sh): `helm lint` passes; with default values
 * `helm template` renders exactly the core kustomization, object for object; each switch adds exactly the shipped
 * objects it stands for (monitoring, the second scheduler); and every setting lands where berth reads it, checked
 * with berth's own flag parsers. How the rendered objects fare on a real API server: helm-apiserver.test.ts.
 */
import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateAgentConfig } from '../../lib/agent/config.ts';
import { parseExtenderConfig, type ExtenderConfig } from '../../lib/extender/config.ts';
import { OPTIONS } from '../../lib/extender/options.ts';
import { AGENT_OPTIONS } from '../../lib/agent/options.ts';
import { parseFlags } from '../../server/common/options.ts';
import { CHART, helm, helmGate, renderChart } from '../helpers/manifests/helm.ts';
import {
  containersOf,
  describe,
  loadObjects,
  MANIFESTS,
  podSpecOf,
  renderKustomization,
  type KubeObject,
} from '../helpers/manifests/render.ts';
import { FULL_VALUES } from './helm-values.ts';

const gate = helmGate(t);
const byKey = (objects: readonly KubeObject[]): Map<string, KubeObject> =>
  new Map(objects.map((o) => [describe(o), o]));

function sameObjects(t: Test, got: readonly KubeObject[], want: readonly KubeObject[], what: string): void {
  const g = byKey(got);
  const w = byKey(want);
  t.same([...g.keys()].sort(), [...w.keys()].sort(), `${what}: the same objects`);
  for (const [key, object] of w) t.same(g.get(key), object, `${what}: ${key} is identical`);
}

function added(base: readonly KubeObject[], more: readonly KubeObject[]): KubeObject[] {
  const keys = new Set(base.map(describe));
  return more.filter((o) => !keys.has(describe(o)));
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata['name'] === name);
  if (o === undefined) throw new Error(`no ${kind} ${name} rendered`);
  return o;
}

function args(o: KubeObject): string[] {
  const [c] = containersOf(o);
  return (c?.['args'] as string[] | undefined) ?? [];
}

function extenderConfig(o: KubeObject): ExtenderConfig {
  const [command, ...flags] = args(o);
  if (command !== 'extender') throw new Error('not the extender');
  const parsed = parseFlags(flags, OPTIONS);
  if (!parsed.ok) throw new Error(parsed.message);
  const config = parseExtenderConfig(parsed.values);
  if (!config.ok) throw new Error(JSON.stringify(config.problems));
  return config.value;
}

if (gate.skip !== false) t.plan(0, gate.skip);
else {
  const bin = gate.helm;
  const dir = t.testdir();
  const defaults = await renderChart(bin, dir);

  t.test('helm lint passes, with the defaults and with every switch on', async (t) => {
    await writeFile(join(dir, 'full.yaml'), JSON.stringify(FULL_VALUES));
    for (const [what, extra] of [
      ['defaults', []],
      ['every switch', ['--values', join(dir, 'full.yaml')]],
    ] as const) {
      if (extra.length > 0)
        await (await import('node:fs/promises')).writeFile(join(dir, 'full.yaml'), JSON.stringify(FULL_VALUES));
      const { stdout } = await helm(bin, ['lint', CHART, '--strict', ...extra]);
      t.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, `${what}: helm lint --strict`);
      t.notMatch(stdout, /\[(WARNING|ERROR)\]/, `${what}: no warning`);
    }
  });

  t.test('with default values the chart renders the core kustomization, object for object', async (t) => {
    const kustomize = await renderKustomization(MANIFESTS);
    sameObjects(
      t,
      defaults,
      kustomize.objects.map((o) => o.object),
      'helm template = manifests/',
    );
  });

  t.test('each switch adds exactly the shipped objects it stands for', async (t) => {
    const monitoring = await renderChart(bin, dir, { monitoring: { enabled: true } });
    const kustomize = await renderKustomization(join(MANIFESTS, 'monitoring'));
    sameObjects(
      t,
      added(defaults, monitoring),
      kustomize.objects.map((o) => o.object),
      'monitoring.enabled',
    );

    const second = await renderChart(bin, dir, { scheduler: { second: { enabled: true } } });
    const file = await loadObjects(join(MANIFESTS, 'scheduler', 'second-scheduler.yaml'));
    sameObjects(
      t,
      added(defaults, second),
      file.map((o) => o.object),
      'scheduler.second.enabled',
    );

    const wiringA = await renderChart(bin, dir, { scheduler: { extenderConfig: { enabled: true } } });
    const [cm] = added(defaults, wiringA);
    t.equal(
      (cm?.['data'] as Record<string, string> | undefined)?.['scheduler-config.yaml'],
      await readFile(join(MANIFESTS, 'scheduler', 'extender-config.yaml'), 'utf8'),
      'scheduler.extenderConfig.enabled: a ConfigMap with manifests/scheduler/extender-config.yaml, byte for byte',
    );

    const off = await renderChart(bin, dir, {
      admission: { routingPolicy: false, routingWebhook: false },
      namespaces: { create: false },
      crd: { install: false },
    });
    t.same(
      added(off, defaults).map(describe).sort(),
      [
        'CustomResourceDefinition nodereports.berth.io',
        'MutatingAdmissionPolicy berth-pod-routing',
        'MutatingAdmissionPolicyBinding berth-pod-routing',
        'MutatingWebhookConfiguration berth-pod-routing',
        'Namespace berth-agent',
        'Namespace berth-system',
      ],
      'turning routing, namespaces and the CRD off removes exactly those',
    );
    t.same(added(defaults, off), [], '... and adds nothing');
  });

  t.test('settings land where berth reads them', async (t) => {
    const full = await renderChart(bin, dir, FULL_VALUES);
    for (const o of full)
      for (const c of containersOf(o))
        if (o.kind !== 'Deployment' || o.metadata['name'] !== 'berth-scheduler')
          t.equal(c['image'], 'registry.example.org/team/berth:1.2.3', `${describe(o)}: image from values`);
    const deployment = find(full, 'Deployment', 'berth-extender');
    t.equal((deployment['spec'] as { replicas: number }).replicas, 3, 'extender replicas');
    const config = extenderConfig(deployment);
    t.same(config.kube?.nvmeClasses, { classes: ['local-nvme', 'fast'], provisioners: ['topolvm.io'] }, 'NVMe classes');
    t.equal(config.pushAuth.mode, 'tokenreview', 'push authentication');
    t.equal(config.reportsPush, true, '... with push on');
    t.equal(config.policy.reportTtlMs, 120_000, 'extra flags reach berth');
    t.equal(config.logLevel, 'debug', 'log level');
    const env = (containersOf(deployment)[0]?.['env'] ?? []) as { name: string; value?: string }[];
    t.equal(
      env.find((e) => e.name === 'NODE_OPTIONS')?.value,
      '--max-semi-space-size=4 --max-old-space-size=768',
      "Node's flags for the extender",
    );
    t.ok(find(full, 'ClusterRole', 'berth-extender-push-auth'), 'the TokenReview grant comes with push authentication');

    const ds = find(full, 'DaemonSet', 'berth-agent');
    const [command, ...agentArgs] = args(ds);
    t.equal(command, 'agent');
    const agentFlags = parseFlags(
      agentArgs.map((a) => a.replaceAll('$(POD_IP)', '10.1.2.3')),
      AGENT_OPTIONS,
    );
    if (!agentFlags.ok) throw new Error(agentFlags.message);
    const checked = validateAgentConfig({
      flags: agentFlags.values,
      env: { NODE_NAME: 'n1' },
      hostname: 'ignored',
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    t.same(
      checked.value.pools,
      [
        { name: 'nvme', kind: 'mount', path: '/mnt/nvme' },
        { name: 'fast', kind: 'mount', path: '/var/lib/fast' },
        { name: 'raw', kind: 'device', device: '/dev/nvme1n1' },
        { name: 'vg', kind: 'lvm', vg: 'nvme-vg' },
      ],
      'every pool, as the agent parses it',
    );
    t.equal(checked.value.intervalMs, 5_000, 'interval');
    const spec = podSpecOf(ds) as {
      volumes: { name: string; hostPath?: { path: string } }[];
      securityContext: Record<string, unknown>;
      nodeSelector?: unknown;
    };
    const [agent] = containersOf(ds);
    const mounts = agent?.['volumeMounts'] as { name: string; mountPath: string; readOnly: boolean }[];
    for (const path of ['/mnt/nvme', '/var/lib/fast', '/dev', '/run/lvm', '/etc/lvm']) {
      const m = mounts.find((x) => x.mountPath === path);
      t.ok(m?.readOnly, `${path} is mounted read-only`);
      t.equal(spec.volumes.find((v) => v.name === m?.name)?.hostPath?.path, path, `... from the host's ${path}`);
    }
    t.same(spec.securityContext['supplementalGroups'], [6], 'lvm pools: the disk group');
    t.same(spec.nodeSelector, { 'example.com/nvme': 'true' }, 'node selector');
    t.same(
      (agent?.['ports'] as { containerPort: number }[]).map((p) => p.containerPort),
      [9465, 7071],
      'ports follow the flags',
    );

    const webhook = find(full, 'MutatingWebhookConfiguration', 'berth-pod-routing');
    t.same(
      webhook.metadata['annotations'],
      { 'cert-manager.io/inject-ca-from': 'berth-system/berth-extender' },
      'cert-manager injects the CA into the webhook',
    );
    t.same(
      full
        .filter((o) => o.apiVersion === 'cert-manager.io/v1')
        .map(describe)
        .sort(),
      [
        'Certificate berth-system/berth-apiserver-client',
        'Certificate berth-system/berth-ca',
        'Certificate berth-system/berth-extender',
        'Certificate berth-system/berth-scheduler-client',
        'Issuer berth-system/berth-ca',
        'Issuer berth-system/berth-selfsigned',
      ],
      'cert-manager: a CA of its own and the three certificates',
    );
    const serverCert = find(full, 'Certificate', 'berth-extender')['spec'] as Record<string, unknown>;
    t.equal(serverCert['secretName'], 'berth-extender-tls', 'into the Secret the extender mounts');
    t.ok(
      (serverCert['dnsNames'] as string[]).includes('berth-extender.berth-system.svc'),
      'with the name kube-scheduler verifies',
    );

    const scheduler = find(full, 'Deployment', 'berth-scheduler');
    t.equal(containersOf(scheduler)[0]?.['image'], 'registry.k8s.io/kube-scheduler:v1.35.2', 'second scheduler image');
    t.equal((scheduler['spec'] as { replicas: number }).replicas, 1, 'second scheduler replicas');
    t.same(
      find(full, 'ClusterRoleBinding', 'berth-explain')['subjects'],
      [{ kind: 'Group', name: 'sre', apiGroup: 'rbac.authorization.k8s.io' }],
      'explain.subjects bind berth-explain',
    );

    const single = await renderChart(bin, dir, { extender: { replicas: 1 }, tls: { caBundle: 'Zm9v' } });
    t.notOk(
      single.some((o) => o.kind === 'PodDisruptionBudget'),
      'one replica: no PodDisruptionBudget to block drains',
    );
    const hook = (
      find(single, 'MutatingWebhookConfiguration', 'berth-pod-routing')['webhooks'] as {
        clientConfig: Record<string, unknown>;
      }[]
    )[0];
    t.equal(hook?.clientConfig['caBundle'], 'Zm9v', 'tls.caBundle is the webhook caBundle');
  });

  t.test('helm package carries the shipped files the chart reads, and renders the same', async (t) => {
    const { stdout } = await helm(bin, ['package', CHART, '--destination', dir]);
    const tgz = /saved it to: (\S+\.tgz)/.exec(stdout)?.[1];
    t.ok(tgz, `packaged: ${stdout.trim()}`);
    if (tgz === undefined) return;
    for (const [what, values] of [
      ['defaults', {}],
      ['every switch', FULL_VALUES],
    ] as const) {
      const file = join(dir, 'package-values.yaml');
      await writeFile(file, JSON.stringify(values));
      const packaged = await helm(bin, ['template', 'berth', tgz, '--values', file]);
      const fromDir = await helm(bin, ['template', 'berth', CHART, '--values', file]);
      t.equal(packaged.stdout, fromDir.stdout, `${what}: the package renders byte for byte what the checkout does`);
    }
  });

  t.test('the policy needs Kubernetes 1.36: an older cluster is told so, and can leave it out', async (t) => {
    const error = await renderChart(bin, dir, {}, ['--kube-version', '1.33.0']).then(
      () => 'rendered',
      (e: unknown) => String((e as { stderr?: unknown }).stderr ?? e),
    );
    t.match(
      error,
      /admission\.routingPolicy needs Kubernetes 1\.36 or newer .* this cluster is v1\.33\.0: set admission\.routingPolicy=false/,
    );
    const older = await renderChart(bin, dir, { admission: { routingPolicy: false } }, ['--kube-version', '1.33.0']);
    t.notOk(
      older.some((o) => o.kind === 'MutatingAdmissionPolicy'),
      'routingPolicy=false: rendered without it',
    );
    t.ok(
      older.some((o) => o.kind === 'MutatingWebhookConfiguration'),
      '... the webhook still routes',
    );
    const current = await renderChart(bin, dir, {}, ['--kube-version', '1.36.3']);
    t.ok(
      current.some((o) => o.kind === 'MutatingAdmissionPolicy'),
      'on 1.36 the policy is rendered',
    );
  });

  t.test('bad values are refused with the setting named', async (t) => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['unknown key', { extender: { replicaz: 3 } }, /\/extender.*replicaz/],
      ['pool kind', { agent: { pools: [{ name: 'x', kind: 'nfs', path: '/x' }] } }, /agent\/pools\/0\/kind/],
      ['pool name', { agent: { pools: [{ name: 'Bad_Name', kind: 'mount', path: '/x' }] } }, /agent\/pools\/0\/name/],
      ['lvm without a volume group', { agent: { pools: [{ name: 'v', kind: 'lvm' }] } }, /volumeGroup/],
      [
        'relative mount path',
        { agent: { pools: [{ name: 'm', kind: 'mount', path: 'mnt' }] } },
        /agent\/pools\/0\/path/,
      ],
      ['log level', { extender: { logLevel: 'loud' } }, /extender\/logLevel/],
      ['not a flag', { extender: { extraArgs: ['report-ttl=1s'] } }, /extender\/extraArgs\/0/],
    ];
    for (const [what, values, message] of cases) {
      const error = await renderChart(bin, dir, values).then(
        () => null,
        (e: unknown) => String((e as { stderr?: unknown }).stderr ?? e),
      );
      t.match(error, message, `${what}: ${error?.split('\n').find((l) => l.startsWith('- ')) ?? 'accepted'}`);
    }
  });
}
