import t from 'tap';
import type { NodeReport } from '../../../lib/core/report.ts';
import { type ChangeThresholds, type ReportContent, significantChange } from '../../../lib/agent/significant-change.ts';

const T: ChangeThresholds = {
  freeBytes: 2 ** 30,
  headroomFraction: 0.05,
  rateFloorBps: 10e6,
  rttFraction: 0.25,
  rttFloorUs: 100,
};
const base: ReportContent = {
  apiVersion: 'berth.io/v1alpha1',
  node: 'n1',
  zone: 'z1',
  probe: '10.0.0.1:7070',
  devices: [{ name: 'nvme0n1', model: 'X', sizeBytes: 4e12 }],
  pools: [
    {
      name: 'fast',
      kind: 'mount',
      capacityBytes: 4e12,
      freeBytes: 2e12,
      device: 'nvme0n1',
      deviceModel: 'X',
      nvme: true,
    },
  ],
  nics: [
    { name: 'eth0', speedBps: 25e9, rxBps: 1e9, txBps: 2e9 },
    { name: 'veth', speedBps: null, rxBps: 100e6, txBps: 0 },
  ],
  peers: [
    { node: 'n2', p50Us: 400, p99Us: 900, samples: 9 },
    { node: 'n3', p50Us: 50, p99Us: 80, samples: 9 },
  ],
  problems: [],
};
type Edit = (r: ReportContent) => ReportContent;
const pool0 = base.pools[0] as NodeReport['pools'][number];
const nic0 = base.nics[0] as NodeReport['nics'][number];
const nic1 = base.nics[1] as NodeReport['nics'][number];
const peer0 = base.peers[0] as NodeReport['peers'][number];
const peer1 = base.peers[1] as NodeReport['peers'][number];

const cases: { name: string; edit: Edit; want: RegExp | null }[] = [
  { name: 'identical', edit: (r) => r, want: null },
  { name: 'zone changed', edit: (r) => ({ ...r, zone: 'z2' }), want: /^zone z1 → z2/ },
  { name: 'probe address changed', edit: (r) => ({ ...r, probe: null }), want: /^probe address/ },
  {
    name: 'device added',
    edit: (r) => ({ ...r, devices: [...r.devices, { name: 'nvme1n1', model: null, sizeBytes: 1e12 }] }),
    want: /NVMe device set changed/,
  },
  { name: 'device order only', edit: (r) => ({ ...r, devices: [...r.devices].reverse() }), want: null },
  { name: 'pool disappeared', edit: (r) => ({ ...r, pools: [] }), want: /pool set or capacity changed/ },
  {
    name: 'pool capacity grew',
    edit: (r) => ({ ...r, pools: [{ ...pool0, capacityBytes: 5e12 }] }),
    want: /pool set or capacity/,
  },
  {
    name: 'pool free moved just below threshold',
    edit: (r) => ({ ...r, pools: [{ ...pool0, freeBytes: pool0.freeBytes - 2 ** 30 }] }),
    want: null,
  },
  {
    name: 'pool free moved above threshold',
    edit: (r) => ({ ...r, pools: [{ ...pool0, freeBytes: pool0.freeBytes - 2 ** 30 - 1 }] }),
    want: /pool fast free bytes moved by 1073741825/,
  },
  {
    name: 'NIC link speed changed',
    edit: (r) => ({ ...r, nics: [{ ...nic0, speedBps: 10e9 }, nic1] }),
    want: /NIC set or link speed/,
  },
  {
    name: 'NIC rate moved 4 % of link',
    edit: (r) => ({ ...r, nics: [{ ...nic0, rxBps: nic0.rxBps + 1e9 }, nic1] }),
    want: null,
  },
  {
    name: 'NIC rate moved 6 % of link',
    edit: (r) => ({ ...r, nics: [{ ...nic0, txBps: nic0.txBps + 1.5e9 }, nic1] }),
    want: /NIC eth0 rate moved/,
  },
  {
    name: 'speedless NIC: move below the floor',
    edit: (r) => ({ ...r, nics: [nic0, { ...nic1, rxBps: 109e6 }] }),
    want: null,
  },
  {
    name: 'speedless NIC: move above the floor and fraction',
    edit: (r) => ({ ...r, nics: [nic0, { ...nic1, rxBps: 120e6 }] }),
    want: /NIC veth rate moved/,
  },
  {
    name: 'peer p50 +30 % but under the floor',
    edit: (r) => ({ ...r, peers: [peer0, { ...peer1, p50Us: 65 }] }),
    want: null,
  },
  {
    name: 'peer p50 +30 % and over the floor',
    edit: (r) => ({ ...r, peers: [{ ...peer0, p50Us: 520 }, peer1] }),
    want: /peer n2 p50 400us → 520us/,
  },
  {
    name: 'peer p50 +20 %: under the fraction',
    edit: (r) => ({ ...r, peers: [{ ...peer0, p50Us: 480 }, peer1] }),
    want: null,
  },
  {
    name: 'peer appears (rotation): not significant',
    edit: (r) => ({ ...r, peers: [...r.peers, { node: 'n9', p50Us: 5000, p99Us: 9000, samples: 3 }] }),
    want: null,
  },
  { name: 'peer ages out: not significant', edit: (r) => ({ ...r, peers: [peer0] }), want: null },
  {
    name: 'problem appears',
    edit: (r) => ({ ...r, problems: [{ collector: 'pools', reason: 'vgs not found' }] }),
    want: /problems changed/,
  },
];

t.test('significantChange against a base report', async (t) => {
  for (const c of cases) {
    const got = significantChange(base, c.edit(base), T);
    if (c.want === null) t.equal(got, null, c.name);
    else t.match(got ?? '', c.want, c.name);
  }
  t.equal(significantChange(null, base, T), 'first report', 'nothing published yet');
});

t.test('a problem that clears is significant too', async (t) => {
  const withProblem = { ...base, problems: [{ collector: 'network' as const, reason: 'NIC eth9 not found' }] };
  t.equal(significantChange(withProblem, base, T), 'problems changed');
});
