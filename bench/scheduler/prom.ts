/**
 * Reading kube-scheduler's and berth's /metrics: the Prometheus text format, histograms summed over the series a
 * caller picks, and quantiles estimated the way PromQL's histogram_quantile does (linear within a bucket). With
 * kube-scheduler's exponential buckets (1, 2, 4, 8 ms...) a quantile is only as precise as its bucket: the
 * interpolation assumes the observations are spread evenly inside it.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample line; comments, blank lines and malformed lines are skipped. Linear in the text. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m?.[1] === undefined || m[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (l[1] !== undefined) labels[l[1]] = l[2] ?? '';
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (!Number.isNaN(value)) samples.push({ name: m[1], labels, value });
  }
  return samples;
}

export type LabelMatch = Readonly<Record<string, string>>;

function matches(labels: Readonly<Record<string, string>>, want: LabelMatch): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

/** The sum of a counter or gauge over the series whose labels include `want`. */
export function sumOf(samples: readonly Sample[], name: string, want: LabelMatch = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && matches(s.labels, want)) total += s.value;
  return total;
}

/** A histogram summed over several series: cumulative counts per upper bound, ascending, +Inf last. */
export interface Histogram {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

export function histogramOf(samples: readonly Sample[], name: string, want: LabelMatch = {}): Histogram {
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const s of samples) {
    if (!matches(s.labels, want)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_count`) count += s.value;
    else if (s.name === `${name}_sum`) sum += s.value;
  }
  const buckets = [...byLe].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, count, sum };
}

/**
 * The q-quantile (0 < q < 1) as PromQL's histogram_quantile estimates it: find the bucket holding rank q × count
 * and interpolate linearly between its bounds (the first bucket starts at 0). A rank in the +Inf bucket answers
 * the highest finite bound. null for an empty histogram.
 */
export function quantile(h: Histogram, q: number): number | null {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** p50/p95/p99 and the mean, in milliseconds (the histograms are in seconds), with the observation count. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (v: number | null): number | null => (v === null ? null : v * 1000);
  return {
    count: h.count,
    meanMs: h.count > 0 ? (h.sum / h.count) * 1000 : null,
    p50Ms: ms(quantile(h, 0.5)),
    p95Ms: ms(quantile(h, 0.95)),
    p99Ms: ms(quantile(h, 0.99)),
  };
}

/** Distinct values of `label` among the series of histogram `name` (e.g. every extension point seen). */
export function labelValues(samples: readonly Sample[], name: string, label: string): string[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const v = s.labels[label];
    if (s.name === `${name}_count` && v !== undefined) seen.add(v);
  }
  return [...seen].sort();
}

/** Counters and histograms of `after` minus their values in `before`: what happened between two scrapes. */
export function diffSamples(after: readonly Sample[], before: readonly Sample[]): Sample[] {
  const key = (s: Sample): string => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
  const previous = new Map(before.map((s) => [key(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (previous.get(key(s)) ?? 0) }));
}
