/**
 * The pod-routing webhook through inject(): AdmissionReview in, AdmissionReview out. The ClaimSource is an
 * in-memory stand-in for the Kubernetes side (which test/e2e/adoption/routing.test.ts runs for real); it counts
 * lookups, so the tests also show when the webhook asks for nothing.
 */
import t from 'tap';
import type { ClaimFacts, ClassFacts } from '../../../lib/cluster/claim-volumes.ts';
import { MARKER, type ClaimSource } from '../../../lib/cluster/routing.ts';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';
import { ADMISSION_PATH } from '../../../server/http/admission.ts';
import { buildApp } from '../../../server/http/app.ts';
import { testApp } from '../../helpers/builders.ts';

function claim(name: string, storageClass: string | null, volumeName: string | null = null): ClaimFacts {
  return {
    namespace: 'db',
    name,
    uid: `u-${name}`,
    storageClass,
    requestBytes: 2 ** 30,
    volumeName,
    selectedNode: null,
  };
}

class FakeClaims implements ClaimSource {
  readonly match = { classes: ['local-nvme'], provisioners: ['topolvm.io'] };
  readonly asked: string[] = [];
  readonly claims = new Map<string, ClaimFacts>([
    ['db/data-nvme', claim('data-nvme', 'local-nvme')],
    ['db/data-topo', claim('data-topo', 'topo')],
    ['db/data-std', claim('data-std', 'standard')],
    ['db/data-bound', claim('data-bound', 'local-nvme', 'pv-1')],
  ]);
  readonly classes = new Map<string, ClassFacts>([
    ['topo', { name: 'topo', provisioner: 'topolvm.io' }],
    ['standard', { name: 'standard', provisioner: 'ebs.csi.aws.com' }],
  ]);
  failing = false;

  async claim(namespace: string, name: string): Promise<{ claim: ClaimFacts | null; error?: string }> {
    this.asked.push(`claim ${namespace}/${name}`);
    if (this.failing) return { claim: null, error: `claim ${namespace}/${name} could not be read: timeout` };
    return { claim: this.claims.get(`${namespace}/${name}`) ?? null };
  }

  async storageClass(name: string): Promise<ClassFacts | undefined> {
    this.asked.push(`class ${name}`);
    return this.classes.get(name);
  }
}

function app(claims?: ClaimSource): ReturnType<typeof buildApp> {
  const { deps } = testApp();
  return buildApp(claims === undefined ? deps : { ...deps, claims });
}

function review(o: { annotations?: Record<string, string>; claims?: string[]; operation?: string; kind?: string }) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: o.kind ?? 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: o.operation ?? 'CREATE',
      namespace: 'db',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        // As a StatefulSet or ReplicaSet sends it: the namespace comes with the request, not in the object.
        metadata: { generateName: 'kv-', annotations: o.annotations ?? {} },
        spec: {
          containers: [{ name: 'kv', image: 'pause', resources: { limits: { memory: '1Gi' } } }],
          volumes: (o.claims ?? []).map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
        },
      },
    },
  };
}

interface ReviewAnswer {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    patchType?: string;
    patch?: string;
    auditAnnotations?: Record<string, string>;
  };
}

async function send(a: ReturnType<typeof buildApp>, body: unknown): Promise<ReviewAnswer> {
  const res = await a.inject({ method: 'POST', url: ADMISSION_PATH, payload: body as Record<string, unknown> });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return res.json<ReviewAnswer>();
}

function patchOf(answer: ReviewAnswer): unknown {
  return answer.response.patch === undefined
    ? undefined
    : JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8'));
}

const MARKER_PATH = `/spec/containers/0/resources/limits/${MARKER.replace('/', '~1')}`;

t.test('an annotated pod gets the marker, without any claim lookup', async (t) => {
  const claims = new FakeClaims();
  const answer = await send(app(claims), review({ annotations: { [ANNOTATIONS.nvmeCapacity]: '200Gi' } }));
  t.equal(answer.apiVersion, 'admission.k8s.io/v1');
  t.equal(answer.kind, 'AdmissionReview');
  t.equal(answer.response.uid, '705ab4f5-6393-11e8-b7cc-42010a800002', 'the request uid is echoed');
  t.equal(answer.response.allowed, true);
  t.equal(answer.response.patchType, 'JSONPatch');
  t.same(patchOf(answer), [
    { op: 'add', path: MARKER_PATH, value: '1' },
    { op: 'add', path: '/spec/containers/0/resources/requests', value: { [MARKER]: '1' } },
  ]);
  t.equal(answer.response.auditAnnotations?.['routed'], 'true: carries berth.io/nvme-capacity');
  t.same(claims.asked, [], 'the annotation decided: no claim was looked up');
});

