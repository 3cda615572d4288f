/**
 * The extender's configuration: the options of ./options.ts validated once at start into a frozen object. Invalid
 * values are rejected with the flag named, never replaced by defaults.
 */
import type { Checked } from '../core/check.ts';
import { isLoopback, type HostPort } from '../core/host-port.ts';
import { OptionReader, type LogLevel, type OptionSpec, type RawFlags } from '../core/options.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, OPTIONS } from './options.ts';
import type { Policy } from './verdict.ts';

export { isLoopback, type HostPort, type OptionSpec };

/** The Kubernetes side (--kube). */
export interface KubeOptions {
  readonly kubeconfig: string | null;
  readonly nvmeClasses: { readonly classes: readonly string[]; readonly provisioners: readonly string[] };
  readonly reservationTtlMs: number;
  /** 0: prioritize holds nothing. */
  readonly provisionalTtlMs: number;
  readonly resyncPeriodMs: number;
  readonly watchdogTimeoutMs: number;
  /** Retrying turned-away pods when room appears (lib/cluster/waiting-pods.ts); ratePerSecond 0: off. */
  readonly requeue: { readonly ratePerSecond: number; readonly podIntervalMs: number; readonly maxPods: number };
}

export interface PushAuth {
  readonly mode: 'none' | 'tokenreview';
  readonly agent: { readonly namespace: string; readonly name: string };
}

export interface ExtenderConfig {
  readonly listen: HostPort;
  readonly metricsListen: HostPort | null;
  readonly prefix: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly clientCa: string | null } | null;
  readonly policy: Policy;
  /** Standalone mode: reports unrefreshed for this long are evicted. */
  readonly reportRetentionMs: number;
  readonly acceptFullNodes: boolean;
  readonly bodyLimitBytes: number;
  readonly maxNodes: number;
  readonly maxJsonDepth: number;
  readonly requestTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly reportsPush: boolean;
  readonly pushAuth: PushAuth;
  readonly kube: KubeOptions | null;
  readonly localAgent: boolean;
  readonly shutdownDelayMs: number;
  readonly logLevel: LogLevel;
}

type Reader = OptionReader<typeof OPTIONS>;

/**
 * The body kube-scheduler sends is one pod and the candidate node names (or, with full nodes, the Node objects).
 * A pod is allowed 512Ki: Kubernetes caps its annotations at 256Ki and kube-scheduler strips managedFields. A
 * name is allowed 67 bytes: 64 characters (a Linux host name's limit, which kubelet's node name follows) with its
 * quotes and comma. A Node object with its image list is typically 5-13Ki.
 */
export const POD_BODY_BYTES = 512 * 2 ** 10;
export const NAME_BODY_BYTES = 67;
export const NODE_OBJECT_BODY_BYTES = 13 * 2 ** 10;

export function defaultBodyLimit(maxNodes: number, fullNodes: boolean): number {
  return POD_BODY_BYTES + maxNodes * (fullNodes ? NODE_OBJECT_BODY_BYTES : NAME_BODY_BYTES);
}

