/**
 * The agent's Prometheus metrics, on a registry of its own (never prom-client's global one: an agent started
 * in-process next to the extender, or twice in one test, must not collide). Names are a contract with the
 * dashboards; change them only together.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CollectorName } from '../../lib/core/report.ts';

/** Seconds. Sub-millisecond resolution at the bottom for same-rack RTTs; the top covers the probe timeout. */
export const PROBE_RTT_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01,
  0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
const COLLECT_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class AgentMetrics {
  readonly registry = new Registry();
  readonly publishTotal: Counter<'result'>;
  readonly collectDuration: Histogram<'collector'>;
  readonly collectorErrors: Counter<'collector'>;
  readonly probeRtt: Histogram;
  readonly lastPublish: Gauge;

  constructor(opts: { defaultMetrics: boolean }) {
    const registers = [this.registry];
    this.publishTotal = new Counter({
      name: 'berth_agent_publish_total',
      help: 'Report publish attempts by result (ok|error)',
      labelNames: ['result'],
      registers,
    });
    this.collectDuration = new Histogram({
      name: 'berth_agent_collect_duration_seconds',
      help: 'Time one collector took in one round',
      labelNames: ['collector'],
      buckets: [...COLLECT_BUCKETS],
      registers,
    });
    this.collectorErrors = new Counter({
      name: 'berth_agent_collector_errors_total',
      help: 'Rounds in which a collector failed or reported a problem',
      labelNames: ['collector'],
      registers,
    });
    this.probeRtt = new Histogram({
      name: 'berth_agent_probe_rtt_seconds',
      help: 'Round-trip time of latency probes to peers (all peers, no per-peer label)',
      buckets: [...PROBE_RTT_BUCKETS],
      registers,
    });
    this.lastPublish = new Gauge({
      name: 'berth_agent_last_publish_timestamp_seconds',
      help: 'Unix time of the last accepted publish',
      registers,
    });
    for (const result of ['ok', 'error']) this.publishTotal.inc({ result }, 0);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'berth_agent_' });
  }

  observeCollect(collector: CollectorName, seconds: number, failed: boolean): void {
    this.collectDuration.observe({ collector }, seconds);
    if (failed) this.collectorErrors.inc({ collector });
  }
}
