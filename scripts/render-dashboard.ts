/**
 * Renders a dashboard's panels from real Prometheus data to a PNG, for the README (no Grafana runs here):
 * vega-lite → vega → SVG → @resvg/resvg-js. The data comes from test/manifests/dashboards-prometheus.test.ts:
 *
 *   BERTH_DASHBOARD_DATA=/tmp/berth-dashboard.json tap test/manifests/dashboards-prometheus.test.ts
 *   node scripts/render-dashboard.ts /tmp/berth-dashboard.json docs/dashboard.png [berth-extender.json]
 *
 * Each panel becomes a small chart of the same kind: lines for time series, bars for stat and bar-gauge panels,
 * a heatmap (cumulative buckets turned back into per-bucket counts, as Grafana does) for heatmaps.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, specToPng } from './vega-png.ts';

export interface DashboardData {
  generatedAt: string;
  startS: number;
  endS: number;
  dashboards: {
    file: string;
    title: string;
    panels: {
      id: number;
      type: string;
      title: string;
      unit: string;
      targets: {
        refId: string;
        legendFormat: string;
        result: { metric: Record<string, string>; values?: [number, string][] }[];
      }[];
    }[];
  }[];
}

type Panel = DashboardData['dashboards'][number]['panels'][number];
interface Point {
  t: number;
  v: number;
  s: string;
}

/** Display scale per Grafana unit, so axes read "ms" and "GiB" instead of 0.00012 and 5.4e11. */
const UNITS: Record<string, { factor: number; label: string; format?: string }> = {
  s: { factor: 1000, label: 'ms' },
  bytes: { factor: 2 ** -30, label: 'GiB' },
  bps: { factor: 1e-9, label: 'Gbit/s' },
  percentunit: { factor: 1, label: '', format: '.0%' },
  reqps: { factor: 1, label: 'req/s' },
  ops: { factor: 1, label: '/s' },
};

function legend(format: string, metric: Record<string, string>, refId: string): string {
  const text = format.replaceAll(/\{\{\s*(\w+)\s*\}\}/g, (_m, label: string) => metric[label] ?? '');
  return text.trim() === '' ? refId : text.trim();
}

function points(panel: Panel): Point[] {
  const unit = UNITS[panel.unit] ?? { factor: 1, label: '' };
  return panel.targets.flatMap((target) =>
    target.result.flatMap((series) =>
      (series.values ?? [])
        .map(([t, v]) => ({
          t: t * 1000,
          v: Number(v) * unit.factor,
          s: legend(target.legendFormat, series.metric, target.refId),
        }))
        .filter((p) => Number.isFinite(p.v)),
    ),
  );
}

/** Cumulative `le` buckets per timestamp → the count in each bucket alone. */
function heatmapCells(panel: Panel): { t: number; le: string; order: number; n: number }[] {
  const byTime = new Map<number, { le: number; v: number }[]>();
  for (const series of panel.targets[0]?.result ?? []) {
    const le = series.metric['le'] === '+Inf' ? Infinity : Number(series.metric['le']);
    for (const [t, v] of series.values ?? []) byTime.set(t, [...(byTime.get(t) ?? []), { le, v: Number(v) }]);
  }
  const cells: { t: number; le: string; order: number; n: number }[] = [];
  for (const [t, buckets] of byTime) {
    buckets.sort((a, b) => a.le - b.le);
    buckets.forEach((b, i) => {
      const below = i === 0 ? 0 : (buckets[i - 1]?.v ?? 0);
      const label =
        b.le === Infinity
          ? '+Inf'
          : b.le < 0.001
            ? `${Math.round(b.le * 1e6)}µs`
            : `${+(b.le * 1000).toPrecision(3)}ms`;
      cells.push({ t: t * 1000, le: label, order: i, n: Math.max(0, b.v - below) });
    });
  }
  return cells;
}

function panelSpec(panel: Panel, width: number): Record<string, unknown> {
  const unit = UNITS[panel.unit] ?? { factor: 1, label: '', format: '~s' };
  const title = { text: panel.title, fontSize: 13, anchor: 'start' };
  const time = { field: 't', type: 'temporal', title: null, axis: { format: '%H:%M:%S', labelAngle: 0, tickCount: 4 } };
  const yAxis = {
    title: unit.label === '' ? null : unit.label,
    ...(unit.format === undefined ? {} : { axis: { format: unit.format } }),
  };
  const colorLegend = { title: null, orient: 'bottom', columns: 2, labelLimit: 200, symbolSize: 60, labelFontSize: 10 };
  if (panel.type === 'heatmap') {
    return {
      title,
      width,
      height: 150,
      data: { values: heatmapCells(panel) },
      mark: 'rect',
      encoding: {
        x: { ...time, timeUnit: 'hoursminutesseconds' },
        y: { field: 'le', type: 'ordinal', title: 'RTT bucket', sort: { field: 'order', order: 'descending' } },
        color: {
          field: 'n',
          type: 'quantitative',
          title: 'probes',
          scale: { scheme: 'oranges' },
          legend: { orient: 'right', gradientLength: 100 },
        },
      },
    };
  }
  const data = points(panel);
  if (panel.type === 'stat' || panel.type === 'bargauge') {
    const last = new Map<string, number>();
    for (const p of data) last.set(p.s, p.v);
    return {
      title,
      width,
      height: 26 * Math.max(1, last.size),
      data: { values: [...last].map(([s, v]) => ({ s, v })) },
      mark: { type: 'bar', color: '#3274d9' },
      encoding: { y: { field: 's', type: 'nominal', title: null }, x: { field: 'v', type: 'quantitative', ...yAxis } },
    };
  }
  // An all-zero series (no restarts, no errors) would give vega an empty domain and a "NaN" axis.
  const flat = data.every((p) => p.v === 0);
  return {
    title,
    width,
    height: 150,
    data: { values: data },
    mark: { type: 'line', strokeWidth: 1.5, interpolate: 'monotone' },
    encoding: {
      x: time,
      y: { field: 'v', type: 'quantitative', ...yAxis, ...(flat ? { scale: { domain: [0, 1] } } : {}) },
      color: { field: 's', type: 'nominal', legend: colorLegend },
    },
  };
}

/** One PNG with every panel of `file` (e.g. berth-extender.json), three to a row. */
export async function renderDashboardPng(data: DashboardData, file: string): Promise<Buffer> {
  const dashboard = data.dashboards.find((d) => d.file === file);
  if (dashboard === undefined) throw new Error(`no data for ${file}`);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${dashboard.title} — ${Math.round(data.endS - data.startS)} s of real Prometheus data`,
      fontSize: 16,
      anchor: 'start',
    },
    background: 'white',
    padding: 16,
    columns: 3,
    spacing: 28,
    concat: dashboard.panels.map((p) => panelSpec(p, 340)),
    resolve: { scale: { color: 'independent', x: 'independent', y: 'independent' }, legend: { color: 'independent' } },
    config: { ...CHART_CONFIG, title: { fontSize: 12 } },
  } as unknown as TopLevelSpec;
  return specToPng(spec);
}

if (import.meta.main) {
  const [input, output = 'docs/dashboard.png', file = 'berth-extender.json'] = process.argv.slice(2);
  if (input === undefined) {
    process.stderr.write('usage: node scripts/render-dashboard.ts <data.json> [out.png] [dashboard file]\n');
    process.exit(2);
  }
  const data = JSON.parse(await readFile(input, 'utf8')) as DashboardData;
  const png = await renderDashboardPng(data, file);
  await writeFile(output, png);
  process.stdout.write(`wrote ${output} (${png.length} bytes)\n`);
}