export function parseExtenderConfig(raw: RawFlags): Checked<ExtenderConfig> {
  // An empty value means the flag is not given: `--metrics-listen ''` serves probes on --listen.
  const o: Reader = new OptionReader(OPTIONS, raw, { emptyIsUnset: true });
  const listen = o.get('listen');
  const prefix = o.text('prefix').replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix))
    o.fail('prefix', `must be a URL path such as /scheduler, got ${JSON.stringify(o.text('prefix'))}`);
  const cert = o.text('tls-cert');
  const key = o.text('tls-key');
  const clientCa = o.text('tls-client-ca');
  if ((cert === '') !== (key === ''))
    o.fail(cert === '' ? 'tls-cert' : 'tls-key', 'must be set together with --tls-cert and --tls-key');
  if (clientCa !== '' && cert === '') o.fail('tls-client-ca', 'needs --tls-cert and --tls-key (mTLS is TLS first)');
  if (!isLoopback(listen.host) && (cert === '' || clientCa === '')) {
    o.fail(
      'listen',
      `${listen.host} is not a loopback address: scheduling verbs are served off loopback only with mTLS (--tls-cert, --tls-key, --tls-client-ca)`,
    );
  }
  const acceptFullNodes = o.flag('accept-full-nodes');
  const policy: Policy = {
    reportTtlMs: o.get('report-ttl'),
    stalePolicy: o.get('stale-policy'),
    strategy: o.get('capacity-strategy'),
    weights: {
      capacity: o.get('weight-capacity'),
      bandwidth: o.get('weight-bandwidth'),
      latency: o.get('weight-latency'),
    },
    latencyReferenceUs: o.get('latency-reference') * 1000,
  };
  const reportRetentionMs = o.get('report-retention');
  if (reportRetentionMs < policy.reportTtlMs)
    o.fail('report-retention', `must be at least --report-ttl (${policy.reportTtlMs / 1000}s)`);
  if (policy.weights.capacity + policy.weights.bandwidth + policy.weights.latency === 0)
    o.fail('weight-capacity', 'at least one --weight-* must be above 0');
  const kube = o.flag('kube') ? readKube(o) : null;
  // An unauthenticated write path is not acceptable in a cluster, so push is off there unless asked for.
  const reportsPush = o.flag('reports-push', kube === null);
  if (kube !== null && o.flag('local-agent'))
    o.fail(
      'local-agent',
      'is for standalone mode: with --kube, the agent DaemonSet reports every node through the API server',
    );
  const config: ExtenderConfig = {
    listen,
    metricsListen: o.optional('metrics-listen'),
    prefix,
    tls: cert === '' ? null : { cert, key, clientCa: clientCa === '' ? null : clientCa },
    policy,
    reportRetentionMs,
    acceptFullNodes,
    bodyLimitBytes: o.optional('body-limit') ?? defaultBodyLimit(o.get('max-nodes'), acceptFullNodes),
    maxNodes: o.get('max-nodes'),
    maxJsonDepth: o.get('max-json-depth'),
    requestTimeoutMs: o.get('request-timeout'),
    handshakeTimeoutMs: o.get('handshake-timeout'),
    keepAliveTimeoutMs: o.get('keep-alive-timeout'),
    maxConnections: o.get('max-connections'),
    reportsPush,
    pushAuth: readPushAuth(o, kube !== null, reportsPush),
    kube,
    localAgent: o.flag('local-agent'),
    shutdownDelayMs: o.get('shutdown-delay'),
    logLevel: o.get('log-level'),
  };
  return o.done(deepFreeze(config));
}

function readKube(o: Reader): KubeOptions {
  const kubeconfig = o.text('kubeconfig');
  return {
    kubeconfig: kubeconfig === '' ? null : kubeconfig,
    nvmeClasses: { classes: o.get('nvme-storage-classes'), provisioners: o.get('nvme-provisioners') },
    reservationTtlMs: o.get('reservation-ttl'),
    provisionalTtlMs: o.get('provisional-ttl'),
    resyncPeriodMs: o.get('resync-period'),
    watchdogTimeoutMs: o.get('watchdog-timeout'),
    requeue: {
      ratePerSecond: o.get('requeue-rate'),
      podIntervalMs: o.get('requeue-pod-interval'),
      maxPods: o.get('requeue-max-pods'),
    },
  };
}

function readPushAuth(o: Reader, kube: boolean, reportsPush: boolean): PushAuth {
  const mode = o.get('push-auth');
  const sa = o.text('agent-service-account');
  const [namespace = '', name = '', ...rest] = sa.split(':');
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name) || rest.length > 0)
    o.fail(
      'agent-service-account',
      `must be namespace:name such as berth-system:berth-agent, got ${JSON.stringify(sa)}`,
    );
  if (mode === 'tokenreview' && !kube) o.fail('push-auth', 'tokenreview needs --kube (it asks the API server)');
  if (kube && reportsPush && mode === 'none')
    o.fail(
      'reports-push',
      'with --kube, pushed reports must be authenticated: add --push-auth tokenreview, or leave push off',
    );
  return { mode, agent: { namespace, name } };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
