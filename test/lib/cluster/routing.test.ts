import t from 'tap';
import { claimFacts, type ClaimFacts, type ClassFacts } from '../../../lib/cluster/claim-volumes.ts';
import {
  claimsToLookUp,
  decideRouting,
  MARKER,
  markerPatch,
  NEED_ANNOTATIONS,
  routingFacts,
} from '../../../lib/cluster/routing.ts';
import { ANNOTATIONS } from '../../../lib/extender/needs.ts';

interface PodSpec {
  annotations?: Record<string, string>;
  claims?: string[];
  nodeName?: string;
  resources?: Record<string, unknown> | null;
  initMarker?: boolean;
  containers?: number;
}

function pod(o: PodSpec = {}): Record<string, unknown> {
  const count = o.containers ?? 1;
  const containers = Array.from({ length: count }, (_, i) => ({
    name: `c${i}`,
    image: 'pause',
    ...(o.resources === null ? {} : { resources: structuredClone(o.resources ?? {}) }),
  }));
  return {
    metadata: { name: 'kv-0', namespace: 'db', annotations: o.annotations ?? {} },
    spec: {
      containers,
      ...(o.initMarker ? { initContainers: [{ name: 'i', resources: { limits: { [MARKER]: '1' } } }] } : {}),
      volumes: (o.claims ?? []).map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    },
  };
}

function claim(name: string, cls: string | null, bound = false): ClaimFacts {
  const facts = claimFacts({
    metadata: { name, namespace: 'db' },
    spec: {
      ...(cls === null ? {} : { storageClassName: cls }),
      resources: { requests: { storage: '100Gi' } },
      ...(bound ? { volumeName: 'pv-1' } : {}),
    },
  });
  if (facts === null) throw new Error('bad claim');
  return facts;
}

const classes = new Map<string, ClassFacts>([
  ['local-nvme', { name: 'local-nvme', provisioner: 'rancher.io/local-path' }],
  ['topo', { name: 'topo', provisioner: 'topolvm.io' }],
  ['standard', { name: 'standard', provisioner: 'ebs.csi.aws.com' }],
]);
const match = { classes: ['local-nvme'], provisioners: ['topolvm.io'] };

t.test('the need annotations are exactly the ones berth reads, but berth.io/co-location', async (t) => {
  const needs = Object.values(ANNOTATIONS).filter((a) => a !== ANNOTATIONS.coLocation);
  t.same([...NEED_ANNOTATIONS].sort(), needs.sort());
});

