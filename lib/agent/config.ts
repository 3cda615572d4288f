/**
 * Configuration of the node agent (`berth agent`): schema + defaults, validated once, then frozen.
 * Pure: the CLI adapter hands in the parsed flags, the environment and the hostname. Every problem is reported
 * with the flag that caused it ("--interval: must be at least 1s, got 200ms"), all at once; an invalid value is
 * rejected, never replaced by its default.
 */
import type { Checked } from '../core/check.ts';
import {
  AGENT_FLAG_DEFAULTS,
  FlagReader,
  formatHostPort,
  type HostPort,
  parseHostPort,
  type RawAgentFlags,
} from './flag-reader.ts';

export { AGENT_FLAG_DEFAULTS, formatHostPort, parseHostPort };
export type { HostPort, RawAgentFlags };
import { isNodeName, REPORT_LIMITS } from '../core/report.ts';

export type AgentPoolSpec =
  | { readonly name: string; readonly kind: 'mount'; readonly path: string }
  | { readonly name: string; readonly kind: 'device'; readonly device: string }
  | { readonly name: string; readonly kind: 'lvm'; readonly vg: string };

export interface StaticPeer {
  readonly node: string;
  readonly zone: string | null;
  readonly probe: string;
}

export type PeerSourceKind = 'static' | 'extender' | 'kube' | 'none';

/** --kube: the report is this node's NodeReport, written through the API server. */
export interface AgentKubeConfig {
  readonly kubeconfig: string | null; // null: $KUBECONFIG, ~/.kube/config, then the in-cluster service account
  /** No --zone and no $BERTH_ZONE: read the zone once at start from the Node's topology.kubernetes.io/zone label. */
  readonly zoneFromNode: boolean;
}

export interface AgentConfig {
  readonly node: string;
  readonly zone: string | null;
  readonly extender: string | null; // base URL, no trailing slash
  readonly kube: AgentKubeConfig | null;
  readonly tokenFile: string | null;
  readonly once: boolean;
  readonly json: boolean;
  readonly intervalMs: number;
  readonly heartbeatMs: number;
  readonly inventoryRefreshMs: number;
  readonly rateWindowMs: number;
  readonly nics: readonly string[]; // empty: the default-route interface
  readonly pools: readonly AgentPoolSpec[];
  readonly probe: {
    readonly enabled: boolean;
    readonly listen: HostPort;
    readonly advertise: string | null; // null: derived at start from the listen address or the NIC
    readonly zonePeers: number;
    readonly otherPeers: number;
    readonly count: number;
    readonly timeoutMs: number;
    readonly windowMs: number;
    readonly reportMax: number;
  };
  readonly peers: { readonly source: PeerSourceKind; readonly list: readonly StaticPeer[]; readonly refreshMs: number };
  readonly change: {
    readonly freeBytes: number;
    readonly headroomFraction: number;
    readonly rateFloorBps: number;
    readonly rttFraction: number;
    readonly rttFloorUs: number;
  };
  readonly publish: { readonly timeoutMs: number; readonly retryBaseMs: number; readonly retryMaxMs: number };
  readonly metricsListen: HostPort | null;
}

