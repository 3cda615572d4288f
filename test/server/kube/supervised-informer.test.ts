/**
 * SupervisedInformer against the fake API server (fake-api-server.ts). A real API server cannot be told to fail
 * one watch with a 500, expire a continue token between two pages, end every watch with 410 Gone, or relist every
 * few hundred milliseconds (the flag's minimum is 60 s); those conditions are what this file covers. Restarts,
 * stalls and reconciliation against a real API server: test/e2e/kube/recovery.test.ts.
 */
import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import { PodProjector, type PodRecord } from '../../../lib/extender/pod.ts';
import { ApiClient } from '../../../server/kube/api-get.ts';
import { podCodec } from '../../../server/kube/resources.ts';
import { Slicer } from '../../../server/kube/slicer.ts';
import { SupervisedInformer, type InformerSink } from '../../../server/kube/supervised-informer.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { waitFor } from '../../helpers/wait.ts';

const PODS = '/api/v1/pods';

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function pod(name: string, extra: { node?: string; phase?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'a' } },
    spec: { ...(extra.node === undefined ? {} : { nodeName: extra.node }), containers: [{ name: 'c', image: 'i' }] },
    status: { phase: extra.phase ?? 'Running' },
  };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  await waitFor(check, { timeoutMs: ms, description: what });
}

/** A sink that records what it was told, and the most it ever held at once. */
class RecordingSink implements InformerSink<PodRecord> {
  readonly held = new Map<string, PodRecord>();
  readonly upserts: { key: string; initial: boolean }[] = [];
  readonly removed: { key: string; last: PodRecord | null }[] = [];
  most = 0;

  upsert(key: string, value: PodRecord, initial: boolean): void {
    this.held.set(key, value);
    this.upserts.push({ key, initial });
    this.most = Math.max(this.most, this.held.size);
  }

  remove(key: string, last: PodRecord | null): void {
    this.held.delete(key);
    this.removed.push({ key, last });
  }

  keys(): Iterable<string> {
    return this.held.keys();
  }

  size(): number {
    return this.held.size;
  }
}

interface Setup {
  fake: FakeApiServer;
  sink: RecordingSink;
  informer: SupervisedInformer<PodRecord>;
  slicer: Slicer;
  logs: string[];
}

