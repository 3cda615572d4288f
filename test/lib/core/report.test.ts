import t from 'tap';
import { describeProblems } from '../../../lib/core/check.ts';
import { parseReport } from '../../../lib/core/report.ts';
import { report } from '../../helpers/builders.ts';

t.test('a well-formed report parses unchanged', async (t) => {
  const r = report('node-a', { zone: 'z1', peers: [['node-b', 300]], probe: '10.0.0.1:7070' });
  const parsed = parseReport(JSON.parse(JSON.stringify(r)));
  t.ok(parsed.ok);
  if (parsed.ok) t.same(parsed.value, r);
});

t.test('bad reports name every bad field', async (t) => {
  const good = JSON.parse(JSON.stringify(report('node-a'))) as Record<string, unknown>;
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'x', /must be an object/],
    ['wrong apiVersion', { ...good, apiVersion: 'v1' }, /apiVersion: must be "berth.io\/v1alpha1"/],
    ['bad node name', { ...good, node: 'Node_A' }, /node: must be a valid node name/],
    [
      'free above capacity',
      {
        ...good,
        pools: [
          { name: 'p', kind: 'mount', capacityBytes: 10, freeBytes: 11, device: null, deviceModel: null, nvme: true },
        ],
      },
      /pools\[0\]\.freeBytes: must be ≤ capacityBytes/,
    ],
    [
      'unknown pool kind',
      {
        ...good,
        pools: [
          { name: 'p', kind: 'zfs', capacityBytes: 10, freeBytes: 1, device: null, deviceModel: null, nvme: true },
        ],
      },
      /pools\[0\]\.kind: must be one of/,
    ],
    [
      'negative rate',
      { ...good, nics: [{ name: 'eth0', speedBps: null, rxBps: -1, txBps: 0 }] },
      /nics\[0\]\.rxBps: must be ≥ 0/,
    ],
    [
      'string speed',
      { ...good, nics: [{ name: 'eth0', speedBps: '10G', rxBps: 0, txBps: 0 }] },
      /nics\[0\]\.speedBps: must be a finite number, got string/,
    ],
    ['null devices', { ...good, devices: null }, /devices: must be an array, got null/],
    ['bad timestamp', { ...good, takenAt: 'yesterday' }, /takenAt: must be an RFC 3339 timestamp/],
    ['missing agent', { ...good, agent: undefined }, /agent: must be an object/],
    [
      'fractional sequence',
      { ...good, agent: { instance: 'a', sequence: 1.5 } },
      /agent\.sequence: must be an integer/,
    ],
    [
      'too many peers',
      { ...good, peers: new Array(5000).fill({ node: 'x', p50Us: 1, p99Us: 1, samples: 1 }) },
      /peers: must have at most 4096 items/,
    ],
  ];
  for (const [name, input, want] of cases) {
    const r = parseReport(input);
    t.notOk(r.ok, name);
    if (!r.ok) t.match(describeProblems(r.problems), want, name);
  }
});

t.test('several problems are reported together', async (t) => {
  const r = parseReport({
    apiVersion: 'x',
    node: 5,
    takenAt: 'y',
    agent: {},
    devices: [],
    pools: [],
    nics: [],
    peers: [],
  });
  t.notOk(r.ok);
  if (!r.ok) t.ok(r.problems.length >= 4, describeProblems(r.problems));
});
