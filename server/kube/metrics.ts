/**
 * Metrics of the Kubernetes side, registered on the extender's registry. Everything is read at scrape time from
 * the informers' health and the ledger, so nothing on the event or request path touches prom-client.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterState } from '../../lib/cluster/cluster-state.ts';
import { PROVISIONAL_OUTCOMES, RELEASE_REASONS } from '../../lib/cluster/ledger.ts';
import type { InformerHealth } from '../../lib/cluster/informer-health.ts';

export interface KubeMetricsSource {
  informers(): Iterable<{ readonly resource: string; readonly health: InformerHealth; readonly objects: number }>;
  readonly state: ClusterState;
  readonly now: () => number;
}

export interface KubeMetrics {
  readonly invalidReports: Counter;
}

const WINDOW_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function registerKubeMetrics(registry: Registry, source: KubeMetricsSource): KubeMetrics {
  const registers = [registry];
  new Gauge({
    name: 'berth_informer_synced',
    help: 'Whether each informer has listed and is watching (1) or is starting or down (0)',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      for (const i of source.informers()) this.set({ resource: i.resource }, i.health.phase === 'synced' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'berth_informer_objects',
    help: 'Objects each informer holds (one projection each: what berth reads of it)',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      for (const i of source.informers()) this.set({ resource: i.resource }, i.objects);
    },
  });
  new Counter({
    name: 'berth_informer_restarts_total',
    help: 'Informer restarts after an error or a watchdog-detected stall (periodic relists not included)',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      this.reset();
      for (const i of source.informers()) this.inc({ resource: i.resource }, i.health.restarts);
    },
  });
  new Counter({
    name: 'berth_informer_relists_total',
    help: 'Periodic full relists (--resync-period)',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      this.reset();
      for (const i of source.informers()) this.inc({ resource: i.resource }, i.health.relists);
    },
  });
  new Gauge({
    name: 'berth_informer_last_event_age_seconds',
    help: 'Seconds since each informer last heard from the API server: an object event, a LIST, a bookmark or a watch established',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      const now = source.now();
      for (const i of source.informers())
        this.set({ resource: i.resource }, Math.max(0, (now - i.health.lastAliveMs) / 1000));
    },
  });
  new Gauge({
    name: 'berth_reservations_in_flight',
    help: 'NVMe reservations held for placed claims and pods that no report accounts for yet (provisional holds not included)',
    registers,
    collect() {
      this.set(source.state.ledger.inFlight);
    },
  });
  new Counter({
    name: 'berth_ledger_releases_total',
    help: 'Reservations released, by reason: report (a newer report accounts for it), ttl, deleted, unselected, moved',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      const s = source.state.ledger.stats();
      this.reset();
      for (const r of RELEASE_REASONS) this.inc({ reason: r }, s.released[r]);
    },
  });
  new Counter({
    name: 'berth_provisional_holds_total',
    help: 'How provisional holds from prioritize ended: hit (placed on a held node), miss, expired, replaced, deleted',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      const s = source.state.ledger.stats();
      this.reset();
      for (const o of PROVISIONAL_OUTCOMES) this.inc({ outcome: o }, s.provisional[o]);
    },
  });
  let seen = 0;
  new Histogram({
    name: 'berth_placement_observed_seconds',
    help: "Time from berth's prioritize answer to the pod's placement being observed (selected-node or binding): the race window a provisional hold covers",
    buckets: WINDOW_BUCKETS,
    registers,
    collect() {
      const all = source.state.raceStats().windowsMs;
      for (; seen < all.length; seen++) this.observe((all[seen] ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'berth_ledger_reserved_bytes',
    help: 'NVMe bytes held by in-flight reservations across all nodes',
    registers,
    collect() {
      let bytes = 0;
      for (const r of source.state.ledger.entries())
        if (r.source !== 'provisional') for (const v of r.volumes) bytes += v;
      this.set(bytes);
    },
  });
  const invalidReports = new Counter({
    name: 'berth_nodereports_invalid_total',
    help: 'NodeReport objects whose status failed validation and were ignored',
    registers,
  });
  return { invalidReports };
}
