/**
 * Seeded fuzzing of every endpoint (the verbs, explain, reports, the admission webhook, probes and unknown routes)
 * with malformed requests: broken and hostile JSON bodies, wrong field types,
 * prototype keys, deep nesting, oversize bodies, wrong Content-Types, unknown and repeated query parameters, bad
 * paths and methods. Every case must be answered with a 4xx in berth's error format, and none may crash the app,
 * change what berth holds (the report store, the counters that drive decisions and dashboards, Object.prototype)
 * or be slow. A second phase sends random byte mutations of valid requests, which may happen to be valid: those
 * must be answered without a 5xx.
 *
 * The cases are generated from a seed (BERTH_FUZZ_SEED, default 13) and their number is BERTH_FUZZ_CASES
 * (default 6000), so a failure names the case and a longer run is one variable away. "Slow" is a ratio, never an
 * absolute time: a case slower than 25x the median case is re-run five times, and its best time must fall
 * under that bound (load on a shared machine only ever adds time).
 */
import t from 'tap';
import { performance } from 'node:perf_hooks';
import { pod, report, seededRandom, testApp, type TestApp } from '../../helpers/builders.ts';

const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 13);
const CASES = Number(process.env['BERTH_FUZZ_CASES'] ?? 6000);
const SLOW_RATIO = 25;
const NODES = Array.from({ length: 40 }, (_, i) => `node-${i}`);

