/**
 * The shipped Grafana dashboards as data: their panels and PromQL targets, Grafana's macros substituted the way
 * Grafana would (so the text is plain PromQL), the PromQL parsed with lezer-promql, and the metric names berth
 * really exports, read from the extender's, the Kubernetes side's and the agent's registries.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Histogram, Registry, Summary } from 'prom-client';
import { ClusterState } from '../../../lib/cluster/cluster-state.ts';
import { AgentMetrics } from '../../../server/agent/metrics.ts';
import { registerKubeMetrics } from '../../../server/kube/metrics.ts';
import { createExtenderMetrics } from '../../../server/http/metrics.ts';
import { MANIFESTS } from './render.ts';

export const DASHBOARDS_DIR = join(MANIFESTS, 'monitoring', 'dashboards');

export interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly format?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly panels?: readonly Panel[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly { readonly type: string; readonly name: string; readonly query?: unknown }[];
  };
  readonly [key: string]: unknown;
}

export async function loadDashboards(): Promise<{ file: string; dashboard: Dashboard }[]> {
  const files = (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      dashboard: JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard,
    })),
  );
}

/** Every panel, rows' collapsed children included, rows themselves excluded. */
export function queryPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? [...(p.panels ?? [])] : [p]));
}

/**
 * What Grafana sends to Prometheus: interval macros become durations, and template variables in regex matchers
 * become ".*" (the "All" value these dashboards set as allValue).
 */
export function substituteMacros(expr: string, rateInterval = '5m'): string {
  return expr
    .replaceAll(/\$__rate_interval|\$\{__rate_interval\}/g, rateInterval)
    .replaceAll(/\$__interval|\$\{__interval\}/g, '15s')
    .replaceAll(/\$__range|\$\{__range\}/g, '1h')
    .replaceAll(/\$\{?[A-Za-z_]\w*\}?/g, '.*');
}

export interface ParsedQuery {
  /** Offsets of syntax errors; empty when the query parses. */
  readonly errors: readonly number[];
  /** Metric names of every vector selector. */
  readonly metrics: readonly string[];
}

export function parsePromql(query: string): ParsedQuery {
  const errors: number[] = [];
  const metrics: string[] = [];
  parser.parse(query).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(n.from);
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') metrics.push(query.slice(n.from, n.to));
    },
  });
  return { errors, metrics };
}

/** Series names a registry exposes: histograms as _bucket/_sum/_count, summaries as the name plus _sum/_count. */
function exposedNames(metrics: readonly unknown[]): string[] {
  return metrics.flatMap((m) => {
    const name = (m as { name: string }).name;
    if (m instanceof Histogram) return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    if (m instanceof Summary) return [name, `${name}_sum`, `${name}_count`];
    return [name];
  });
}

/** Everything berth exports: the extender's registry with the Kubernetes side registered on it, and the agent's. */
export function berthMetricNames(): Set<string> {
  const extender = createExtenderMetrics({ rows: () => [] }, Date.now);
  const state = new ClusterState({
    match: { classes: [], provisioners: [] },
    ledger: { ttlMs: 60_000, provisionalTtlMs: 0, clockSkewMs: 0 },
  });
  registerKubeMetrics(extender.registry, { informers: () => [], state, now: Date.now });
  const agent = new AgentMetrics({ defaultMetrics: true });
  const names = new Set([
    ...exposedNames(extender.registry.getMetricsAsArray()),
    ...exposedNames(agent.registry.getMetricsAsArray()),
  ]);
  // Registries hold metric objects; clear them so default-metric collectors do not keep timers alive.
  for (const r of [extender.registry, agent.registry] as Registry[]) r.clear();
  return names;
}
