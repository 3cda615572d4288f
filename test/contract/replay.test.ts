/**
 * Replays every request kube-scheduler v1.30.6 sent during the recording (test/fixtures/NOTE.md) through the real
 * route stack and checks the answer against what kube-scheduler's decoder accepts (docs/protocol.md):
 * HTTP 200; in node-names mode a NodeNames subset of the request; in full-nodes mode the survivors in Nodes;
 * string reasons; Error ""; prioritize a top-level array of {Host, Score} with integer scores 0..10.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ANNOTATIONS } from '../../lib/extender/needs.ts';
import { report, testApp } from '../helpers/builders.ts';

const ROOT = join(import.meta.dirname, '../fixtures/kube-scheduler-v1.30');

type Json = Record<string, unknown>;
function load(path: string): Json {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Json;
}

function requestFiles(): string[] {
  const out: string[] = [];
  for (const kind of ['stateful-pod', 'plain-pod'])
    for (const mode of ['node-names', 'full-nodes'])
      for (const verb of ['filter', 'prioritize']) out.push(`${kind}/${mode}/${verb}.request.json`);
  out.push(...readdirSync(join(ROOT, 'large')).map((f) => `large/${f}`));
  return out;
}

function requestNames(body: Json): string[] {
  if (Array.isArray(body['NodeNames'])) return body['NodeNames'] as string[];
  const items = (body['Nodes'] as { items: { metadata: { name: string } }[] }).items;
  return items.map((i) => i.metadata.name);
}

/** What kube-scheduler v1.30's HTTPExtender.Filter would do with the answer; throws where it would error. */
function schedulerAcceptsFilter(request: Json, answer: Json): string[] {
  if (typeof answer['Error'] === 'string' && answer['Error'] !== '') throw new Error(`Error set: ${answer['Error']}`);
  const asked = new Set(requestNames(request));
  const nodeCache = request['NodeNames'] !== null;
  let survivors: string[];
  if (nodeCache && Array.isArray(answer['NodeNames'])) {
    survivors = answer['NodeNames'] as string[];
    for (const n of survivors)
      if (!asked.has(n)) throw new Error(`claims a filtered node ${n} not found in the input node list`);
  } else if (answer['Nodes'] !== null && typeof answer['Nodes'] === 'object') {
    survivors = (answer['Nodes'] as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
  } else {
    survivors = []; // extender.go:293-312: nothing readable means every node is filtered out
  }
  for (const key of ['FailedNodes', 'FailedAndUnresolvableNodes']) {
    for (const [n, reason] of Object.entries((answer[key] ?? {}) as Json)) {
      if (typeof reason !== 'string') throw new Error(`${key}[${n}] is not a string`);
      if (!asked.has(n)) throw new Error(`${key} names ${n}, which was not asked about`);
    }
  }
  return survivors;
}

function schedulerAcceptsPrioritize(request: Json, answer: unknown): Map<string, number> {
  if (!Array.isArray(answer)) throw new Error('prioritize must answer a top-level JSON array');
  const asked = new Set(requestNames(request));
  const scores = new Map<string, number>();
  for (const h of answer as Json[]) {
    if (typeof h['Host'] !== 'string' || !asked.has(h['Host'])) throw new Error(`unexpected host ${String(h['Host'])}`);
    const s = h['Score'];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 10)
      throw new Error(`score ${String(s)} is not an integer 0..10`);
    scores.set(h['Host'], s);
  }
  return scores;
}

function withNeeds(body: Json, annotations: Record<string, string>): Json {
  const pod = structuredClone(body['Pod']) as { metadata: { annotations?: Record<string, string> } };
  pod.metadata.annotations = { ...pod.metadata.annotations, ...annotations };
  return { ...body, Pod: pod };
}

const reports = [
  report('node-a', { zone: 'z1', pools: [['nvme0', 50, 1000]] }),
  report('node-b', { zone: 'z1', pools: [['nvme0', 700, 1000]] }),
  report('node-c', { zone: 'z2', pools: [['nvme0', 300, 1000]] }),
  report('node-d', {
    zone: 'z2',
    pools: [['nvme0', 900, 1000]],
    nics: [{ name: 'eth0', speedBps: 1e9, rxBps: 0, txBps: 0 }],
  }),
  ...Array.from({ length: 2000 }, (_, i) =>
    report(`node-${String(i).padStart(4, '0')}`, { pools: [['nvme0', (i * 37) % 1000, 1000]] }),
  ),
];