t.test('which pods are routed to berth', async (t) => {
  const known = new Map<string, ClaimFacts | null>([
    ['data-nvme', claim('data-nvme', 'local-nvme')],
    ['data-topo', claim('data-topo', 'topo')],
    ['data-std', claim('data-std', 'standard')],
    ['data-bound', claim('data-bound', 'local-nvme', true)],
    ['data-noclass', claim('data-noclass', null)],
    ['data-unseen-class', claim('data-unseen-class', 'later')],
    ['gone', null],
  ]);
  const cases: { name: string; pod: PodSpec; route: boolean; reason: RegExp; lookUp: string[] }[] = [
    { name: 'a plain pod', pod: {}, route: false, reason: /no berth\.io need annotation/, lookUp: [] },
    ...NEED_ANNOTATIONS.map((a) => ({
      name: `only ${a}`,
      pod: { annotations: { [a]: 'x' } },
      route: true,
      reason: new RegExp(`carries ${a}`),
      lookUp: [],
    })),
    {
      name: 'an invalid annotation value is still routed (berth then names the problem on every node)',
      pod: { annotations: { [ANNOTATIONS.nvmeCapacity]: 'lots' } },
      route: true,
      reason: /carries berth\.io\/nvme-capacity/,
      lookUp: [],
    },
    {
      name: 'berth.io/co-location alone is no need (it only qualifies how needs are met)',
      pod: { annotations: { [ANNOTATIONS.coLocation]: 'allow' } },
      route: false,
      reason: /no berth\.io need/,
      lookUp: [],
    },
    {
      name: 'another berth.io annotation is not a need',
      pod: { annotations: { 'berth.io/note': 'x' } },
      route: false,
      reason: /no berth\.io need/,
      lookUp: [],
    },
    {
      name: 'unbound claim of a named local-NVMe class',
      pod: { claims: ['data-std', 'data-nvme'] },
      route: true,
      reason: /mounts unbound local-NVMe claim db\/data-nvme of StorageClass local-nvme$/,
      lookUp: ['data-std', 'data-nvme'],
    },
    {
      name: 'unbound claim of a class whose provisioner is local NVMe',
      pod: { claims: ['data-topo'] },
      route: true,
      reason: /db\/data-topo of StorageClass topo \(provisioner topolvm\.io\)/,
      lookUp: ['data-topo'],
    },
    {
      name: 'a claim of another class',
      pod: { claims: ['data-std'] },
      route: false,
      reason: /no unbound local-NVMe claim/,
      lookUp: ['data-std'],
    },
    {
      name: 'a bound claim: VolumeBinding pins the pod to its volume, berth has nothing to add',
      pod: { claims: ['data-bound'] },
      route: false,
      reason: /no unbound local-NVMe claim/,
      lookUp: ['data-bound'],
    },
    {
      name: 'a claim without a class',
      pod: { claims: ['data-noclass'] },
      route: false,
      reason: /no unbound/,
      lookUp: ['data-noclass'],
    },
    {
      name: 'a claim whose class is not known and not named',
      pod: { claims: ['data-unseen-class'] },
      route: false,
      reason: /no unbound/,
      lookUp: ['data-unseen-class'],
    },
    {
      name: 'a claim that does not exist',
      pod: { claims: ['gone'] },
      route: false,
      reason: /no unbound/,
      lookUp: ['gone'],
    },
    {
      name: 'a claim never looked up',
      pod: { claims: ['never-asked'] },
      route: false,
      reason: /no unbound/,
      lookUp: ['never-asked'],
    },
    {
      name: 'already carries the marker in a container',
      pod: { annotations: { [ANNOTATIONS.minBandwidth]: '1G' }, resources: { limits: { [MARKER]: '1' } } },
      route: false,
      reason: /already requests berth\.io\/managed/,
      lookUp: [],
    },
    {
      name: 'already carries the marker as a request only',
      pod: { claims: ['data-nvme'], resources: { requests: { [MARKER]: '1' } } },
      route: false,
      reason: /already requests/,
      lookUp: [],
    },
    {
      name: 'already carries the marker in an init container',
      pod: { claims: ['data-nvme'], initMarker: true },
      route: false,
      reason: /already requests/,
      lookUp: [],
    },
    {
      name: 'already bound to a node',
      pod: { annotations: { [ANNOTATIONS.nvmeCapacity]: '1Gi' }, nodeName: 'n1' },
      route: false,
      reason: /already bound to node n1/,
      lookUp: [],
    },
    {
      name: 'no containers',
      pod: { annotations: { [ANNOTATIONS.nvmeCapacity]: '1Gi' }, containers: 0 },
      route: false,
      reason: /no containers/,
      lookUp: [],
    },
  ];
  for (const c of cases) {
    const facts = routingFacts(pod(c.pod));
    t.same(claimsToLookUp(facts), c.lookUp, `${c.name}: claims looked up`);
    const got = decideRouting(facts, known, (n) => classes.get(n), match);
    t.equal(got.route, c.route, `${c.name}: ${c.route ? 'routed' : 'left alone'}`);
    t.match(got.reason, c.reason, `${c.name}: reason "${got.reason}"`);
    if (got.route) t.ok(got.patch.length > 0, `${c.name}: with a patch`);
  }
});

/** Applies the "add" operations the way an API server does (RFC 6902 on a JSON document). */
function applyPatch(doc: Record<string, unknown>, ops: ReturnType<typeof markerPatch>): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const op of ops) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    if (last === undefined) throw new Error('empty path');
    let at: unknown = out;
    for (const k of keys) {
      at = Array.isArray(at) ? at[Number(k)] : (at as Record<string, unknown>)[k];
      if (typeof at !== 'object' || at === null) throw new Error(`${op.path}: parent ${k} missing`);
    }
    (at as Record<string, unknown>)[last] = op.value;
  }
  return out;
}

t.test('the patch adds the marker as limit and request, whatever the first container already has', async (t) => {
  const shapes: { name: string; resources: Record<string, unknown> | null }[] = [
    { name: 'no resources field', resources: null },
    { name: 'empty resources', resources: {} },
    { name: 'limits only', resources: { limits: { memory: '1Gi' } } },
    { name: 'requests only', resources: { requests: { cpu: '1' } } },
    { name: 'both', resources: { limits: { memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } },
  ];
  for (const s of shapes) {
    const before = pod({ containers: 2, resources: s.resources });
    const after = applyPatch(before, markerPatch(routingFacts(before)));
    const containers = (after['spec'] as { containers: { resources?: Record<string, Record<string, string>> }[] })
      .containers;
    const first = containers[0]?.resources ?? {};
    t.equal(first['limits']?.[MARKER], '1', `${s.name}: limit set`);
    t.equal(first['requests']?.[MARKER], '1', `${s.name}: request set`);
    const original = (s.resources ?? {}) as Record<string, Record<string, string>>;
    for (const level of ['limits', 'requests'])
      for (const [k, v] of Object.entries(original[level] ?? {}))
        t.equal(first[level]?.[k], v, `${s.name}: ${level}.${k} kept`);
    t.same(containers[1], (before['spec'] as { containers: unknown[] }).containers[1], `${s.name}: others untouched`);
    t.ok(routingFacts(after).marked, `${s.name}: the patched pod counts as marked (the patch is idempotent)`);
  }
});
