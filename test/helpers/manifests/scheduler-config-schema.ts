/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) has no published JSON schema: it is a component
 * config, not an API object. This one is written from k8s.io/kube-scheduler/config/v1/types.go, closed at every
 * level (kube-scheduler decodes strictly: an unknown or mis-cased key such as enableHttps is fatal), followed by the
 * scheduler's own semantic rules for extenders (pkg/scheduler/apis/config/validation) and berth's project rules
 * (docs/protocol.md, "The extenders section").
 */
import { Ajv, type ErrorObject } from 'ajv';
import { parseDurationUs } from '../../../lib/core/units.ts';

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});
const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const duration = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' };
const pluginSet = closed({
  enabled: { type: 'array', items: closed({ name: str, weight: int }, { required: ['name'] }) },
  disabled: { type: 'array', items: closed({ name: str, weight: int }, { required: ['name'] }) },
});
const percentage = { type: 'integer', minimum: 0, maximum: 100 };

const EXTENDER = closed(
  {
    urlPrefix: { type: 'string', pattern: '^https?://' },
    filterVerb: str,
    preemptVerb: str,
    prioritizeVerb: str,
    bindVerb: str,
    weight: int,
    enableHTTPS: bool,
    tlsConfig: closed({
      insecure: bool,
      serverName: str,
      certFile: str,
      keyFile: str,
      caFile: str,
      certData: str,
      keyData: str,
      caData: str,
    }),
    httpTimeout: duration,
    nodeCacheCapable: bool,
    managedResources: { type: 'array', items: closed({ name: str, ignoredByScheduler: bool }, { required: ['name'] }) },
    ignorable: bool,
  },
  { required: ['urlPrefix'] },
);

export const KUBE_SCHEDULER_CONFIGURATION_SCHEMA = closed(
  {
    apiVersion: { const: 'kubescheduler.config.k8s.io/v1' },
    kind: { const: 'KubeSchedulerConfiguration' },
    parallelism: int,
    leaderElection: closed({
      leaderElect: bool,
      leaseDuration: duration,
      renewDeadline: duration,
      retryPeriod: duration,
      resourceLock: str,
      resourceName: str,
      resourceNamespace: str,
    }),
    clientConnection: closed({
      kubeconfig: str,
      acceptContentTypes: str,
      contentType: str,
      qps: { type: 'number' },
      burst: int,
    }),
    enableProfiling: bool,
    enableContentionProfiling: bool,
    percentageOfNodesToScore: percentage,
    podInitialBackoffSeconds: int,
    podMaxBackoffSeconds: int,
    delayCacheUntilActive: bool,
    profiles: {
      type: 'array',
      items: closed({
        schedulerName: str,
        percentageOfNodesToScore: percentage,
        plugins: closed(
          Object.fromEntries(
            [
              'preEnqueue',
              'queueSort',
              'preFilter',
              'filter',
              'postFilter',
              'preScore',
              'score',
              'reserve',
              'permit',
              'preBind',
              'bind',
              'postBind',
              'multiPoint',
            ].map((p) => [p, pluginSet]),
          ),
        ),
        pluginConfig: { type: 'array', items: closed({ name: str, args: { type: 'object' } }, { required: ['name'] }) },
      }),
    },
    extenders: { type: 'array', items: EXTENDER },
  },
  { required: ['apiVersion', 'kind'] },
);

const ajv = new Ajv({ allErrors: true, strict: true });
const validateSchema = ajv.compile(KUBE_SCHEDULER_CONFIGURATION_SCHEMA);

function describeError(e: ErrorObject): string {
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
      : '';
  return `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}${extra}`;
}

