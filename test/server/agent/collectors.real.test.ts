/**
 * The real collectors on whatever machine runs the tests. Values differ per machine, so these assert structural
 * truths (free ≤ capacity, speeds positive or null, rates non-negative) and print what was found. What needs the
 * root filesystem on a block device is a separate test, skipped with its reason where / is not (containers).
 */
import t from 'tap';
import { access } from 'node:fs/promises';
import { NetworkCollector } from '../../../server/agent/collectors/network.ts';
import { NvmeDeviceCollector } from '../../../server/agent/collectors/nvme-devices.ts';
import { StoragePoolCollector } from '../../../server/agent/collectors/storage-pools.ts';
import { HOST_PATHS } from '../../../server/agent/collectors/sysfs.ts';
import { captureLog } from '../../fixtures/agent/helpers.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mountFor, parseMountinfo } from '../../../server/agent/collectors/mountinfo.ts';

const onPath = async (tool: string): Promise<boolean> => {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    try {
      await access(`${dir}/${tool}`);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
};

t.test('NVMe devices (systeminformation.blockDevices)', async (t) => {
  const c = new NvmeDeviceCollector({ paths: HOST_PATHS, refreshMs: 60_000, log: captureLog() });
  const { value, problems } = await c.collect(0);
  t.comment(
    `NVMe devices found: ${value.length === 0 ? 'none' : value.map((d) => `${d.name} (${d.model ?? 'no model'}, ${d.sizeBytes} B)`).join(', ')}`,
  );
  t.same(problems, []);
  for (const d of value) {
    t.match(d.name, /^nvme\d+(c\d+)?n\d+$/, `${d.name} is an NVMe namespace`);
    t.ok(d.sizeBytes > 0, `${d.name} has a size`);
  }
  const again = await c.collect(1000);
  t.equal(again.value, value, 'within the refresh period the cached list is returned (no new lsblk)');
});

t.test('pools: the root filesystem, tmpfs, a missing path and a missing LVM', async (t) => {
  const vgsPresent = await onPath('vgs');
  const c = new StoragePoolCollector({
    paths: HOST_PATHS,
    pools: [
      { name: 'root', kind: 'mount', path: '/' },
      { name: 'shm', kind: 'mount', path: '/dev/shm' },
      { name: 'nowhere', kind: 'mount', path: '/definitely/not/here' },
      { name: 'vg', kind: 'lvm', vg: 'berth_test_vg_absent' },
    ],
  });
  const { value, problems } = await c.collect();
  for (const p of value) {
    t.comment(
      `pool ${p.name}: ${p.freeBytes}/${p.capacityBytes} B free, device ${String(p.device)}, model ${String(p.deviceModel)}, nvme ${p.nvme}`,
    );
    t.ok(p.capacityBytes > 0 && p.freeBytes >= 0 && p.freeBytes <= p.capacityBytes, `${p.name}: 0 ≤ free ≤ capacity`);
    t.equal(
      p.nvme,
      p.device !== null && p.device.split(',').every((d) => d.startsWith('nvme')),
      `${p.name}: nvme flag matches its device`,
    );
  }
  t.ok(
    value.some((p) => p.name === 'root'),
    'the root filesystem is a pool',
  );
  t.equal(value.find((p) => p.name === 'shm')?.device, null, 'tmpfs has no backing device');
  t.ok(
    problems.some((p) => p.startsWith('pool nowhere: ') && p.includes('ENOENT')),
    'a missing mount path is a problem, not a crash',
  );
  const vgProblem = problems.find((p) => p.startsWith('pool vg: '));
  t.comment(`vgs on PATH: ${vgsPresent}; problem: ${String(vgProblem)}`);
  if (vgsPresent) t.match(vgProblem ?? '', /vgs berth_test_vg_absent/, 'vgs present: the absent VG is reported');
  else
    t.equal(
      vgProblem,
      'pool vg: vgs not found on PATH (install lvm2 in the agent image)',
      'vgs missing: reported, not crashed',
    );
});

/** Whether / sits on a block device, read from mountinfo and sysfs directly (not through the code under test). */
function rootBlockDevice(): string | null {
  const root = mountFor(parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')), '/');
  if (root === null) return null;
  if (root.major !== 0 && existsSync(`/sys/dev/block/${root.major}:${root.minor}`))
    return `${root.major}:${root.minor}`;
  try {
    return root.source.startsWith('/dev/') && statSync(root.source).isBlockDevice() ? root.source : null;
  } catch {
    return null;
  }
}
const rootDevice = rootBlockDevice();

t.test(
  'the root filesystem resolves to its disk, and that disk as a whole device offers 0 bytes',
  {
    skip:
      rootDevice === null
        ? 'the root filesystem here is not on a block device (an overlay or tmpfs root, as in a container)'
        : false,
  },
  async (t) => {
    const c = new StoragePoolCollector({ paths: HOST_PATHS, pools: [{ name: 'root', kind: 'mount', path: '/' }] });
    const root = (await c.collect()).value.find((p) => p.name === 'root');
    t.ok(root?.device, `root filesystem (${String(rootDevice)}) resolved to a disk (${String(root?.device)})`);
    if (!root?.device) return;
    const whole = new StoragePoolCollector({
      paths: HOST_PATHS,
      pools: [{ name: 'disk', kind: 'device', device: `/dev/${root.device}` }],
    });
    const w = await whole.collect();
    t.equal(
      w.value[0]?.freeBytes,
      0,
      `whole device /dev/${root.device} carries the root filesystem, so it offers 0 bytes`,
    );
    t.ok((w.value[0]?.capacityBytes ?? 0) >= root.capacityBytes, 'device capacity ≥ filesystem capacity');
  },
);

t.test('network: default-route NIC, speed, smoothed rates', async (t) => {
  const c = new NetworkCollector({ nics: [], paths: HOST_PATHS, refreshMs: 60_000, rateWindowMs: 5000 });
  // The collector takes the time it is given: the second reading is said to be 1 s later, with no waiting.
  const first = await c.collect(0);
  t.same(first.value, [], 'no rate after one reading (no made-up zero)');
  const second = await c.collect(1000);
  t.comment(
    `NICs: ${second.value.map((n) => `${n.name} speed ${String(n.speedBps)} rx ${n.rxBps} tx ${n.txBps} bit/s`).join('; ') || 'none'}; problems: ${second.problems.join('; ') || 'none'}`,
  );
  t.ok(second.value.length + second.problems.length > 0, 'either a NIC or a reason why not');
  for (const n of second.value) {
    t.ok(n.speedBps === null || n.speedBps > 0, `${n.name}: speed positive or null`);
    t.ok(n.rxBps >= 0 && n.txBps >= 0, `${n.name}: rates non-negative`);
  }
  const lo = new NetworkCollector({
    nics: ['lo', 'nonexistent0'],
    paths: HOST_PATHS,
    refreshMs: 60_000,
    rateWindowMs: 5000,
  });
  await lo.collect(0);
  const r = await lo.collect(100);
  t.equal(r.value.find((n) => n.name === 'lo')?.speedBps, null, 'lo has no link speed: null');
  t.same(r.problems, ['NIC nonexistent0 not found in /sys/class/net']);
});
