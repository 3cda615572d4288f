/**
 * Configuration of the node agent (`berth agent`): the options table (lib/agent/options.ts) read once, checked,
 * then frozen. Pure: the CLI adapter hands in the parsed flags, the environment and the hostname. Every problem is
 * reported with the flag that caused it ("--interval: must be between 1s and 3600s, got 200ms"), all at once; an
 * invalid value is rejected, never replaced by its default.
 */
import type { Checked } from '../core/check.ts';
import { formatHostPort, parseHostPort, type HostPort } from '../core/host-port.ts';
import { OptionReader, type LogLevel, type RawFlags } from '../core/options.ts';
import { isNodeName, REPORT_LIMITS } from '../core/report.ts';
import { AGENT_OPTIONS } from './options.ts';

export type { HostPort };
/** What node:util parseArgs hands back for `berth agent`. */
export type RawAgentFlags = RawFlags;

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
  readonly logLevel: LogLevel;
}

export interface AgentConfigInput {
  readonly flags: RawAgentFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/; // IFNAMSIZ is 16 with the NUL; no '/', no spaces
const LVM_VG = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/; // lvm(8) "VALID NAMES"; also keeps shell-free argv safe
const DEV_PATH = /^\/dev\/[A-Za-z0-9_.+/-]+$/;

type Reader = OptionReader<typeof AGENT_OPTIONS>;

export function validateAgentConfig(input: AgentConfigInput): Checked<AgentConfig> {
  const f: Reader = new OptionReader(AGENT_OPTIONS, input.flags);
  const once = f.flag('once');
  const json = f.flag('json');
  if (json && !once) f.fail('json', 'only valid together with --once');
  const node = readNode(f, input);
  const zone = f.optional('zone') ?? nonEmpty(input.env['BERTH_ZONE']);
  const kube = readKube(f, zone);
  const extender = readExtender(f, once && json, kube !== null);
  const tokenFile = f.optional('token-file');
  if (tokenFile !== null && !tokenFile.startsWith('/'))
    f.fail('token-file', `must be an absolute path, got ${JSON.stringify(tokenFile)}`);
  else if (tokenFile !== null && kube !== null)
    f.fail(
      'token-file',
      'is for --extender; with --kube the API server credentials come from --kubeconfig or the in-cluster service account',
    );
  const intervalMs = f.get('interval');
  const heartbeatMs = f.get('heartbeat');
  if (heartbeatMs < intervalMs)
    f.fail('heartbeat', `must be ≥ --interval (${intervalMs / 1000}s), got ${heartbeatMs / 1000}s`);
  const nics = f.list('nic');
  for (const n of nics) if (!IFNAME.test(n)) f.fail('nic', `not a network interface name: ${JSON.stringify(n)}`);
  const probeEnabled = f.flag('probe');
  const peers = readPeers(f, extender, kube !== null, probeEnabled);
  const advertise = f.optional('probe-advertise');
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
    inventoryRefreshMs: f.get('inventory-refresh'),
    rateWindowMs: f.get('rate-window'),
    pools: readPools(f),
    probe: {
      enabled: probeEnabled,
      listen: f.get('probe-listen'),
      advertise: advertise === null ? null : formatHostPort(advertise),
      zonePeers: f.get('probe-zone-peers'),
      otherPeers: f.get('probe-other-peers'),
      count: f.get('probe-count'),
      timeoutMs: f.get('probe-timeout'),
      windowMs: f.get('probe-window'),
      reportMax: f.get('report-peers-max'),
    },
    peers,
    change: {
      freeBytes: f.get('change-free'),
      headroomFraction: f.get('change-headroom'),
      rateFloorBps: f.get('change-rate-floor'),
      rttFraction: f.get('change-rtt'),
      rttFloorUs: f.get('change-rtt-floor') * 1000,
    },
    publish: { timeoutMs: f.get('publish-timeout'), retryBaseMs: f.get('retry-base'), retryMaxMs: f.get('retry-max') },
    metricsListen: f.optional('metrics-listen'),
    logLevel: f.get('log-level'),
  };
  if (config.publish.retryMaxMs < config.publish.retryBaseMs) f.fail('retry-max', 'must be ≥ --retry-base');
  return f.done(deepFreeze(config));
}

function readNode(f: Reader, input: AgentConfigInput): string {
  const given = f.optional('node');
  // Without --node, mirror the kubelet: NODE_NAME (downward API) or the lower-cased hostname.
  const node = given ?? nonEmpty(input.env['NODE_NAME']) ?? input.hostname.toLowerCase();
  if (!isNodeName(node)) {
    const from = f.given('node') ? 'got' : 'not given, and NODE_NAME/hostname is';
    f.fail('node', `must be a valid node name (DNS-1123 subdomain); ${from} ${JSON.stringify(node)}`);
  }
  return node;
}

