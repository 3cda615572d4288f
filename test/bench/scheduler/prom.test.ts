import t from 'tap';
import {
  diffSamples,
  histogramOf,
  labelValues,
  parseSamples,
  quantile,
  summarize,
  sumOf,
  type Histogram,
} from '../../../bench/scheduler/prom.ts';

const text = `# HELP scheduler_schedule_attempts_total Number of attempts
# TYPE scheduler_schedule_attempts_total counter
scheduler_schedule_attempts_total{profile="default-scheduler",result="scheduled"} 998
scheduler_schedule_attempts_total{profile="default-scheduler",result="unschedulable"} 2
lat_bucket{point="Filter",status="Success",le="0.001"} 10
lat_bucket{point="Filter",status="Success",le="0.002"} 20
lat_bucket{point="Filter",status="Success",le="0.004"} 30
lat_bucket{point="Filter",status="Success",le="+Inf"} 30
lat_sum{point="Filter",status="Success"} 0.05
lat_count{point="Filter",status="Success"} 30
lat_bucket{point="Filter",status="Error",le="0.004"} 10
lat_bucket{point="Filter",status="Error",le="0.001"} 0
lat_bucket{point="Filter",status="Error",le="0.002"} 0
lat_bucket{point="Filter",status="Error",le="+Inf"} 10
lat_sum{point="Filter",status="Error"} 0.03
lat_count{point="Filter",status="Error"} 10
lat_count{point="Score",status="Success"} 5
odd{msg="a \\"quoted\\" value, with a comma"} 1 1700000000000
not a sample line
`;

t.test('parses samples, labels with escaped quotes and timestamps; skips comments and junk', async (t) => {
  const samples = parseSamples(text);
  t.equal(samples.length, 16);
  t.same(samples.at(-1), { name: 'odd', labels: { msg: 'a \\"quoted\\" value, with a comma' }, value: 1 });
  t.equal(sumOf(samples, 'scheduler_schedule_attempts_total'), 1000);
  t.equal(sumOf(samples, 'scheduler_schedule_attempts_total', { result: 'unschedulable' }), 2);
  t.same(labelValues(samples, 'lat', 'point'), ['Filter', 'Score']);
});

t.test('sums a histogram over series, buckets ascending whatever the line order', async (t) => {
  const h = histogramOf(parseSamples(text), 'lat', { point: 'Filter' });
  t.same(
    h.buckets.map((b) => [b.le, b.count]),
    [
      [0.001, 10],
      [0.002, 20],
      [0.004, 40],
      [Infinity, 40],
    ],
  );
  t.equal(h.count, 40);
  t.equal(Math.round(h.sum * 1000) / 1000, 0.08);
});

t.test("quantiles interpolate inside the bucket, as PromQL's histogram_quantile", async (t) => {
  const h: Histogram = {
    buckets: [
      { le: 1, count: 10 },
      { le: 2, count: 20 },
      { le: 4, count: 40 },
      { le: Infinity, count: 40 },
    ],
    count: 40,
    sum: 80,
  };
  t.equal(quantile(h, 0.25), 1, 'rank 10 ends the first bucket, which starts at 0');
  t.equal(quantile(h, 0.125), 0.5);
  t.equal(quantile(h, 0.5), 2);
  t.equal(quantile(h, 0.75), 3, 'halfway through the 2–4 bucket');
  const tail: Histogram = {
    buckets: [
      { le: 1, count: 5 },
      { le: Infinity, count: 10 },
    ],
    count: 10,
    sum: 30,
  };
  t.equal(quantile(tail, 0.9), 1, 'a rank in the +Inf bucket answers the highest finite bound');
  t.equal(quantile({ buckets: [], count: 0, sum: 0 }, 0.5), null, 'nothing observed, no quantile');
});

t.test('summaries are in milliseconds', async (t) => {
  const s = summarize(histogramOf(parseSamples(text), 'lat', { point: 'Filter', status: 'Success' }));
  t.equal(s.count, 30);
  t.equal(Math.round((s.meanMs ?? 0) * 1000) / 1000, 1.667);
  t.equal(s.p50Ms, 1.5);
  t.equal(Math.round((s.p99Ms ?? 0) * 1000) / 1000, 3.94);
  t.same(summarize({ buckets: [], count: 0, sum: 0 }), {
    count: 0,
    meanMs: null,
    p50Ms: null,
    p95Ms: null,
    p99Ms: null,
  });
});

t.test('the difference of two scrapes counts only what happened between them', async (t) => {
  const before = parseSamples(
    'c{a="1"} 5\nc{a="2"} 1\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 4\nh_count 4\nh_sum 2\n',
  );
  const after = parseSamples(
    'c{a="2"} 4\nc{a="1"} 5\nc{a="3"} 2\nh_bucket{le="1"} 13\nh_bucket{le="+Inf"} 24\nh_count 24\nh_sum 12\n',
  );
  const diff = diffSamples(after, before);
  t.equal(sumOf(diff, 'c', { a: '1' }), 0);
  t.equal(sumOf(diff, 'c', { a: '2' }), 3);
  t.equal(sumOf(diff, 'c', { a: '3' }), 2, 'a series that appeared counts whole');
  const h = histogramOf(diff, 'h');
  t.same(
    h.buckets.map((b) => b.count),
    [10, 20],
  );
  t.equal(h.count, 20);
  t.equal(h.sum, 10);
});
