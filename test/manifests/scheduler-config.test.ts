/**
 * The shipped KubeSchedulerConfigurations, offline: both layers (the file for wiring (a); the ConfigMap and the
 * document inside it for wiring (b)) against the hand-written schema and the scheduler's and berth's rules. Each rule
 * is also shown to fire on a configuration broken in exactly that way. The same files are started with the real
 * kube-scheduler in scheduler-wiring.test.ts.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { extendedResourceProblem, schedulerConfigProblems } from '../helpers/manifests/scheduler-config-schema.ts';
import { loadObjects, MANIFESTS } from '../helpers/manifests/render.ts';

const fileConfig: unknown = parse(await readFile(join(MANIFESTS, 'scheduler', 'extender-config.yaml'), 'utf8'));
const configMap = (await loadObjects(join(MANIFESTS, 'scheduler', 'second-scheduler.yaml'))).find(
  (o) => o.object.kind === 'ConfigMap',
)?.object;
const embedded: unknown = parse(
  String((configMap?.['data'] as Record<string, unknown> | undefined)?.['scheduler-config.yaml']),
);

t.test('both shipped configurations pass the schema and every rule', async (t) => {
  t.same(schedulerConfigProblems(fileConfig), [], 'manifests/scheduler/extender-config.yaml');
  t.same(schedulerConfigProblems(embedded), [], "the configuration inside second-scheduler.yaml's ConfigMap");
});

t.test('wiring (a) routes only opted-in pods to berth; wiring (b) relies on schedulerName', async (t) => {
  const a = fileConfig as {
    extenders: { managedResources?: { name: string; ignoredByScheduler: boolean }[]; ignorable: boolean }[];
  };
  t.same(
    a.extenders[0]?.managedResources,
    [{ name: 'berth.io/managed', ignoredByScheduler: true }],
    '(a) the marker resource, ignored by NodeResourcesFit',
  );
  t.equal(a.extenders[0]?.ignorable, false, '(a) opted-in pods wait while berth is down');
  const b = embedded as {
    profiles: { schedulerName: string; percentageOfNodesToScore?: number }[];
    extenders: { managedResources?: unknown }[];
    leaderElection: { resourceName: string };
  };
  t.same(
    b.profiles.map((p) => p.schedulerName),
    ['berth-scheduler'],
    '(b) its own profile',
  );
  t.equal(b.profiles[0]?.percentageOfNodesToScore, 100, '(b) every feasible node is offered to berth');
  t.equal(b.leaderElection.resourceName, 'berth-scheduler', "(b) its own Lease, not the default scheduler's");
});

type Mutable = { extenders: Record<string, unknown>[] } & Record<string, unknown>;
const broken = (change: (c: Mutable) => void): unknown => {
  const c = structuredClone(fileConfig) as Mutable;
  change(c);
  return c;
};
const ext = (c: Mutable): Record<string, unknown> => {
  const e = c.extenders[0];
  if (e === undefined) throw new Error('no extender');
  return e;
};
const tls = (c: Mutable): Record<string, unknown> => ext(c)['tlsConfig'] as Record<string, unknown>;

t.test('each rule fails a configuration broken in exactly its way', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      'a mis-cased key (enableHttps) is unknown',
      broken((c) => {
        ext(c)['enableHttps'] = true;
      }),
      /additional properties \(enableHttps\)/,
    ],
    [
      'an unknown top-level key',
      broken((c) => {
        c['extender'] = [];
      }),
      /additional properties \(extender\)/,
    ],
    [
      'prioritizeVerb needs a positive weight',
      broken((c) => {
        ext(c)['weight'] = 0;
      }),
      /weight must be positive/,
    ],
    [
      'only one binder',
      broken((c) => {
        ext(c)['bindVerb'] = 'bind';
        c.extenders.push({ ...ext(c), managedResources: [] });
      }),
      /only one extender can implement bind/,
    ],
    [
      'managed resource names are unique',
      broken((c) => {
        c.extenders.push({ ...ext(c) });
      }),
      /managed twice/,
    ],
    [
      'managed resource names are extended resource names',
      broken((c) => {
        ext(c)['managedResources'] = [{ name: 'kubernetes.io/managed' }];
      }),
      /kubernetes\.io domain/,
    ],
    [
      'enableHTTPS needs a CA',
      broken((c) => {
        delete tls(c)['caFile'];
      }),
      /enableHTTPS without a CA/,
    ],
    [
      'verification is never skipped',
      broken((c) => {
        tls(c)['insecure'] = true;
      }),
      /insecure must not be set/,
    ],
    [
      'serverName is set',
      broken((c) => {
        delete tls(c)['serverName'];
      }),
      /serverName/,
    ],
    [
      'https needs a client certificate',
      broken((c) => {
        delete tls(c)['certFile'];
      }),
      /client certificate/,
    ],
    [
      'nodeCacheCapable',
      broken((c) => {
        ext(c)['nodeCacheCapable'] = false;
      }),
      /nodeCacheCapable must be true/,
    ],
    [
      'enableHTTPS with an http:// URL',
      broken((c) => {
        ext(c)['urlPrefix'] = 'http://berth:8888/scheduler';
      }),
      /must be https/,
    ],
    [
      'a bounded httpTimeout',
      broken((c) => {
        ext(c)['httpTimeout'] = '1m';
      }),
      /httpTimeout/,
    ],
    [
      'httpTimeout is a duration',
      broken((c) => {
        ext(c)['httpTimeout'] = 2;
      }),
      /httpTimeout must be string/,
    ],
  ];
  for (const [what, config, expected] of cases) {
    const problems = schedulerConfigProblems(config);
    t.ok(
      problems.some((p) => expected.test(p)),
      `${what}: ${problems.join('; ') || 'no problem found'}`,
    );
  }
});

t.test('extended resource names', async (t) => {
  t.equal(extendedResourceProblem('berth.io/managed'), null, 'berth.io/managed is valid');
  t.not(extendedResourceProblem('managed'), null, 'a name needs a domain');
  t.not(extendedResourceProblem('foo.kubernetes.io/x'), null, 'kubernetes.io subdomains are reserved');
  t.not(extendedResourceProblem('berth.io/-x'), null, 'the name part must start alphanumeric');
});