interface Case {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const JSON_TYPE = { 'content-type': 'application/json' };
const VERBS = ['/scheduler/filter', '/scheduler/prioritize', '/v1/explain'];
const ADMISSION = '/v1/admission/pods';

function validReview(rand: Rand): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${int(rand, 1e6)}`,
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'default',
      object: pod(rand() < 0.5 ? { 'berth.io/nvme-capacity': '10Gi' } : {}),
    },
  };
}

function validBody(rand: Rand, url: string): Record<string, unknown> {
  if (url === '/v1/reports') return { ...report(`node-${int(rand, 1000)}`) };
  return url === ADMISSION ? validReview(rand) : validVerbBody(rand);
}

function validVerbBody(rand: Rand): Record<string, unknown> {
  const annotations: Record<string, string> = {};
  if (rand() < 0.5) annotations['berth.io/nvme-capacity'] = pick(rand, ['10Gi', '1Ti', '500Gi']);
  if (rand() < 0.3) annotations['berth.io/max-peer-latency'] = '2ms';
  return { Pod: pod(annotations), Nodes: null, NodeNames: NODES.slice(0, 1 + int(rand, NODES.length)) };
}

const WRONG_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  '',
  'x',
  true,
  [],
  {},
  [null],
  [1],
  [''],
  ['x'.repeat(300)],
];

/** A valid body with one required field given a wrong type or value: always a 400. */
function wrongField(rand: Rand): { url: string; body: unknown } {
  if (rand() < 0.2) {
    const review = validReview(rand);
    const request = review['request'] as Record<string, unknown>;
    const field = pick(rand, [
      'apiVersion',
      'kind',
      'request',
      'uid',
      'operation',
      'request.kind',
      'namespace',
      'object',
    ]);
    const wrong = pick(rand, [null, 0, 'x', [], true, ''] as const);
    if (field === 'apiVersion' || field === 'kind') review[field] = pick(rand, [null, 0, 'v1', 'Pod', []]);
    else if (field === 'request') review['request'] = pick(rand, [null, 0, 'x', []]);
    else if (field === 'uid') request['uid'] = pick(rand, [null, 0, '', 'u'.repeat(129), []]);
    else if (field === 'operation') request['operation'] = pick(rand, [null, 0, [], true]);
    else if (field === 'request.kind') request['kind'] = pick(rand, [null, 'Pod', {}, { kind: 1 }]);
    else if (field === 'namespace') request['namespace'] = pick(rand, [null, 0, [], true]);
    else request['object'] = wrong === null || wrong === '' ? 'x' : wrong;
    return { url: ADMISSION, body: review };
  }
  if (rand() < 0.6) {
    const body = validVerbBody(rand);
    const field = pick(rand, ['Pod', 'NodeNames', 'Pod.metadata', 'Nodes']);
    const value = pick(rand, WRONG_VALUES);
    if (field === 'Pod') body['Pod'] = pick(rand, [null, 0, 'x', true, []]);
    else if (field === 'Pod.metadata') body['Pod'] = { metadata: pick(rand, [null, 0, 'x', true, []]) };
    else if (field === 'Nodes') Object.assign(body, { NodeNames: null, Nodes: pick(rand, [{ items: [] }, {}, 1]) });
    else body['NodeNames'] = Array.isArray(value) && value.length === 0 ? 5 : value;
    return { url: pick(rand, VERBS), body };
  }
  const r: Record<string, unknown> = { ...report(`node-${int(rand, 1000)}`) };
  const field = pick(rand, ['apiVersion', 'node', 'takenAt', 'agent', 'pools', 'nics', 'peers', 'devices']);
  const wrong: readonly unknown[] =
    field === 'node' ? ['Not_A_Name', '', 'a'.repeat(254), '-a', 'a..b'] : [-1, 'x', [1], { a: 1 }, true];
  r[field] = rand() < 0.2 ? null : pick(rand, wrong);
  return { url: '/v1/reports', body: rand() < 0.3 ? { items: [report('ok'), r] } : r };
}

function nest(depth: number, inner: string): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/** One malformed request, chosen and built from the seed; every one of them must get a 4xx. */
function malformed(rand: Rand, i: number): Case {
  const kind = int(rand, 12);
  const url = pick(rand, [...VERBS, '/v1/reports', ADMISSION]);
  const valid = JSON.stringify(validBody(rand, url));
  const post = (name: string, payload: string | Buffer, headers = JSON_TYPE, to = url): Case => ({
    name: `#${i} ${name} → POST ${to}`,
    method: 'POST',
    url: to,
    headers,
    payload,
  });
  switch (kind) {
    case 0:
      return post('truncated JSON', valid.slice(0, int(rand, valid.length)));
    case 1: {
      const bytes = Buffer.from(Array.from({ length: 1 + int(rand, 300) }, () => int(rand, 256)));
      bytes[0] = 0x01; // never the start of a JSON text
      return post('random bytes', bytes);
    }
    case 2:
      return post('not an object', pick(rand, ['"x"', '1', '[]', 'null', 'true', '[{}]', '""', '-0']));
    case 3: {
      const w = wrongField(rand);
      return post('a field of the wrong type', JSON.stringify(w.body), JSON_TYPE, w.url);
    }
    case 4:
      return post('nested too deep', `{"Pod":${nest(65 + int(rand, 2000), '{}')},"NodeNames":["a"]}`);
    case 5: {
      const key = pick(rand, ['"__proto__":{"x":1}', '"constructor":{"prototype":{"x":1}}']);
      const at = valid.indexOf('{', int(rand, valid.length - 1));
      return post('a prototype key', `${valid.slice(0, at + 1)}${key},${valid.slice(at + 1)}`);
    }
    case 6: {
      const type = pick(rand, ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json']);
      return post(`Content-Type ${type}`, valid, { 'content-type': type });
    }
    case 7:
      return post(
        'over the body limit',
        `{"Pod":{"metadata":{"name":"${'x'.repeat(16 * 1024)}"}},"NodeNames":["a"]}`,
        JSON_TYPE,
        pick(rand, [...VERBS, ADMISSION]),
      );
    case 8: {
      const names = Array.from({ length: 51 + int(rand, 200) }, (_, k) => `n${k}`);
      return post('more names than --max-nodes', JSON.stringify({ Pod: pod(), Nodes: null, NodeNames: names }));
    }
    case 9: {
      const junk = pick(rand, [
        'x',
        '__proto__',
        'constructor',
        'toString',
        'nvme[]',
        'NODES',
        '',
        '%zz',
        'a'.repeat(300),
      ]);
      const repeat = pick(rand, ['nvme', 'nodes', 'name', 'peers', 'latency']);
      const query = rand() < 0.5 ? `${junk}=1&nodes=a` : `${repeat}=1&${repeat}=2`;
      return { name: `#${i} bad query`, method: 'GET', url: `/v1/explain?${query}`, headers: {} };
    }
    case 10: {
      const method = pick(rand, ['GET', 'PUT', 'DELETE', 'PATCH'] as const);
      const path = pick(rand, ['/scheduler/filter', '/v1/reportz', '/scheduler', '/%zz', '/v1/explain/x', '/..']);
      return { name: `#${i} no such route`, method, url: path, headers: JSON_TYPE, payload: '{}' };
    }
    default: {
      const key = url === '/v1/reports' ? 'node' : url === ADMISSION ? 'request' : 'Pod';
      return post('duplicate key, last one wrong', valid.replace(/\}$/, `,"${key}":null}`));
    }
  }
}

