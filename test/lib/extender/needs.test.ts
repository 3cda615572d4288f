import t from 'tap';
import { ANNOTATIONS, hasNeeds, podNeeds, totalNvme } from '../../../lib/extender/needs.ts';
import { podFacts } from '../../../lib/extender/pod.ts';
import { GiB, pod } from '../../helpers/builders.ts';

t.test('annotations become needs', async (t) => {
  const facts = podFacts(
    pod(
      { [ANNOTATIONS.nvmeCapacity]: '200Gi', [ANNOTATIONS.minBandwidth]: '10G', [ANNOTATIONS.maxPeerLatency]: '500us' },
      { ownerUid: 'sts-1' },
    ),
  );
  const r = podNeeds(facts);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.needs.nvmeVolumes, [200 * GiB]);
  t.equal(r.needs.minBandwidthBps, 10e9);
  t.equal(r.needs.maxPeerLatencyUs, 500);
  t.same(r.needs.peers, { kind: 'controller', namespace: 'default', uid: 'sts-1' }, 'default peers: same controller');
  t.ok(hasNeeds(r.needs));
});

t.test('a pod without annotations or claims has no needs', async (t) => {
  const r = podNeeds(podFacts(pod()));
  t.ok(r.ok && !hasNeeds(r.needs));
});

t.test('claims add volumes; the annotation overrides them', async (t) => {
  const facts = podFacts(pod());
  const fromClaims = podNeeds(facts, [100 * GiB, 50 * GiB]);
  t.ok(fromClaims.ok && totalNvme(fromClaims.needs) === 150 * GiB && fromClaims.needs.nvmeVolumes.length === 2);
  const overridden = podNeeds(podFacts(pod({ [ANNOTATIONS.nvmeCapacity]: '10Gi' })), [100 * GiB]);
  t.ok(overridden.ok);
  if (overridden.ok) t.same(overridden.needs.nvmeVolumes, [10 * GiB]);
});

t.test('peers selector', async (t) => {
  const r = podNeeds(podFacts(pod({ [ANNOTATIONS.peers]: 'app=kafka' }, { namespace: 'stream' })));
  t.ok(r.ok);
  if (!r.ok || r.needs.peers?.kind !== 'selector') {
    t.fail('expected a selector rule');
    return;
  }
  t.equal(r.needs.peers.namespace, 'stream');
  t.equal(r.needs.peers.selector.text, 'app=kafka');
});

t.test('latency without peers or owner asks for nothing to compare', async (t) => {
  const r = podNeeds(podFacts(pod({ [ANNOTATIONS.maxPeerLatency]: '1ms' })));
  t.ok(r.ok && r.needs.peers === null && !hasNeeds(r.needs));
});

t.test('invalid annotations give a clear reason', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { [ANNOTATIONS.nvmeCapacity]: 'lots' },
      /invalid annotation berth.io\/nvme-capacity="lots": expected a positive quantity/,
    ],
    [{ [ANNOTATIONS.nvmeCapacity]: '0' }, /nvme-capacity="0"/],
    [{ [ANNOTATIONS.nvmeCapacity]: '-5Gi' }, /nvme-capacity="-5Gi"/],
    [{ [ANNOTATIONS.minBandwidth]: 'fast' }, /min-bandwidth="fast": expected bits per second/],
    [{ [ANNOTATIONS.maxPeerLatency]: '500' }, /max-peer-latency="500": expected a positive duration/],
    [{ [ANNOTATIONS.maxPeerLatency]: '0s' }, /max-peer-latency="0s"/],
    [{ [ANNOTATIONS.peers]: 'app in (a b)' }, /peers="app in \(a b\)": invalid label value/],
  ];
  for (const [annotations, want] of cases) {
    const r = podNeeds(podFacts(pod(annotations)));
    t.notOk(r.ok, JSON.stringify(annotations));
    if (!r.ok) t.match(r.reason, want);
  }
});

t.test('podFacts tolerates odd pods', async (t) => {
  const facts = podFacts({
    metadata: {
      name: 'x',
      annotations: { a: 1, b: 'ok' },
      labels: null,
      ownerReferences: [{ controller: false, uid: 'u' }],
    },
    spec: { volumes: [{ persistentVolumeClaim: { claimName: 'c1' } }, { emptyDir: {} }, null] },
  });
  t.same(facts.annotations, { b: 'ok' }, 'non-string annotation values are ignored');
  t.same(facts.labels, {});
  t.equal(facts.controllerUid, null, 'only a controller owner counts');
  t.same(facts.claimNames, ['c1']);
  t.equal(facts.namespace, 'default');
});