interface ExtenderShape {
  urlPrefix: string;
  prioritizeVerb?: string;
  bindVerb?: string;
  weight?: number;
  enableHTTPS?: boolean;
  tlsConfig?: {
    insecure?: boolean;
    serverName?: string;
    caFile?: string;
    caData?: string;
    certFile?: string;
    keyFile?: string;
    certData?: string;
    keyData?: string;
  };
  httpTimeout?: string;
  nodeCacheCapable?: boolean;
  managedResources?: { name: string; ignoredByScheduler?: boolean }[];
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** An extended resource name: domain-qualified, not in kubernetes.io, not a quota "requests." name (validation.go). */
export function extendedResourceProblem(name: string): string | null {
  const m = QUALIFIED_NAME.exec(name);
  if (m === null || (m[1] ?? '').length > 253 || (m[5] ?? '').length > 63)
    return 'must be a domain-qualified name such as example.com/thing';
  const domain = m[1] ?? '';
  if (domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io')) return 'must not be in the kubernetes.io domain';
  if (name.startsWith('requests.')) return 'must not start with "requests."';
  return null;
}

/**
 * Every problem with a KubeSchedulerConfiguration: schema first, then the rules kube-scheduler enforces at start
 * ("must have a positive weight", "only one extender can implement bind", valid and unique managed resource names)
 * and berth's rules (verified TLS, names-only requests, a bounded timeout).
 */
export function schedulerConfigProblems(config: unknown): string[] {
  if (!validateSchema(config)) return (validateSchema.errors ?? []).map(describeError);
  const c = config as { extenders?: ExtenderShape[]; profiles?: { schedulerName?: string }[] };
  const problems: string[] = [];
  const profileNames = (c.profiles ?? []).map((p) => p.schedulerName ?? 'default-scheduler');
  if (new Set(profileNames).size !== profileNames.length) problems.push('/profiles schedulerName must be unique');
  const extenders = c.extenders ?? [];
  if (extenders.filter((e) => (e.bindVerb ?? '') !== '').length > 1)
    problems.push('/extenders only one extender can implement bind');
  const seen = new Set<string>();
  extenders.forEach((e, i) => {
    const at = `/extenders/${i}`;
    if ((e.prioritizeVerb ?? '') !== '' && !((e.weight ?? 0) > 0))
      problems.push(`${at}/weight must be positive when prioritizeVerb is set`);
    (e.managedResources ?? []).forEach((r, j) => {
      const bad = extendedResourceProblem(r.name);
      if (bad !== null) problems.push(`${at}/managedResources/${j}/name ${bad}`);
      if (seen.has(r.name)) problems.push(`${at}/managedResources/${j}/name ${r.name} is managed twice`);
      seen.add(r.name);
    });
    // berth's rules
    if (e.nodeCacheCapable !== true)
      problems.push(`${at}/nodeCacheCapable must be true (berth answers with node names)`);
    const tls = e.tlsConfig ?? {};
    const hasCa = (tls.caFile ?? '') !== '' || (tls.caData ?? '') !== '';
    if (e.enableHTTPS === true && !hasCa)
      problems.push(
        `${at}/tlsConfig needs caFile or caData: enableHTTPS without a CA disables certificate verification`,
      );
    if (e.enableHTTPS === true && (tls.serverName ?? '') === '')
      problems.push(`${at}/tlsConfig/serverName must name a SAN of berth's certificate`);
    if (tls.insecure === true) problems.push(`${at}/tlsConfig/insecure must not be set`);
    if (e.enableHTTPS === true && !e.urlPrefix.startsWith('https://'))
      problems.push(`${at}/urlPrefix must be https:// (the scheme, not enableHTTPS, decides whether TLS is used)`);
    const hasCert = (tls.certFile ?? tls.certData ?? '') !== '' && (tls.keyFile ?? tls.keyData ?? '') !== '';
    if (e.urlPrefix.startsWith('https://') && !hasCert)
      problems.push(`${at}/tlsConfig needs a client certificate and key: berth requires mTLS off loopback`);
    const timeoutUs = e.httpTimeout === undefined ? 5_000_000 : parseDurationUs(e.httpTimeout);
    if (timeoutUs === null || timeoutUs < 100_000 || timeoutUs > 10_000_000)
      problems.push(`${at}/httpTimeout must be from 100ms to 10s`);
  });
  return problems;
}