/** A random byte-level mutation of a valid, read-only request: it may or may not still be valid. */
function mutated(rand: Rand, i: number): Case {
  const url = pick(rand, [...VERBS, ADMISSION]);
  const bytes = Buffer.from(JSON.stringify(validBody(rand, url)));
  for (let k = 1 + int(rand, 4); k > 0; k--) {
    const at = int(rand, bytes.length);
    const op = int(rand, 3);
    if (op === 0) bytes[at] = int(rand, 256);
    else if (op === 1) bytes[at] = pick(rand, [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30]);
    else bytes.copyWithin(at, int(rand, bytes.length));
  }
  return { name: `#${i} mutation`, method: 'POST', url, headers: JSON_TYPE, payload: bytes };
}

/** What must not change: the reports held, the counters that matter, and Object.prototype. */
async function snapshot(app: TestApp): Promise<string> {
  const metrics = await app.deps.metrics.registry.getMetricsAsJSON();
  const kept = metrics
    .filter((m) => ['berth_reports_ingested_total', 'berth_filter_rejections_total'].includes(m.name))
    .map((m) => ({
      name: m.name,
      values: m.values.filter((v) => v.labels['result'] !== 'invalid').map((v) => [v.labels, v.value]),
    }));
  const views = [...app.store.views()].map((v) => [v.node, v.receivedAtMs, v.agent.sequence]);
  return JSON.stringify({
    version: app.store.version,
    views,
    kept,
    proto: Object.getOwnPropertyNames(Object.prototype).sort(),
  });
}

async function timed(app: TestApp, c: Case): Promise<{ status: number; body: string; ms: number }> {
  const start = performance.now();
  const res = await app.app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.payload });
  return { status: res.statusCode, body: res.body, ms: performance.now() - start };
}

async function bestOf(app: TestApp, c: Case, runs: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < runs; k++) best = Math.min(best, (await timed(app, c)).ms);
  return best;
}

t.test(`${CASES} malformed requests: a 4xx each, no crash, no state change, no slow case (seed ${SEED})`, async (t) => {
  const app = testApp({
    config: { 'body-limit': '16Ki', 'max-nodes': '50' },
    reports: NODES.map((n) => report(n, { peers: [[NODES[0] ?? '', 300]] })),
  });
  const before = await snapshot(app);
  const rand = seededRandom(SEED);
  const times: { c: Case; ms: number }[] = [];
  let wrong = 0;
  const kinds = new Map<number, number>();
  for (let i = 0; i < CASES; i++) {
    const c = malformed(rand, i);
    const r = await timed(app, c);
    times.push({ c, ms: r.ms });
    kinds.set(r.status, (kinds.get(r.status) ?? 0) + 1);
    const parsed = ((): { code?: unknown; message?: unknown } => {
      try {
        return JSON.parse(r.body) as { code?: unknown; message?: unknown };
      } catch {
        return {};
      }
    })();
    const ok = r.status >= 400 && r.status < 500 && typeof parsed.code === 'string' && /^BERTH_ERR_/.test(parsed.code);
    if (!ok && wrong++ < 10) t.fail(`${c.name}: ${r.status} ${r.body.slice(0, 300)}`);
  }
  t.equal(wrong, 0, `every case got a 4xx in berth's format (statuses: ${JSON.stringify(Object.fromEntries(kinds))})`);
  t.equal(await snapshot(app), before, 'the store, the decision counters and Object.prototype are unchanged');
  const health = await app.app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200, 'still alive');

  const sorted = times.map((x) => x.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const suspects = times.filter((x) => x.ms > SLOW_RATIO * median);
  let slowest = { name: 'none', ratio: 0 };
  for (const s of suspects) {
    const ratio = (await bestOf(app, s.c, 5)) / median;
    if (ratio > slowest.ratio) slowest = { name: s.c.name, ratio };
  }
  t.ok(
    slowest.ratio <= SLOW_RATIO,
    `slowest case after re-runs: ${slowest.name} at ${slowest.ratio.toFixed(1)}x the median`,
  );
  t.comment(`median case ${median.toFixed(3)} ms; ${suspects.length} cases re-run for being over ${SLOW_RATIO}x it`);
});

t.test(`${CASES} byte mutations of valid requests: never a 5xx (seed ${SEED})`, async (t) => {
  const app = testApp({ config: { 'max-nodes': '50' }, reports: NODES.map((n) => report(n)) });
  const rand = seededRandom(SEED + 1);
  const statuses = new Map<number, number>();
  let failed = 0;
  for (let i = 0; i < CASES; i++) {
    const c = mutated(rand, i);
    const r = await timed(app, c);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if ((r.status >= 500 || r.status < 200) && failed++ < 10) t.fail(`${c.name}: ${r.status} ${r.body.slice(0, 300)}`);
  }
  t.equal(failed, 0, `no 5xx (statuses: ${JSON.stringify(Object.fromEntries(statuses))})`);
  t.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, 'the mutations reached both outcomes');
});
