/**
 * The node report: what the agent on one node measured, as published to the extender (HTTP push) or stored in
 * the NodeReport custom resource's status. Versioned by apiVersion; data only, shared by agent and extender.
 */
import { Reader, type Checked } from './check.ts';

export const REPORT_API_VERSION = 'berth.io/v1alpha1';

export interface NvmeDevice {
  readonly name: string; // kernel name, e.g. nvme0n1
  readonly model: string | null;
  readonly sizeBytes: number;
}

/** Where a local-volume provisioner allocates from: a mounted filesystem, a whole device, or an LVM volume group. */
export type PoolKind = 'mount' | 'device' | 'lvm';

export interface StoragePool {
  readonly name: string;
  readonly kind: PoolKind;
  readonly capacityBytes: number;
  readonly freeBytes: number;
  readonly device: string | null; // backing device, when known
  readonly deviceModel: string | null;
  readonly nvme: boolean; // false pools are reported but never count as NVMe capacity
}

export interface NicReport {
  readonly name: string;
  readonly speedBps: number | null; // null: the link reports no speed (virtual NICs); never guessed
  readonly rxBps: number; // smoothed receive rate
  readonly txBps: number; // smoothed transmit rate
}

export interface PeerRtt {
  readonly node: string;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly samples: number;
}

export type CollectorName = 'nvme' | 'pools' | 'network' | 'latency' | 'zone';
export interface CollectorProblem {
  readonly collector: CollectorName;
  readonly reason: string;
}

export interface NodeReport {
  readonly apiVersion: typeof REPORT_API_VERSION;
  readonly node: string;
  readonly zone: string | null;
  readonly takenAt: string; // RFC 3339, the agent's clock (informational; freshness uses receive time)
  /** instance changes when an agent restarts; sequence grows with every report of one instance. */
  readonly agent: { readonly instance: string; readonly sequence: number };
  /** host:port of this node's latency echo service, so peers can find it; null when probing is off. */
  readonly probe: string | null;
  readonly devices: readonly NvmeDevice[];
  readonly pools: readonly StoragePool[];
  readonly nics: readonly NicReport[];
  readonly peers: readonly PeerRtt[];
  readonly problems: readonly CollectorProblem[];
}

export const REPORT_LIMITS = Object.freeze({
  devices: 256,
  pools: 256,
  nics: 64,
  peers: 4096,
  problems: 64,
  text: 253,
});
const MAX_BYTES = 2 ** 62;
const MAX_BPS = 1e13; // 10 Tbit/s
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const POOL_KINDS: readonly string[] = ['mount', 'device', 'lvm'];
const COLLECTORS: readonly string[] = ['nvme', 'pools', 'network', 'latency', 'zone'];

