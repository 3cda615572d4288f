/**
 * The extender's Prometheus metrics, on a registry of its own (never prom-client's global one, so two apps in one
 * test process do not collide). Labels stay bounded: verb, code, reason, and `node` only on the per-node gauges,
 * which carry the TOP_NODES nodes that most need looking at (oldest reports, most NVMe committed, least NIC
 * headroom), never every node: at 5,000 nodes a series per node and gauge made one scrape 2 MB and held the event
 * loop for a quarter of a second. The whole fleet is in the totals; any node's detail is in /v1/explain.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REASON_CODES } from '../../lib/extender/verdict.ts';

/** Sub-millisecond buckets: berth answers in tens to hundreds of microseconds; the top covers the 5 s httpTimeout. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const BYTES_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const NODES_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** How many nodes the per-node gauges carry, per ranking. */
export const TOP_NODES = 10;

export interface NodeRow {
  readonly node: string;
  readonly ageSeconds: number;
  readonly nvmeFree: number;
  readonly nvmeCapacity: number;
  readonly reserved: number;
  readonly linkSpeed: number | null;
  readonly headroom: number | null;
  readonly fresh: boolean;
}

export interface NodeGaugeSource {
  /** Called at scrape time; yields one row per known node. */
  rows(nowMs: number): Iterable<NodeRow>;
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

/** The `n` rows with the highest `rank`, highest first; ties by node name. One pass, n small. */
export function topRows(rows: Iterable<NodeRow>, n: number, rank: (r: NodeRow) => number | null): NodeRow[] {
  const top: { row: NodeRow; value: number }[] = [];
  if (n <= 0) return [];
  for (const row of rows) {
    const value = rank(row);
    if (value === null) continue;
    if (top.length === n) {
      const last = top[n - 1];
      if (last !== undefined && (value < last.value || (value === last.value && row.node > last.row.node))) continue;
      top.pop();
    }
    let i = top.length;
    while (i > 0) {
      const before = top[i - 1];
      if (before === undefined || before.value > value || (before.value === value && before.row.node < row.node)) break;
      i--;
    }
    top.splice(i, 0, { row, value });
  }
  return top.map((t) => t.row);
}

function committed(r: NodeRow): number | null {
  return r.nvmeCapacity > 0 ? (r.nvmeCapacity - r.nvmeFree + r.reserved) / r.nvmeCapacity : null;
}

function registerNodeGauges(registry: Registry, source: NodeGaugeSource, now: () => number): void {
  const registers = [registry];
  const gauge = (name: string, help: string): Gauge<'node'> =>
    new Gauge({ name, help, labelNames: ['node'] as const, registers });
  const total = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  // Registered first: its collect refreshes every gauge below before the registry reads them.
  const reports: Gauge<'state'> = new Gauge({
    name: 'berth_reports',
    help: 'Node reports held, by freshness',
    labelNames: ['state'] as const,
    registers,
    collect: () => {
      refresh();
    },
  });
  const free = total('berth_nvme_free_bytes', 'Free NVMe bytes reported, summed over all nodes');
  const capacity = total('berth_nvme_capacity_bytes', 'NVMe capacity reported, summed over all nodes');
  const reserved = total('berth_nvme_reserved_bytes', 'NVMe bytes reserved for pods in flight, summed over all nodes');
  const top = `(the ${TOP_NODES} nodes`;
  const age = gauge(
    'berth_report_age_seconds',
    `Seconds since berth received a node's latest report ${top} with the oldest)`,
  );
  const ratio = gauge(
    'berth_node_nvme_committed_ratio',
    `(capacity - free + reserved) / capacity of a node ${top} most committed)`,
  );
  const nodeFree = gauge('berth_node_nvme_free_bytes', `Free NVMe bytes a node reports ${top} most committed)`);
  const nodeCapacity = gauge('berth_node_nvme_capacity_bytes', `NVMe capacity a node reports ${top} most committed)`);
  const nodeReserved = gauge(
    'berth_node_nvme_reserved_bytes',
    `NVMe bytes reserved on a node for pods in flight ${top} most committed)`,
  );
  const speed = gauge(
    'berth_node_link_speed_bps',
    `Pod-traffic link speed of a node in bits per second ${top} with the least headroom)`,
  );
  const headroom = gauge(
    'berth_node_link_headroom_bps',
    `Link speed minus load of a node in bits per second ${top} with the least headroom)`,
  );
  // One collect refreshes every gauge, so a scrape sees one consistent snapshot.
  const refresh = (): void => {
    for (const g of [age, ratio, nodeFree, nodeCapacity, nodeReserved, speed, headroom]) g.reset();
    const rows = [...source.rows(now())];
    let fresh = 0;
    const sums = { free: 0, capacity: 0, reserved: 0 };
    for (const row of rows) {
      if (row.fresh) fresh++;
      sums.free += row.nvmeFree;
      sums.capacity += row.nvmeCapacity;
      sums.reserved += row.reserved;
    }
    reports.set({ state: 'fresh' }, fresh);
    reports.set({ state: 'stale' }, rows.length - fresh);
    free.set(sums.free);
    capacity.set(sums.capacity);
    reserved.set(sums.reserved);
    for (const r of topRows(rows, TOP_NODES, (x) => x.ageSeconds)) age.set({ node: r.node }, r.ageSeconds);
    for (const r of topRows(rows, TOP_NODES, committed)) {
      const l = { node: r.node };
      ratio.set(l, committed(r) ?? 0);
      nodeFree.set(l, r.nvmeFree);
      nodeCapacity.set(l, r.nvmeCapacity);
      nodeReserved.set(l, r.reserved);
    }
    for (const r of topRows(rows, TOP_NODES, (x) => (x.headroom === null ? null : -x.headroom))) {
      speed.set({ node: r.node }, r.linkSpeed ?? 0);
      headroom.set({ node: r.node }, r.headroom ?? 0);
    }
  };
}
