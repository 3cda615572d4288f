import t from 'tap';
import { ReportStore, supersedes } from '../../../lib/extender/report-store.ts';
import { GiB, report } from '../../helpers/builders.ts';

t.test('ordering', async (t) => {
  const cases: [string, Parameters<typeof report>[1] | null, Parameters<typeof report>[1], boolean][] = [
    ['first report', null, { sequence: 1 }, true],
    ['newer sequence', { sequence: 1 }, { sequence: 2 }, true],
    ['replay of the same sequence', { sequence: 2 }, { sequence: 2 }, false],
    ['late older sequence', { sequence: 5 }, { sequence: 3 }, false],
    [
      'restarted agent wins even with a lower sequence',
      { sequence: 9, instance: 'a' },
      { sequence: 1, instance: 'b' },
      true,
    ],
  ];
  for (const [name, current, incoming, want] of cases) {
    t.equal(
      supersedes(current === null ? undefined : report('n', current).agent, report('n', incoming).agent),
      want,
      name,
    );
  }
});

t.test('store keeps the latest view and judges freshness by receive time', async (t) => {
  const store = new ReportStore();
  t.equal(store.ingest(report('a', { sequence: 1, pools: [['p', 10, 100]] }), 1000), 'accepted');
  t.equal(store.ingest(report('a', { sequence: 1, pools: [['p', 99, 100]] }), 2000), 'duplicate');
  t.equal(store.get('a')?.nvmeFreeBytes, 10 * GiB, 'duplicate did not replace');
  t.equal(store.ingest(report('a', { sequence: 2, pools: [['p', 20, 100]] }), 3000), 'accepted');
  t.equal(store.get('a')?.receivedAtMs, 3000);
  store.ingest(report('b'), 1000);
  t.same(store.freshness(5000, 2500), { fresh: 1, stale: 1 });
  t.ok(store.remove('b'));
  t.equal(store.size, 1);
});

t.test('node view sums NVMe pools, ignores non-NVMe pools, and builds the link', async (t) => {
  const store = new ReportStore();
  store.ingest(
    report('a', {
      pools: [
        ['small', 10, 100],
        ['big', 300, 400],
      ],
      extraPools: [
        {
          name: 'sata',
          kind: 'mount',
          capacityBytes: 1000 * GiB,
          freeBytes: 900 * GiB,
          device: 'sda',
          deviceModel: null,
          nvme: false,
        },
      ],
      nics: [
        { name: 'eth0', speedBps: 10e9, rxBps: 1e9, txBps: 3e9 },
        { name: 'eth1', speedBps: 10e9, rxBps: 2e9, txBps: 1e9 },
      ],
    }),
    0,
  );
  const v = store.get('a');
  t.equal(v?.nvmeFreeBytes, 310 * GiB);
  t.equal(v?.nvmeCapacityBytes, 500 * GiB);
  t.same(
    v?.nvmePools.map((p) => p.name),
    ['big', 'small'],
    'largest free first',
  );
  t.same(v?.link, { name: 'eth0+eth1', speedBps: 20e9, loadBps: 5e9 }, 'load is the busier direction per NIC');
  store.ingest(
    report('b', {
      nics: [
        { name: 'veth', speedBps: null, rxBps: 0, txBps: 0 },
        { name: 'eth0', speedBps: 1e9, rxBps: 0, txBps: 0 },
      ],
    }),
    0,
  );
  t.equal(store.get('b')?.link?.speedBps, null, 'one unknown speed makes the sum unknown');
});