t.test(
  'every recorded request, as recorded: berth has no opinion (no berth annotations, no PVC view), so all pass',
  async (t) => {
    const { app } = testApp({ reports, config: { 'accept-full-nodes': true } });
    for (const file of requestFiles()) {
      const body = load(file);
      const verb = file.includes('prioritize') ? 'prioritize' : 'filter';
      const res = await app.inject({
        method: 'POST',
        url: `/scheduler/${verb}`,
        headers: { 'content-type': 'application/json', 'user-agent': 'Go-http-client/1.1', 'accept-encoding': 'gzip' },
        payload: JSON.stringify(body),
      });
      t.equal(res.statusCode, 200, `${file}: 200`);
      if (verb === 'filter')
        t.same(
          schedulerAcceptsFilter(body, res.json()),
          requestNames(body),
          `${file}: every node passes, in request order`,
        );
      else
        t.same(
          [...schedulerAcceptsPrioritize(body, res.json()).keys()],
          [],
          `${file}: no scores for a pod berth has no opinion about`,
        );
    }
  },
);

t.test('the same requests with berth needs: answers kube-scheduler accepts, in the mode it asked in', async (t) => {
  const { app } = testApp({ reports, config: { 'accept-full-nodes': true } });
  const needs = { [ANNOTATIONS.nvmeCapacity]: '200Gi', [ANNOTATIONS.minBandwidth]: '5G' };
  for (const file of requestFiles()) {
    const body = withNeeds(load(file), needs);
    const verb = file.includes('prioritize') ? 'prioritize' : 'filter';
    const res = await app.inject({ method: 'POST', url: `/scheduler/${verb}`, payload: body });
    t.equal(res.statusCode, 200, `${file}: 200`);
    if (verb === 'prioritize') {
      const scores = schedulerAcceptsPrioritize(body, res.json());
      t.equal(scores.size, requestNames(body).length, `${file}: a score for every host`);
      continue;
    }
    const answer = res.json<Json>();
    const survivors = schedulerAcceptsFilter(body, answer);
    const nodeCache = body['NodeNames'] !== null;
    t.equal(answer[nodeCache ? 'Nodes' : 'NodeNames'], null, `${file}: the other mode's field is null`);
    if (file.startsWith('large/')) {
      t.ok(
        survivors.length > 0 && survivors.length < requestNames(body).length,
        `${file}: ${survivors.length} of ${requestNames(body).length} pass`,
      );
      continue;
    }
    t.same(survivors.sort(), ['node-b', 'node-c'], `${file}: only nodes with 200Gi free and 5G headroom`);
    t.same(
      answer['FailedAndUnresolvableNodes'],
      { 'node-a': 'needs 200Gi NVMe; most free on a candidate: 50Gi in one pool' },
      `${file}: capacity is unresolvable`,
    );
    t.same(
      answer['FailedNodes'],
      { 'node-d': 'needs 5Gbit/s bandwidth; most headroom on a candidate: 1Gbit/s' },
      `${file}: bandwidth may be resolvable`,
    );
  }
});

t.test(
  'recorded Content-Length equals the compact size of the stored bodies (the bodies are what was sent)',
  async (t) => {
    for (const dir of [
      'stateful-pod/node-names',
      'stateful-pod/full-nodes',
      'plain-pod/node-names',
      'plain-pod/full-nodes',
    ]) {
      const http = load(`${dir}/filter.http.json`) as { headers: Record<string, string[]>; path: string };
      const compact = Buffer.byteLength(JSON.stringify(load(`${dir}/filter.request.json`)));
      t.equal(compact, Number(http.headers['Content-Length']?.[0]), dir);
      t.equal(http.path, '/scheduler/filter', `${dir}: default prefix matches the recorded path`);
    }
  },
);