t.test('a pod with an unbound local-NVMe claim gets the marker', async (t) => {
  for (const [name, why] of [
    ['data-nvme', /db\/data-nvme of StorageClass local-nvme/],
    ['data-topo', /db\/data-topo of StorageClass topo \(provisioner topolvm\.io\)/],
  ] as const) {
    const claims = new FakeClaims();
    const answer = await send(app(claims), review({ claims: ['data-std', name] }));
    t.equal(answer.response.patchType, 'JSONPatch', `${name}: patched`);
    t.match(answer.response.auditAnnotations?.['routed'], why, `${name}: the audit annotation says why`);
    t.ok(claims.asked.includes(`claim db/${name}`), `${name}: looked up in the request's namespace`);
  }
});

t.test('pods berth has nothing to judge are allowed unchanged', async (t) => {
  const cases = [
    { name: 'plain pod', body: review({}), why: /no berth\.io need annotation/ },
    { name: 'claim of another class', body: review({ claims: ['data-std'] }), why: /no unbound local-NVMe claim/ },
    { name: 'bound claim', body: review({ claims: ['data-bound'] }), why: /no unbound/ },
    { name: 'missing claim', body: review({ claims: ['nope'] }), why: /no unbound/ },
    { name: 'an update', body: review({ operation: 'UPDATE' }), why: /not a pod creation \(UPDATE Pod\)/ },
    { name: 'not a pod', body: review({ kind: 'Binding' }), why: /not a pod creation/ },
  ];
  for (const c of cases) {
    const answer = await send(app(new FakeClaims()), c.body);
    t.equal(answer.response.allowed, true, `${c.name}: allowed`);
    t.equal(answer.response.patch, undefined, `${c.name}: no patch`);
    t.equal(answer.response.patchType, undefined, `${c.name}: no patch type`);
    t.match(
      answer.response.auditAnnotations?.['routed'],
      c.why,
      `${c.name}: ${answer.response.auditAnnotations?.['routed']}`,
    );
  }
});

t.test('a claim that cannot be read leaves the pod alone and says why', async (t) => {
  const claims = new FakeClaims();
  claims.failing = true;
  const answer = await send(app(claims), review({ claims: ['data-nvme'] }));
  t.equal(answer.response.allowed, true);
  t.equal(answer.response.patch, undefined);
  t.match(answer.response.auditAnnotations?.['routed'], /could not be read: timeout/);
});

t.test('without a Kubernetes side (standalone) only annotations route', async (t) => {
  const a = app();
  t.equal((await send(a, review({ claims: ['data-nvme'] }))).response.patch, undefined, 'a claim alone: unchanged');
  t.equal(
    (await send(a, review({ annotations: { [ANNOTATIONS.minBandwidth]: '1G' } }))).response.patchType,
    'JSONPatch',
    'an annotation: marked',
  );
});

t.test('a malformed AdmissionReview is a 400 naming the field', async (t) => {
  const a = app(new FakeClaims());
  const good = review({});
  const cases: { name: string; body: unknown; field: RegExp }[] = [
    { name: 'not an object', body: [1, 2], field: /body: must be an AdmissionReview/ },
    {
      name: 'v1beta1',
      body: { ...good, apiVersion: 'admission.k8s.io/v1beta1' },
      field: /apiVersion: must be admission\.k8s\.io\/v1/,
    },
    { name: 'wrong kind', body: { ...good, kind: 'Pod' }, field: /kind: must be AdmissionReview/ },
    { name: 'no request', body: { apiVersion: good.apiVersion, kind: good.kind }, field: /request: must be an object/ },
    { name: 'no uid', body: { ...good, request: { ...good.request, uid: '' } }, field: /request\.uid/ },
    { name: 'huge uid', body: { ...good, request: { ...good.request, uid: 'x'.repeat(129) } }, field: /request\.uid/ },
    {
      name: 'no operation',
      body: { ...good, request: { ...good.request, operation: 7 } },
      field: /request\.operation/,
    },
    { name: 'no kind', body: { ...good, request: { ...good.request, kind: 'Pod' } }, field: /request\.kind\.kind/ },
    {
      name: 'object not a map',
      body: { ...good, request: { ...good.request, object: 'pod' } },
      field: /request\.object/,
    },
  ];
  for (const c of cases) {
    const res = await a.inject({ method: 'POST', url: ADMISSION_PATH, payload: c.body as Record<string, unknown> });
    t.equal(res.statusCode, 400, `${c.name}: 400`);
    const body = res.json<{ code: string; message: string }>();
    t.equal(body.code, 'BERTH_ERR_BAD_REQUEST', `${c.name}: code`);
    t.match(body.message, c.field, `${c.name}: ${body.message}`);
  }
  const notJson = await a.inject({
    method: 'POST',
    url: ADMISSION_PATH,
    payload: '{',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(notJson.statusCode, 400, 'broken JSON: 400');
});

t.test('the webhook is counted in the request metrics as verb "admission"', async (t) => {
  const { deps } = testApp();
  const a = buildApp(deps);
  await send(a, review({}));
  const text = await deps.metrics.registry.metrics();
  t.match(text, /berth_extender_request_duration_seconds_count\{verb="admission",code="200"\} 1/);
});
