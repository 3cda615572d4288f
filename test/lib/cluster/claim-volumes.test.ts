import t from 'tap';
import {
  claimFacts,
  claimVolumes,
  classFacts,
  SELECTED_NODE,
  type ClaimFacts,
  type ClassFacts,
} from '../../../lib/cluster/claim-volumes.ts';

const GiB = 2 ** 30;

function pvc(
  name: string,
  opts: { cls?: string; storage?: string; volumeName?: string; selectedNode?: string; betaClass?: string } = {},
): unknown {
  return {
    metadata: {
      name,
      namespace: 'db',
      uid: `uid-${name}`,
      annotations: {
        ...(opts.selectedNode ? { [SELECTED_NODE]: opts.selectedNode } : {}),
        ...(opts.betaClass ? { 'volume.beta.kubernetes.io/storage-class': opts.betaClass } : {}),
      },
    },
    spec: {
      ...(opts.cls ? { storageClassName: opts.cls } : {}),
      resources: { requests: { storage: opts.storage ?? '100Gi' } },
      ...(opts.volumeName ? { volumeName: opts.volumeName } : {}),
    },
  };
}

const classes = new Map<string, ClassFacts>([
  ['local-nvme', { name: 'local-nvme', provisioner: 'other' }],
  ['csi-nvme', { name: 'csi-nvme', provisioner: 'nvme.csi.example.com' }],
  ['standard', { name: 'standard', provisioner: 'ebs.csi.aws.com' }],
]);
const match = { classes: ['local-nvme', 'unseen-class'], provisioners: ['nvme.csi.example.com'] };

t.test('which claims count toward the NVMe need', async (t) => {
  const cases: { name: string; claims: unknown[]; want: number[] }[] = [
    { name: 'unbound claim of a named class', claims: [pvc('a', { cls: 'local-nvme' })], want: [100 * GiB] },
    { name: 'class matched by provisioner', claims: [pvc('a', { cls: 'csi-nvme', storage: '10G' })], want: [10e9] },
    { name: 'class named in flags but not (yet) seen', claims: [pvc('a', { cls: 'unseen-class' })], want: [100 * GiB] },
    {
      name: 'legacy beta annotation names the class',
      claims: [pvc('a', { betaClass: 'local-nvme' })],
      want: [100 * GiB],
    },
    { name: 'other classes do not count', claims: [pvc('a', { cls: 'standard' })], want: [] },
    { name: 'no class does not count', claims: [pvc('a')], want: [] },
    {
      name: 'bound claims are pinned by VolumeBinding, not counted again',
      claims: [pvc('a', { cls: 'local-nvme', volumeName: 'pv-1' })],
      want: [],
    },
    {
      name: 'claims with selected-node are held by the ledger, not counted again',
      claims: [pvc('a', { cls: 'local-nvme', selectedNode: 'n1' })],
      want: [],
    },
    { name: 'an unreadable size does not count', claims: [pvc('a', { cls: 'local-nvme', storage: 'lots' })], want: [] },
    {
      name: 'several claims keep pod order',
      claims: [
        pvc('a', { cls: 'local-nvme', storage: '1Gi' }),
        pvc('b', { cls: 'standard' }),
        pvc('c', { cls: 'csi-nvme', storage: '2Gi' }),
      ],
      want: [1 * GiB, 2 * GiB],
    },
  ];
  for (const c of cases) {
    const byKey = new Map<string, ClaimFacts>();
    for (const raw of c.claims) {
      const f = claimFacts(raw);
      if (f) byKey.set(`${f.namespace}/${f.name}`, f);
    }
    const names = c.claims.map((_, i) => String.fromCharCode(97 + i));
    t.same(
      claimVolumes(
        'db',
        names,
        (ns, n) => byKey.get(`${ns}/${n}`),
        (n) => classes.get(n),
        match,
      ),
      c.want,
      c.name,
    );
  }
  t.same(
    claimVolumes(
      'db',
      ['missing'],
      () => undefined,
      () => undefined,
      match,
    ),
    [],
    'a claim berth has not seen adds nothing',
  );
  t.same(
    claimVolumes(
      'other',
      ['a'],
      (ns, n) => (ns === 'db' && n === 'a' ? (claimFacts(pvc('a', { cls: 'local-nvme' })) ?? undefined) : undefined),
      () => undefined,
      match,
    ),
    [],
    "claims are looked up in the pod's namespace",
  );
});

t.test('readers accept model instances and plain JSON alike, and reject nameless objects', async (t) => {
  t.equal(claimFacts({ metadata: {} }), null);
  t.equal(classFacts({ provisioner: 'x' }), null);
  t.same(classFacts({ metadata: { name: 'a' }, provisioner: 'p' }), { name: 'a', provisioner: 'p' });
  const f = claimFacts(pvc('x', { cls: 'local-nvme', selectedNode: 'n9', volumeName: 'pv' }));
  t.same(f, {
    namespace: 'db',
    name: 'x',
    uid: 'uid-x',
    storageClass: 'local-nvme',
    requestBytes: 100 * GiB,
    volumeName: 'pv',
    selectedNode: 'n9',
  });
});