export function isNodeName(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** Validates an untrusted report. Either every field is right, or nothing is returned. */
export function parseReport(input: unknown, path = ''): Checked<NodeReport> {
  const r = new Reader();
  const p = (k: string): string => (path === '' ? k : `${path}.${k}`);
  const o = r.record(input, path);
  if (!o) return r.done<NodeReport>(null);
  if (o['apiVersion'] !== REPORT_API_VERSION)
    r.fail(p('apiVersion'), `must be "${REPORT_API_VERSION}", got ${JSON.stringify(o['apiVersion'] ?? null)}`);
  const node = r.string(o['node'], p('node'), { maxLength: 253 });
  if (node !== null && !isNodeName(node))
    r.fail(p('node'), `must be a valid node name (DNS-1123 subdomain), got ${JSON.stringify(node)}`);
  const zone = r.optionalString(o['zone'], p('zone'), { maxLength: REPORT_LIMITS.text });
  const takenAt = r.string(o['takenAt'], p('takenAt'), { maxLength: 64 });
  if (takenAt !== null && Number.isNaN(Date.parse(takenAt))) r.fail(p('takenAt'), 'must be an RFC 3339 timestamp');
  const agent = readAgent(r, o['agent'], p('agent'));
  const probe = r.optionalString(o['probe'], p('probe'), { maxLength: 300 });
  const devices = readList(r, o['devices'], p('devices'), REPORT_LIMITS.devices, readDevice);
  const pools = readList(r, o['pools'], p('pools'), REPORT_LIMITS.pools, readPool);
  const nics = readList(r, o['nics'], p('nics'), REPORT_LIMITS.nics, readNic);
  const peers = readList(r, o['peers'], p('peers'), REPORT_LIMITS.peers, readPeer);
  const problems = readList(r, o['problems'] ?? [], p('problems'), REPORT_LIMITS.problems, readProblem);
  if (
    r.problems.length > 0 ||
    node === null ||
    takenAt === null ||
    !agent ||
    !devices ||
    !pools ||
    !nics ||
    !peers ||
    !problems
  ) {
    return r.done<NodeReport>(null);
  }
  return r.done<NodeReport>({
    apiVersion: REPORT_API_VERSION,
    node,
    zone,
    takenAt,
    agent,
    probe,
    devices,
    pools,
    nics,
    peers,
    problems,
  });
}

function readList<T>(
  r: Reader,
  v: unknown,
  path: string,
  max: number,
  item: (r: Reader, v: unknown, path: string) => T | null,
): T[] | null {
  const arr = r.array(v, path, max);
  if (!arr) return null;
  const out: T[] = [];
  arr.forEach((x, i) => {
    const parsed = item(r, x, `${path}[${i}]`);
    if (parsed !== null) out.push(parsed);
  });
  return out.length === arr.length ? out : null;
}

function readAgent(r: Reader, v: unknown, path: string): NodeReport['agent'] | null {
  const o = r.record(v, path);
  if (!o) return null;
  const instance = r.string(o['instance'], `${path}.instance`, { maxLength: 128 });
  const sequence = r.number(o['sequence'], `${path}.sequence`, { min: 0, integer: true });
  return instance !== null && sequence !== null ? { instance, sequence } : null;
}

function readDevice(r: Reader, v: unknown, path: string): NvmeDevice | null {
  const o = r.record(v, path);
  if (!o) return null;
  const name = r.string(o['name'], `${path}.name`, { maxLength: REPORT_LIMITS.text });
  const model = r.optionalString(o['model'], `${path}.model`, { maxLength: REPORT_LIMITS.text });
  const sizeBytes = r.number(o['sizeBytes'], `${path}.sizeBytes`, { min: 0, max: MAX_BYTES });
  return name !== null && sizeBytes !== null ? { name, model, sizeBytes } : null;
}

function readPool(r: Reader, v: unknown, path: string): StoragePool | null {
  const o = r.record(v, path);
  if (!o) return null;
  const name = r.string(o['name'], `${path}.name`, { maxLength: REPORT_LIMITS.text });
  const kind = o['kind'];
  if (typeof kind !== 'string' || !POOL_KINDS.includes(kind))
    r.fail(`${path}.kind`, `must be one of ${POOL_KINDS.join(', ')}`);
  const capacityBytes = r.number(o['capacityBytes'], `${path}.capacityBytes`, { min: 0, max: MAX_BYTES });
  const freeBytes = r.number(o['freeBytes'], `${path}.freeBytes`, { min: 0, max: MAX_BYTES });
  if (capacityBytes !== null && freeBytes !== null && freeBytes > capacityBytes) {
    r.fail(`${path}.freeBytes`, `must be ≤ capacityBytes (${capacityBytes}), got ${freeBytes}`);
    return null;
  }
  const device = r.optionalString(o['device'], `${path}.device`, { maxLength: REPORT_LIMITS.text });
  const deviceModel = r.optionalString(o['deviceModel'], `${path}.deviceModel`, { maxLength: REPORT_LIMITS.text });
  const nvme = r.boolean(o['nvme'], `${path}.nvme`);
  if (
    name === null ||
    capacityBytes === null ||
    freeBytes === null ||
    nvme === null ||
    !POOL_KINDS.includes(kind as string)
  )
    return null;
  return { name, kind: kind as PoolKind, capacityBytes, freeBytes, device, deviceModel, nvme };
}

function readNic(r: Reader, v: unknown, path: string): NicReport | null {
  const o = r.record(v, path);
  if (!o) return null;
  const name = r.string(o['name'], `${path}.name`, { maxLength: 64 });
  const speedBps = r.nullableNumber(o['speedBps'], `${path}.speedBps`, { min: 0, max: MAX_BPS });
  const rxBps = r.number(o['rxBps'], `${path}.rxBps`, { min: 0, max: MAX_BPS });
  const txBps = r.number(o['txBps'], `${path}.txBps`, { min: 0, max: MAX_BPS });
  return name !== null && speedBps !== undefined && rxBps !== null && txBps !== null
    ? { name, speedBps, rxBps, txBps }
    : null;
}

function readPeer(r: Reader, v: unknown, path: string): PeerRtt | null {
  const o = r.record(v, path);
  if (!o) return null;
  const node = r.string(o['node'], `${path}.node`, { maxLength: 253 });
  const p50Us = r.number(o['p50Us'], `${path}.p50Us`, { min: 0, max: 60e6 });
  const p99Us = r.number(o['p99Us'], `${path}.p99Us`, { min: 0, max: 60e6 });
  const samples = r.number(o['samples'], `${path}.samples`, { min: 1, integer: true });
  return node !== null && p50Us !== null && p99Us !== null && samples !== null ? { node, p50Us, p99Us, samples } : null;
}

function readProblem(r: Reader, v: unknown, path: string): CollectorProblem | null {
  const o = r.record(v, path);
  if (!o) return null;
  const collector = o['collector'];
  if (typeof collector !== 'string' || !COLLECTORS.includes(collector)) {
    r.fail(`${path}.collector`, `must be one of ${COLLECTORS.join(', ')}`);
    return null;
  }
  const reason = r.string(o['reason'], `${path}.reason`, { maxLength: 1024 });
  return reason !== null ? { collector: collector as CollectorName, reason } : null;
}

/** The pod-traffic link as the request path sees it: every reported NIC together. */
export interface LinkView {
  /** Interface names joined with "+", for reasons. */
  readonly name: string;
  /** Sum of link speeds; null when any carrying interface has no known speed. */
  readonly speedBps: number | null;
  /** Sum over interfaces of the busier direction (links are full duplex). */
  readonly loadBps: number;
}

export function linkView(report: NodeReport): LinkView | null {
  if (report.nics.length === 0) return null;
  let speed: number | null = 0;
  let load = 0;
  for (const nic of report.nics) {
    speed = speed === null || nic.speedBps === null ? null : speed + nic.speedBps;
    load += Math.max(nic.rxBps, nic.txBps);
  }
  return { name: report.nics.map((n) => n.name).join('+'), speedBps: speed, loadBps: load };
}