async function setup(
  t: Test,
  opts: { pods?: number; pageSize?: number; resyncMs?: number; inactivityMs?: number; slicer?: Slicer } = {},
): Promise<Setup> {
  const fake = await FakeApiServer.start();
  t.teardown(() => fake.close());
  fake.collection(PODS, { apiVersion: 'v1', kind: 'Pod' });
  for (let i = 0; i < (opts.pods ?? 3); i++) fake.put(PODS, pod(`p${i}`, { node: 'n1' }));
  const sink = new RecordingSink();
  const api = new ApiClient(kubeConfig(fake.url));
  const slicer = opts.slicer ?? new Slicer();
  const logs: string[] = [];
  const informer = new SupervisedInformer({
    api,
    codec: podCodec(new PodProjector()),
    sink,
    slicer,
    pageSize: opts.pageSize ?? 500,
    watchdogTimeoutMs: 60_000,
    resyncPeriodMs: opts.resyncMs ?? 600_000,
    now: () => Date.now(),
    random: () => 0,
    log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`),
    ...(opts.inactivityMs === undefined ? {} : { watchInactivityMs: opts.inactivityMs }),
  });
  t.teardown(async () => {
    await informer.stop();
    api.close();
  });
  informer.start();
  await until(() => informer.health.phase === 'synced', 'the first sync');
  return { fake, sink, informer, slicer, logs };
}

const lists = (fake: FakeApiServer): typeof fake.requests =>
  fake.requests.filter((r) => r.path === PODS && r.query['watch'] === undefined);
const watches = (fake: FakeApiServer): typeof fake.requests =>
  fake.requests.filter((r) => r.path === PODS && r.query['watch'] === 'true');

t.test('lists in pages, watches from the list resourceVersion, and keeps only projections', async (t) => {
  const { fake, sink, informer } = await setup(t, { pods: 1234, pageSize: 100 });
  const pages = lists(fake);
  t.equal(pages.length, 13, '1,234 objects in pages of 100');
  t.same(
    pages.map((p) => p.query['limit']),
    Array(13).fill('100'),
    'every page asks for limit=100',
  );
  t.equal(pages[0]?.query['continue'], undefined, 'the first page has no continue token');
  t.ok(
    pages.slice(1).every((p) => (p.query['continue'] ?? '') !== ''),
    'every later page follows the continue token',
  );
  t.equal(pages[0]?.query['fieldSelector'], 'status.phase!=Succeeded,status.phase!=Failed', 'finished pods left out');
  t.match(pages[0]?.accept ?? '', /application\/vnd\.kubernetes\.protobuf, application\/json/, 'protobuf first');
  t.equal(sink.held.size, 1234, 'every object arrived');
  t.ok(
    sink.upserts.every((u) => u.initial),
    'the first LIST is marked initial',
  );
  const held = sink.held.get('ns/p7');
  t.same(
    held && { ...held },
    {
      namespace: 'ns',
      name: 'p7',
      uid: 'uid-p7',
      labels: { app: 'a' },
      annotations: {},
      controllerUid: null,
      claimNames: [],
      nodeName: 'n1',
      terminal: false,
    },
    'the sink holds the projection, nothing of the raw object',
  );
  await until(() => watches(fake).length === 1, 'the watch');
  t.equal(watches(fake)[0]?.query['resourceVersion'], String(fake.resourceVersion), 'watch from the list RV');
  t.equal(watches(fake)[0]?.query['allowWatchBookmarks'], 'true', 'with bookmarks');
  t.equal(informer.lastList?.pages, 13, 'lastList counts the pages');
});

t.test('watch events: added, modified, deleted (with the last state), in order', async (t) => {
  const { fake, sink } = await setup(t);
  await until(() => fake.openWatches === 1, 'the watch');
  fake.put(PODS, pod('new', { node: 'n2' }));
  fake.put(PODS, pod('p0', { node: 'n3' }));
  fake.delete(PODS, 'ns/p1');
  await until(() => sink.removed.length === 1, 'the deletion');
  t.equal(sink.held.get('ns/new')?.nodeName, 'n2', 'added');
  t.equal(sink.held.get('ns/p0')?.nodeName, 'n3', 'modified');
  t.equal(sink.removed[0]?.key, 'ns/p1', 'deleted');
  t.equal(sink.removed[0]?.last?.uid, 'uid-p1', 'with the state the API server sent');
  t.notOk(
    sink.upserts.slice(3).some((u) => u.initial),
    'events after the first sync are not initial',
  );
});

t.test('a watch that fails with 500: restarted after a backoff, and the relist reconciles', async (t) => {
  const { fake, sink, informer } = await setup(t);
  await until(() => fake.openWatches === 1, 'the watch');
  fake.failWatches.push(500);
  fake.deleteQuietly(PODS, 'ns/p1');
  fake.put(PODS, pod('c'));
  fake.endWatches(); // a clean close: the informer re-watches and meets the 500
  await until(() => informer.health.restarts === 1, 'the restart');
  t.match(informer.health.reason ?? '', /500/, `reason: ${informer.health.reason ?? ''}`);
  await until(() => informer.health.phase === 'synced', 'synced again');
  t.same(
    sink.removed.map((r) => r.key),
    ['ns/p1'],
    'the object deleted meanwhile is reported deleted after the relist',
  );
  t.equal(sink.removed[0]?.last, null, 'a relist knows only the key');
  t.ok(sink.held.has('ns/c'), 'and the one added meanwhile is there');
});

t.test('410 Gone on a watch relists in place: no restart, readiness kept', async (t) => {
  const { fake, sink, informer } = await setup(t, { pods: 50, pageSize: 20 });
  await until(() => fake.openWatches === 1, 'the watch');
  const before = lists(fake).length;
  fake.deleteQuietly(PODS, 'ns/p3');
  fake.goneWatches();
  await until(() => sink.removed.length === 1 && fake.openWatches === 1, 'the relist and a new watch');
  t.equal(lists(fake).length - before, 3, 'one full paginated LIST (50 in pages of 20)');
  t.equal(informer.health.restarts, 0, 'not a restart');
  t.equal(informer.health.phase, 'synced', 'stayed synced');
  t.equal(sink.most, 50, 'the relist overwrote entries in place: never more than one per object');
  fake.put(PODS, pod('after'));
  await until(() => sink.held.has('ns/after'), 'events after the relist');
  t.pass('the new watch delivers events');
});

t.test('a watch from a compacted resourceVersion gets 410 and lists again', async (t) => {
  const { fake, sink, informer } = await setup(t);
  await until(() => fake.openWatches === 1, 'the watch');
  fake.put(PODS, pod('x'));
  await until(() => sink.held.has('ns/x'), 'x');
  fake.deleteQuietly(PODS, 'ns/p0');
  fake.compact();
  fake.endWatches(); // the re-watch from x's resourceVersion is now too old
  await until(() => lists(fake).length === 2 && fake.openWatches === 1, 'a relist');
  t.equal(informer.health.restarts, 0, 'a relist, not a restart');
});

t.test('an expired continue token mid-list restarts the list from the first page', async (t) => {
  const { fake, sink, informer, logs } = await setup(t, { pods: 30, pageSize: 10 });
  await until(() => fake.openWatches === 1, 'the watch');
  const before = lists(fake).length;
  fake.expireAfterPages = 1; // the second page of the next list finds its token expired
  fake.deleteQuietly(PODS, 'ns/p5');
  fake.goneWatches();
  await until(() => sink.removed.length === 1 && fake.openWatches === 1, 'the relist');
  const relist = lists(fake).slice(before);
  t.same(
    relist.map((r) => r.query['continue'] === undefined),
    [true, false, true, false, false],
    'page 1, page 2 answered 410, then pages 1–3 again',
  );
  t.equal(informer.health.restarts, 0, 'no restart');
  t.same(
    sink.removed.map((r) => r.key),
    ['ns/p5'],
    'reconciled against the complete second pass',
  );
  t.match(logs.at(-1) ?? '', /"expiredRestarts":1/, 'logged');
});

t.test('periodic relists keep the informer synced, count, and reconcile', async (t) => {
  const { fake, sink, informer } = await setup(t, { resyncMs: 300 });
  fake.deleteQuietly(PODS, 'ns/p0'); // no watch event: only a relist can notice
  await until(() => informer.health.relists >= 2, 'two relists');
  await until(() => sink.removed.length === 1, 'the reconcile');
  t.same(
    sink.removed.map((r) => r.key),
    ['ns/p0'],
    'a relist reconciles what no event said',
  );
  t.equal(informer.health.restarts, 0, 'relists are not restarts');
  t.equal(informer.health.phase, 'synced');
  t.equal(sink.most, 3, 'never two copies');
});

t.test('bookmarks move the resourceVersion a re-watch starts from', async (t) => {
  const { fake } = await setup(t);
  await until(() => fake.openWatches === 1, 'the watch');
  fake.put('/api/v1/pods', pod('bump')); // moves the RV
  fake.bookmark();
  const bookmarked = String(fake.resourceVersion);
  fake.endWatches(); // after the bookmark on the same stream: the informer reads it first
  await until(() => watches(fake).length === 2, 'the re-watch');
  t.equal(watches(fake)[1]?.query['resourceVersion'], bookmarked, 'from the bookmark');
});

t.test('a watch quiet for the inactivity timeout is re-established, not failed', async (t) => {
  const { fake, informer } = await setup(t, { inactivityMs: 200 });
  await until(() => watches(fake).length >= 3, 'two re-watches');
  t.equal(informer.health.restarts, 0, 'no restart');
  t.equal(informer.health.phase, 'synced');
  t.equal(lists(fake).length, 1, 'no relist either');
});

t.test('items split across many small chunks arrive whole', async (t) => {
  const { fake, sink } = await setup(t, { pods: 0, pageSize: 10 });
  fake.chunkBytes = 7;
  for (let i = 0; i < 40; i++) fake.load(PODS, loaded(`p${i}`));
  // Relisted through a 410, the 40 objects come in 7-byte chunks, 10 to a page.
  await until(() => fake.openWatches === 1, 'the watch');
  fake.requests.length = 0;
  fake.goneWatches();
  await until(() => sink.held.size === 40, 'the relist');
  t.equal(sink.held.get('ns/p39')?.nodeName, 'n1', 'intact');
  t.equal(lists(fake).length, 4, 'in 4 pages');
});

function loaded(name: string): { key: string; json: Buffer; proto: null; phase: string } {
  return {
    key: `ns/${name}`,
    json: Buffer.from(JSON.stringify(pod(name, { node: 'n1' }))),
    proto: null,
    phase: 'Running',
  };
}

t.test('every object is processed in a slice: the loop gets a turn between slices', async (t) => {
  let clock = 0;
  const slicer = new Slicer(5, () => (clock += 1)); // each look at the clock is 1 ms of work
  const { sink } = await setup(t, { pods: 400, pageSize: 100, slicer });
  t.equal(sink.held.size, 400);
  t.ok(slicer.yields >= 400 / 5, `yielded ${slicer.yields} times for 400 objects (at most 5 per slice)`);
});

t.test('an object larger than the bound fails the informer with a clear reason', async (t) => {
  const { fake, informer } = await setup(t);
  const huge = pod('huge');
  (huge['metadata'] as Record<string, unknown>)['annotations'] = { big: 'x'.repeat(9 * 1024 * 1024) };
  fake.put(PODS, huge);
  await until(() => informer.health.restarts >= 1, 'the failure');
  t.match(informer.health.reason ?? '', /watch event is longer than 8388608 bytes/, 'as a watch event');
  await until(() => informer.health.restarts >= 2, 'the next failure');
  t.match(informer.health.reason ?? '', /list item is larger than 8388608 bytes/, 'as a list item');
});
