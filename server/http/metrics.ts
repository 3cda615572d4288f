/**
 * The extender's Prometheus metrics, on a registry of its own (never prom-client's global one, so two apps in one
 * test process do not collide). Labels stay bounded: verb, code, reason, or node for per-node gauges that are
 * computed at scrape time from the report store — never pod names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REASON_CODES } from '../../lib/extender/verdict.ts';

/** Sub-millisecond buckets: berth answers in tens to hundreds of microseconds; the top covers the 5 s httpTimeout. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const BYTES_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const NODES_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface NodeGaugeSource {
  /** Called at scrape time; yields one row per known node. */
  rows(nowMs: number): Iterable<{
    node: string;
    ageSeconds: number;
    nvmeFree: number;
    nvmeCapacity: number;
    reserved: number;
    linkSpeed: number | null;
    headroom: number | null;
    fresh: boolean;
  }>;
}

export interface ExtenderMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'verb' | 'code'>;
  readonly requestBytes: Histogram<'verb'>;
  readonly nodesPerCall: Histogram<'verb'>;
  readonly rejections: Counter<'reason'>;
  readonly fastPath: Counter<'verb'>;
  readonly reportsIngested: Counter<'result'>;
  readonly peerRtt: Histogram;
}

export function createExtenderMetrics(source: NodeGaugeSource, now: () => number): ExtenderMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requestDuration = new Histogram({
    name: 'berth_extender_request_duration_seconds',
    help: 'Time berth spent answering a request, by verb and HTTP status',
    labelNames: ['verb', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const requestBytes = new Histogram({
    name: 'berth_extender_request_bytes',
    help: 'Request body size in bytes, by verb',
    labelNames: ['verb'] as const,
    buckets: BYTES_BUCKETS,
    registers,
  });
  const nodesPerCall = new Histogram({
    name: 'berth_extender_nodes_per_call',
    help: 'Candidate nodes in one filter or prioritize request',
    labelNames: ['verb'] as const,
    buckets: NODES_BUCKETS,
    registers,
  });
  const rejections = new Counter({
    name: 'berth_filter_rejections_total',
    help: 'Nodes rejected by filter, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of REASON_CODES) rejections.inc({ reason }, 0);
  const fastPath = new Counter({
    name: 'berth_fast_path_total',
    help: 'Requests for pods without berth needs, answered without looking at any node',
    labelNames: ['verb'] as const,
    registers,
  });
  const reportsIngested = new Counter({
    name: 'berth_reports_ingested_total',
    help: 'Node reports received, by result (accepted, duplicate, invalid)',
    labelNames: ['result'] as const,
    registers,
  });
  for (const result of ['accepted', 'duplicate', 'invalid']) reportsIngested.inc({ result }, 0);
  const peerRtt = new Histogram({
    name: 'berth_reported_peer_rtt_seconds',
    help: 'Peer round-trip times (p50) carried by accepted reports',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  registerNodeGauges(registry, source, now);
  return { registry, requestDuration, requestBytes, nodesPerCall, rejections, fastPath, reportsIngested, peerRtt };
}

function registerNodeGauges(registry: Registry, source: NodeGaugeSource, now: () => number): void {
  const registers = [registry];
  // Registered first: its collect refreshes the per-node gauges below before the registry reads them.
  const reports: Gauge<'state'> = new Gauge({
    name: 'berth_reports',
    help: 'Node reports held, by freshness',
    labelNames: ['state'] as const,
    registers,
    collect: () => {
      refresh();
    },
  });
  const age = new Gauge({
    name: 'berth_report_age_seconds',
    help: "Seconds since berth received each node's latest report",
    labelNames: ['node'] as const,
    registers,
  });
  const free = new Gauge({
    name: 'berth_node_nvme_free_bytes',
    help: 'Free NVMe bytes reported by each node',
    labelNames: ['node'] as const,
    registers,
  });
  const capacity = new Gauge({
    name: 'berth_node_nvme_capacity_bytes',
    help: 'NVMe capacity reported by each node',
    labelNames: ['node'] as const,
    registers,
  });
  const reserved = new Gauge({
    name: 'berth_node_nvme_reserved_bytes',
    help: 'NVMe bytes reserved for pods in flight on each node',
    labelNames: ['node'] as const,
    registers,
  });
  const speed = new Gauge({
    name: 'berth_node_link_speed_bps',
    help: 'Pod-traffic link speed of each node in bits per second (absent when unknown)',
    labelNames: ['node'] as const,
    registers,
  });
  const headroom = new Gauge({
    name: 'berth_node_link_headroom_bps',
    help: 'Link speed minus load on each node in bits per second (absent when speed unknown)',
    labelNames: ['node'] as const,
    registers,
  });
  // One collect refreshes every per-node gauge, so a scrape sees one consistent snapshot.
  const refresh = (): void => {
    for (const g of [age, free, capacity, reserved, speed, headroom]) g.reset();
    let fresh = 0;
    let stale = 0;
    for (const row of source.rows(now())) {
      const l = { node: row.node };
      age.set(l, row.ageSeconds);
      free.set(l, row.nvmeFree);
      capacity.set(l, row.nvmeCapacity);
      reserved.set(l, row.reserved);
      if (row.linkSpeed !== null) speed.set(l, row.linkSpeed);
      if (row.headroom !== null) headroom.set(l, row.headroom);
      if (row.fresh) fresh++;
      else stale++;
    }
    reports.set({ state: 'fresh' }, fresh);
    reports.set({ state: 'stale' }, stale);
  };
}