function readKube(f: Reader, zone: string | null): AgentKubeConfig | null {
  const on = f.flag('kube');
  const kubeconfig = f.optional('kubeconfig');
  if (kubeconfig !== null && !on) f.fail('kubeconfig', 'only valid together with --kube');
  return on ? { kubeconfig, zoneFromNode: zone === null } : null;
}

function readExtender(f: Reader, printOnly: boolean, kube: boolean): string | null {
  if (!f.given('extender')) {
    if (!printOnly && !kube)
      f.fail('extender', 'required (the URL reports are POSTed to), unless --kube or --once --json');
    return null;
  }
  // One publisher per agent: a report written both ways would be two sources of truth racing each other, and in a
  // cluster the extender's only listener (mTLS for kube-scheduler) would refuse the push anyway.
  if (kube) {
    f.fail(
      'extender',
      "not used with --kube (the report goes to this node's NodeReport through the API server); give one or the other",
    );
    return null;
  }
  return f.optional('extender');
}

function readPools(f: Reader): AgentPoolSpec[] {
  const pools: AgentPoolSpec[] = [];
  for (const spec of f.list('pool')) {
    const m = /^([^=]+)=(mount|device|lvm):(.+)$/.exec(spec);
    const [, name = '', kind = '', target = ''] = m ?? [];
    if (!m) f.fail('pool', `must be name=mount:/path, name=device:/dev/x or name=lvm:vg, got ${JSON.stringify(spec)}`);
    else if (!isNodeName(name)) f.fail('pool', `pool name must be a DNS-1123 subdomain, got ${JSON.stringify(name)}`);
    else if (pools.some((p) => p.name === name)) f.fail('pool', `pool name ${JSON.stringify(name)} given twice`);
    else if (kind === 'mount' && !target.startsWith('/'))
      f.fail('pool', `${name}: mount path must be absolute, got ${JSON.stringify(target)}`);
    else if (kind === 'device' && !DEV_PATH.test(target))
      f.fail('pool', `${name}: device must be a /dev/ path, got ${JSON.stringify(target)}`);
    else if (kind === 'lvm' && !LVM_VG.test(target))
      f.fail('pool', `${name}: not a valid LVM volume group name: ${JSON.stringify(target)}`);
    else if (kind === 'mount') pools.push({ name, kind, path: target });
    else if (kind === 'device') pools.push({ name, kind, device: target });
    else pools.push({ name, kind: 'lvm', vg: target });
  }
  if (pools.length > REPORT_LIMITS.pools) f.fail('pool', `at most ${REPORT_LIMITS.pools} pools`);
  return pools;
}

const PEER_SOURCES: readonly string[] = ['static', 'extender', 'kube', 'none'];

function readPeers(f: Reader, extender: string | null, kube: boolean, probeEnabled: boolean): AgentConfig['peers'] {
  const refreshMs = f.get('peers-refresh');
  const list: StaticPeer[] = [];
  for (const entry of f.list('peers')) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    const node = m?.[1] ?? '';
    const hp = m ? parseHostPort(m[2] ?? '', false) : null;
    if (!m || !isNodeName(node) || hp === null)
      f.fail('peers', `entries must be node=host:port, got ${JSON.stringify(entry)}`);
    else list.push({ node, zone: null, probe: formatHostPort(hp) });
  }
  const explicit = f.text('peer-source') === '' ? null : f.text('peer-source');
  const implied: PeerSourceKind = list.length > 0 ? 'static' : kube ? 'kube' : extender !== null ? 'extender' : 'none';
  const source: PeerSourceKind = explicit === null ? implied : (explicit as PeerSourceKind);
  if (explicit !== null && !PEER_SOURCES.includes(explicit))
    f.fail('peer-source', `must be static, extender, kube or none, got ${JSON.stringify(explicit)}`);
  else if (source === 'static' && list.length === 0) f.fail('peer-source', 'static needs --peers node=host:port,...');
  else if (source === 'extender' && extender === null) f.fail('peer-source', 'extender needs --extender');
  else if (source === 'kube' && !kube) f.fail('peer-source', 'kube needs --kube');
  else if (source !== 'static' && list.length > 0) f.fail('peers', `given, but --peer-source is ${source}`);
  if (!probeEnabled && source !== 'none' && explicit !== null) f.fail('peer-source', 'probing is off (--no-probe)');
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