export interface AgentConfigInput {
  readonly flags: RawAgentFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/; // IFNAMSIZ is 16 with the NUL; no '/', no spaces
const LVM_VG = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/; // lvm(8) "VALID NAMES"; also keeps shell-free argv safe
const DEV_PATH = /^\/dev\/[A-Za-z0-9_.+/-]+$/;

export function validateAgentConfig(input: AgentConfigInput): Checked<AgentConfig> {
  const f = new FlagReader(input.flags);
  const once = f.bool('once');
  const json = f.bool('json');
  if (json && !once) f.fail('--json', 'only valid together with --once');
  const node = readNode(f, input);
  const zone = f.optionalText('zone', REPORT_LIMITS.text) ?? nonEmpty(input.env['BERTH_ZONE']);
  const kube = readKube(f, zone);
  const extender = readExtender(f, once && json, kube !== null);
  const tokenFile = f.optionalText('token-file', 4096);
  if (tokenFile !== null && !tokenFile.startsWith('/'))
    f.fail('--token-file', `must be an absolute path, got ${JSON.stringify(tokenFile)}`);
  else if (tokenFile !== null && kube !== null)
    f.fail(
      '--token-file',
      'is for --extender; with --kube the API server credentials come from --kubeconfig or the in-cluster service account',
    );
  const intervalMs = f.duration('interval', 1_000, 3_600_000);
  const heartbeatMs = f.duration('heartbeat', 1_000, 86_400_000);
  if (heartbeatMs < intervalMs)
    f.fail('--heartbeat', `must be ≥ --interval (${intervalMs / 1000}s), got ${heartbeatMs / 1000}s`);
  const nics = f.list('nic');
  for (const n of nics) if (!IFNAME.test(n)) f.fail('--nic', `not a network interface name: ${JSON.stringify(n)}`);
  const probeEnabled = !f.bool('no-probe');
  const peers = readPeers(f, extender, kube !== null, probeEnabled);
  const config: AgentConfig = {
    node,
    zone,
    extender,
    kube,
    tokenFile,
    once,
    json,
    intervalMs,
    heartbeatMs,
    nics,
    inventoryRefreshMs: f.duration('inventory-refresh', 10_000, 86_400_000),
    rateWindowMs: f.duration('rate-window', 1_000, 3_600_000),
    pools: readPools(f),
    probe: {
      enabled: probeEnabled,
      listen: f.hostPort('probe-listen', true) ?? { host: '0.0.0.0', port: 7070 },
      advertise: readAdvertise(f),
      zonePeers: f.integer('probe-zone-peers', 0, 1024),
      otherPeers: f.integer('probe-other-peers', 0, 1024),
      count: f.integer('probe-count', 1, 20),
      timeoutMs: f.duration('probe-timeout', 1, 10_000),
      windowMs: f.duration('probe-window', 1_000, 86_400_000),
      reportMax: f.integer('report-peers-max', 0, REPORT_LIMITS.peers),
    },
    peers,
    change: {
      freeBytes: f.quantity('change-free', 0, 2 ** 62),
      headroomFraction: f.fraction('change-headroom'),
      rateFloorBps: f.quantity('change-rate-floor', 0, 1e13),
      rttFraction: f.fraction('change-rtt'),
      rttFloorUs: f.duration('change-rtt-floor', 0, 60_000) * 1000,
    },
    publish: {
      timeoutMs: f.duration('publish-timeout', 100, 120_000),
      retryBaseMs: f.duration('retry-base', 10, 600_000),
      retryMaxMs: f.duration('retry-max', 10, 3_600_000),
    },
    metricsListen: f.has('metrics-listen') ? f.hostPort('metrics-listen', true) : null,
  };
  if (config.publish.retryMaxMs < config.publish.retryBaseMs) f.fail('--retry-max', 'must be ≥ --retry-base');
  f.rejectUnknown();
  return f.reader.done(f.reader.problems.length === 0 ? deepFreeze(config) : null);
}

function readNode(f: FlagReader, input: AgentConfigInput): string {
  const given = f.optionalText('node', 253);
  // Without --node, mirror the kubelet: NODE_NAME (downward API) or the lower-cased hostname.
  const node = given ?? nonEmpty(input.env['NODE_NAME']) ?? input.hostname.toLowerCase();
  if (!isNodeName(node)) {
    const from = given !== null ? 'got' : 'not given, and NODE_NAME/hostname is';
    f.fail('--node', `must be a valid node name (DNS-1123 subdomain); ${from} ${JSON.stringify(node)}`);
  }
  return node;
}

function readKube(f: FlagReader, zone: string | null): AgentKubeConfig | null {
  const on = f.bool('kube');
  const kubeconfig = f.optionalText('kubeconfig', 4096);
  if (kubeconfig !== null && !on) f.fail('--kubeconfig', 'only valid together with --kube');
  return on ? { kubeconfig, zoneFromNode: zone === null } : null;
}

function readExtender(f: FlagReader, printOnly: boolean, kube: boolean): string | null {
  const text = f.optionalText('extender', 2048);
  if (text === null) {
    if (!printOnly && !kube)
      f.fail('--extender', 'required (the URL reports are POSTed to), unless --kube or --once --json');
    return null;
  }
  // One publisher per agent: a report written both ways would be two sources of truth racing each other, and in a
  // cluster the extender's only listener (mTLS for kube-scheduler) would refuse the push anyway.
  if (kube) {
    f.fail(
      '--extender',
      "not used with --kube (the report goes to this node's NodeReport through the API server); give one or the other",
    );
    return null;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    f.fail('--extender', `must be an http(s) URL, got ${JSON.stringify(text)}`);
    return null;
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== ''
  ) {
    f.fail('--extender', `must be an http(s) URL without query, fragment or credentials, got ${JSON.stringify(text)}`);
    return null;
  }
  return url.href.replace(/\/+$/, '');
}

function readPools(f: FlagReader): AgentPoolSpec[] {
  const pools: AgentPoolSpec[] = [];
  for (const spec of f.list('pool')) {
    const m = /^([^=]+)=(mount|device|lvm):(.+)$/.exec(spec);
    const [, name = '', kind = '', target = ''] = m ?? [];
    if (!m)
      f.fail('--pool', `must be name=mount:/path, name=device:/dev/x or name=lvm:vg, got ${JSON.stringify(spec)}`);
    else if (!isNodeName(name)) f.fail('--pool', `pool name must be a DNS-1123 subdomain, got ${JSON.stringify(name)}`);
    else if (pools.some((p) => p.name === name)) f.fail('--pool', `pool name ${JSON.stringify(name)} given twice`);
    else if (kind === 'mount' && !target.startsWith('/'))
      f.fail('--pool', `${name}: mount path must be absolute, got ${JSON.stringify(target)}`);
    else if (kind === 'device' && !DEV_PATH.test(target))
      f.fail('--pool', `${name}: device must be a /dev/ path, got ${JSON.stringify(target)}`);
    else if (kind === 'lvm' && !LVM_VG.test(target))
      f.fail('--pool', `${name}: not a valid LVM volume group name: ${JSON.stringify(target)}`);
    else if (kind === 'mount') pools.push({ name, kind, path: target });
    else if (kind === 'device') pools.push({ name, kind, device: target });
    else pools.push({ name, kind: 'lvm', vg: target });
  }
  if (pools.length > REPORT_LIMITS.pools) f.fail('--pool', `at most ${REPORT_LIMITS.pools} pools`);
  return pools;
}

function readAdvertise(f: FlagReader): string | null {
  if (!f.has('probe-advertise')) return null;
  const hp = f.hostPort('probe-advertise', false);
  return hp === null ? null : formatHostPort(hp);
}

function readPeers(f: FlagReader, extender: string | null, kube: boolean, probeEnabled: boolean): AgentConfig['peers'] {
  const refreshMs = f.duration('peers-refresh', 1_000, 86_400_000);
  const list: StaticPeer[] = [];
  for (const entry of f.list('peers')) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    const node = m?.[1] ?? '';
    const hp = m ? parseHostPort(m[2] ?? '', false) : null;
    if (!m || !isNodeName(node) || hp === null)
      f.fail('--peers', `entries must be node=host:port, got ${JSON.stringify(entry)}`);
    else list.push({ node, zone: null, probe: formatHostPort(hp) });
  }
  const explicit = f.optionalText('peer-source', 16);
  const implied: PeerSourceKind = list.length > 0 ? 'static' : kube ? 'kube' : extender !== null ? 'extender' : 'none';
  const source: PeerSourceKind = explicit === null ? implied : (explicit as PeerSourceKind);
  if (explicit !== null && !['static', 'extender', 'kube', 'none'].includes(explicit))
    f.fail('--peer-source', `must be static, extender, kube or none, got ${JSON.stringify(explicit)}`);
  else if (source === 'static' && list.length === 0) f.fail('--peer-source', 'static needs --peers node=host:port,...');
  else if (source === 'extender' && extender === null) f.fail('--peer-source', 'extender needs --extender');
  else if (source === 'kube' && !kube) f.fail('--peer-source', 'kube needs --kube');
  else if (source !== 'static' && list.length > 0) f.fail('--peers', `given, but --peer-source is ${source}`);
  if (!probeEnabled && source !== 'none' && explicit !== null) f.fail('--peer-source', 'probing is off (--no-probe)');
  return { source: probeEnabled ? source : 'none', list, refreshMs };
}

function nonEmpty(s: string | undefined): string | null {
  return s === undefined || s.trim() === '' ? null : s.trim();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
