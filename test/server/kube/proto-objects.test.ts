/**
 * The protobuf reader against bytes recorded from kube-apiserver (test/fixtures/kube-proto, written by
 * bench/scale/record-proto-fixtures.ts): the same objects, LISTed and WATCHed in protobuf and in JSON, must give
 * identical projections, fed in chunks of every size. Independent truth for a few fields comes from the objects as
 * written (test/e2e/kube/scale-objects.ts). The same comparison runs live in test/e2e/kube/projection.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interner, PodProjector, type PodRecord } from '../../../lib/extender/pod.ts';
import { claimCodec, classCodec, podCodec, type ResourceCodec } from '../../../server/kube/resources.ts';
import { ProtoReader } from '../../../server/kube/proto-wire.ts';
import { BerthError } from '../../../lib/core/errors.ts';
import { ProtoListSplitter } from '../../../server/kube/proto-stream.ts';
import { podObject, podPlan } from '../../e2e/kube/scale-objects.ts';
import { projectList, projectWatch } from './projection-check.ts';

interface Fixture {
  recordedWith: string;
  protobuf: string;
  json: string;
}

function fixture(name: string): { proto: Buffer; json: Buffer; recordedWith: string } {
  const f = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../fixtures/kube-proto', `${name}.json`), 'utf8'),
  ) as Fixture;
  return { proto: Buffer.from(f.protobuf, 'base64'), json: Buffer.from(f.json), recordedWith: f.recordedWith };
}

/** The codecs as the informers use them, but without the pods' field selector (the fixture has a finished pod). */
const codecs: Record<string, () => ResourceCodec<unknown>> = {
  pods: () => podCodec(new PodProjector()),
  persistentvolumeclaims: () => claimCodec(new Interner()),
  storageclasses: () => classCodec(),
};

for (const [name, codec] of Object.entries(codecs)) {
  t.test(`${name}: protobuf and JSON give the same projections`, async (t) => {
    const f = fixture(name);
    const json = projectList(codec(), f.json, false);
    t.ok(json.items.length >= 2, `${json.items.length} ${name} recorded with ${f.recordedWith}`);
    for (const seed of [1, 2, 3]) {
      const proto = projectList(codec(), f.proto, true, seed);
      t.same(proto, json, `chunking ${seed}: identical`);
    }
    t.ok(f.proto.length < f.json.length, `protobuf ${f.proto.length} bytes, JSON ${f.json.length}`);
  });
}

t.test('pods: the projection holds exactly what berth reads', async (t) => {
  const f = fixture('pods');
  const pods = new Map(
    projectList(codecs['pods']?.() as ResourceCodec<PodRecord>, f.proto, true).items.map((p) => [p.key, p.value]),
  );
  const plan = podPlan(0, 100);
  const written = podObject(plan) as { metadata: { labels: object; annotations: Record<string, string> } };
  const pg = pods.get(`${plan.namespace}/${plan.name}`);
  t.same(pg?.labels, written.metadata.labels, 'every label');
  t.same(
    pg?.annotations,
    Object.fromEntries(Object.entries(written.metadata.annotations).filter(([k]) => k.startsWith('berth.io/'))),
    'only berth.io/ annotations',
  );
  t.same([pg?.claimNames, pg?.nodeName, pg?.terminal], [[`data-${plan.name}`], plan.node, false], 'claims, node');
  const many = pods.get('team-0/many');
  t.equal(many?.controllerUid, '22222222-2222-2222-2222-222222222222', 'the controller among several owners');
  t.same(many?.claimNames, ['claim-a', 'claim-b'], 'claims in volume order, other volumes skipped');
  t.same(
    many?.annotations,
    {
      'berth.io/nvme-capacity': '1Ti',
      'berth.io/peers': 'app in (a,b),!canary',
      'berth.io/unknown': 'kept: berth reads the prefix',
    },
    'berth.io/ annotations, escapes and all',
  );
  t.same(many?.labels, { 'example.com/tier': 'db', empty: '' }, 'empty label values kept');
  t.equal(pods.get('team-0/done')?.terminal, true, 'a Succeeded pod is terminal');
  const bare = pods.get('default/bare');
  t.same(
    bare && [bare.labels, bare.annotations, bare.controllerUid, bare.claimNames, bare.nodeName],
    [{}, {}, null, [], null],
    'a pod with nothing set',
  );
  t.equal(pg?.labels['statefulset.kubernetes.io/pod-name'], pg?.name, 'the pod-name label shares the name');
});

t.test('claims: class from spec or the beta annotation, size, selected node', async (t) => {
  const f = fixture('persistentvolumeclaims');
  const claims = new Map(
    projectList(codecs['persistentvolumeclaims']?.() ?? claimCodec(new Interner()), f.proto, true).items.map((p) => [
      p.key,
      p.value,
    ]),
  );
  t.same(claims.get('team-0/claim-a'), {
    namespace: 'team-0',
    name: 'claim-a',
    uid: (claims.get('team-0/claim-a') as { uid: string } | undefined)?.uid,
    storageClass: 'local-nvme',
    requestBytes: 1500 * 2 ** 20,
    volumeName: null,
    selectedNode: 'node-x',
  });
});

t.test('a recorded watch: the same events in both encodings', async (t) => {
  const f = fixture('pods-watch');
  const codec = codecs['pods']?.() ?? podCodec(new PodProjector());
  const json = projectWatch(codec, f.json, false);
  t.same(
    json.map((e) => e[0]),
    ['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED'],
    'created, bound, marked for deletion, deleted',
  );
  for (const seed of [1, 2, 3]) t.same(projectWatch(codec, f.proto, true, seed), json, `chunking ${seed}`);
});

t.test('malformed protobuf fails with a BerthError, never a hang or a wrong object', async (t) => {
  const f = fixture('pods');
  t.throws(() => new ProtoListSplitter(1 << 23).push(Buffer.from('{"kind":"PodList"}')), BerthError, 'not protobuf');
  const cut = new ProtoListSplitter(1 << 23);
  cut.push(f.proto.subarray(0, f.proto.length - 10));
  t.throws(() => cut.end(), /ended early/, 'a truncated body');
  t.throws(() => new ProtoListSplitter(100).push(f.proto), /larger than 100 bytes/, 'an item over the bound');
  const r = new ProtoReader(Buffer.from([0x0a, 0x05, 0x61]));
  r.next();
  t.throws(() => r.string(), /past the message end/, 'a length past the end');
  t.throws(() => new ProtoReader(Buffer.from([0x80, 0x80])).next(), /truncated varint/, 'a truncated varint');
  const group = new ProtoReader(Buffer.from([0x0b, 0x00]));
  group.next();
  t.throws(
    () => {
      group.skip();
    },
    /unsupported wire type 3/,
    'a group (wire type 3)',
  );
});
