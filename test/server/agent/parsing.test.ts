/**
 * Parsers and sysfs walkers, against inputs recorded on the development VM (test/fixtures/agent, see NOTE.md).
 * The NVMe sysfs trees and the `vgs` output are hand-built in the kernel's and lvm2's formats because this
 * machine has neither an NVMe device nor LVM; each such case says so.
 */
import t from 'tap';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { defaultRouteIfaceV4, defaultRouteIfaceV6 } from '../../../server/agent/collectors/default-route.ts';
import { queryVolumeGroup, parseVgsOutput, VGS_ARGS } from '../../../server/agent/collectors/lvm-vgs.ts';
import { mountFor, parseMountinfo } from '../../../server/agent/collectors/mountinfo.ts';
import { parseLinkSpeedBps } from '../../../server/agent/collectors/network.ts';
import { type BlockDeviceRow, nvmeDevicesFrom } from '../../../server/agent/collectors/nvme-devices.ts';
import { StoragePoolCollector } from '../../../server/agent/collectors/storage-pools.ts';
import {
  blockNameFromDevNumber,
  blockUsers,
  describeBacking,
  isNvmeName,
  parentDisks,
} from '../../../server/agent/collectors/sysfs.ts';
import {
  decodeEchoPacket,
  ECHO_PACKET_BYTES,
  ECHO_REPLY,
  ECHO_REQUEST,
  encodeEchoPacket,
} from '../../../server/agent/latency/echo-packet.ts';
import { parsePeersResponse } from '../../../server/agent/latency/peer-source.ts';

const fixture = (name: string): Promise<string> =>
  readFile(new URL(`../../fixtures/agent/${name}`, import.meta.url), 'utf8');

t.test('mountinfo (recorded)', async (t) => {
  const entries = parseMountinfo(await fixture('mountinfo.txt'));
  t.ok(entries.length >= 10, `${entries.length} mounts parsed`);
  const root = entries.find((e) => e.mountPoint === '/');
  t.ok(
    root && root.major > 0 && root.fsType !== '',
    `root is ${root?.source} (${root?.major}:${root?.minor}, ${root?.fsType})`,
  );
  t.equal(mountFor(entries, '/var/lib/x')?.mountPoint, '/', 'a path under / resolves to /');
  t.equal(mountFor(entries, '/dev/shm/x')?.mountPoint, '/dev/shm', 'longest prefix wins');
  t.equal(mountFor(entries, '/devices')?.mountPoint, '/', '"/dev" is not a prefix of "/devices"');
  t.same(
    parseMountinfo('36 35 98:0 /mnt1 /mnt\\040two rw - ext3 /dev/root rw\ngarbage\n'),
    [{ major: 98, minor: 0, root: '/mnt1', mountPoint: '/mnt two', fsType: 'ext3', source: '/dev/root' }],
    'proc(5) example with an escaped space; malformed line skipped',
  );
  t.equal(mountFor([], '/x'), null);
});

t.test('default route (recorded)', async (t) => {
  t.equal(defaultRouteIfaceV4(await fixture('proc-net-route.txt')), 'eth0');
  t.equal(defaultRouteIfaceV6(await fixture('proc-net-ipv6_route.txt')), 'eth0', 'lo unreachable rows skipped');
  const header = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n';
  t.equal(
    defaultRouteIfaceV4(
      `${header}a\t00000000\t01\t0003\t0\t0\t200\t00000000\t0\t0\t0\nb\t00000000\t01\t0003\t0\t0\t100\t00000000\t0\t0\t0\n`,
    ),
    'b',
    'lowest metric wins',
  );
  t.equal(defaultRouteIfaceV4(`${header}a\t00000000\t01\t0002\t0\t0\t0\t00000000\t0\t0\t0\n`), null, 'route not up');
  t.equal(defaultRouteIfaceV4(header), null, 'no default route');
});

t.test('link speed', async (t) => {
  const recorded = JSON.parse(await fixture('nic-speed.json')) as Record<string, string>;
  t.equal(
    parseLinkSpeedBps(recorded['eth0'] ?? ''),
    null,
    `virtio eth0 reported ${recorded['eth0']}: null, not a guess`,
  );
  t.equal(recorded['lo'], 'error:EINVAL', 'lo refuses to answer (read as null by readSysText)');
  const cases: [string | null, number | null][] = [
    ['25000', 25e9],
    ['1000', 1e9],
    ['-1', null],
    ['0', null],
    [null, null],
    ['fast', null],
  ];
  for (const [text, want] of cases) t.equal(parseLinkSpeedBps(text), want, `speed ${String(text)}`);
});

t.test('NVMe detection from lsblk rows', async (t) => {
  const recorded = JSON.parse(await fixture('block-devices.json')) as BlockDeviceRow[];
  t.same(nvmeDevicesFrom(recorded), [], `recorded VM (${recorded.map((r) => r.name).join(', ')}): no NVMe`);
  // Hand-written rows in systeminformation's shape (this VM has no NVMe):
  const rows: BlockDeviceRow[] = [
    { name: 'nvme1n1', type: 'disk', size: 3.84e12, model: 'SAMSUNG MZQL23T8HCLS ', protocol: 'nvme' },
    { name: 'nvme0n1', type: 'disk', size: 1.6e12, model: '', protocol: '' }, // no udev data in the container
    { name: 'nvme0n1p1', type: 'part', size: 1e12, model: '', protocol: 'nvme' },
    { name: 'sda', type: 'disk', size: 1e12, model: 'HDD', protocol: 'sata' },
  ];
  t.same(nvmeDevicesFrom(rows), [
    { name: 'nvme0n1', model: null, sizeBytes: 1.6e12 },
    { name: 'nvme1n1', model: 'SAMSUNG MZQL23T8HCLS', sizeBytes: 3.84e12 },
  ]);
  const names: [string, boolean][] = [
    ['nvme0n1', true],
    ['nvme12n3', true],
    ['nvme0c1n1', true],
    ['nvme0n1p1', false],
    ['nvme0', false],
    ['vda', false],
  ];
  for (const [n, want] of names) t.equal(isNvmeName(n), want, n);
});

t.test('vgs output (hand-written in lvm2 format: no LVM here)', async (t) => {
  t.same(parseVgsOutput(await fixture('vgs-output.txt')), [
    { name: 'vgfast', sizeBytes: 3200631791616, freeBytes: 1099511627776, pvs: ['/dev/nvme0n1p1', '/dev/nvme1n1'] },
    { name: 'vgslow', sizeBytes: 999653638144, freeBytes: 999653638144, pvs: ['/dev/sdb'] },
  ]);
  const calls: string[][] = [];
  const vg = await queryVolumeGroup('vgslow', async (file, args) => {
    calls.push([file, ...args]);
    return fixture('vgs-output.txt');
  });
  t.equal(vg.freeBytes, 999653638144);
  t.same(calls, [['vgs', ...VGS_ARGS, 'vgslow']], 'fixed argv, no shell');
  await t.rejects(
    queryVolumeGroup('vgx', async () => fixture('vgs-output.txt')),
    /volume group not in the output/,
  );
  await t.rejects(
    queryVolumeGroup('vg', async () => {
      throw Object.assign(new Error('spawn vgs ENOENT'), { code: 'ENOENT' });
    }),
    /vgs not found on PATH/,
  );
  await t.rejects(
    queryVolumeGroup('vg', async () => {
      throw new Error('Volume group "vg" not found');
    }),
    /vgs vg: Volume group "vg" not found/,
  );
});

/** A sysfs tree shaped like the kernel's for an NVMe disk with a partition, a dm device on top and a bare disk (built by hand: no NVMe here). */
async function fakeSysfs(root: string): Promise<void> {
  const dev = `${root}/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0`;
  const disk = `${dev}/nvme0n1`;
  await mkdir(`${disk}/nvme0n1p1`, { recursive: true });
  await mkdir(`${disk}/holders`, { recursive: true });
  await mkdir(`${root}/sys/devices/pci0000:00/0000:00:05.0/nvme/nvme1/nvme1n1/holders`, { recursive: true });
  await mkdir(`${root}/sys/devices/virtual/block/dm-0/slaves`, { recursive: true });
  await mkdir(`${root}/sys/class/block`, { recursive: true });
  await mkdir(`${root}/sys/dev/block`, { recursive: true });
  await writeFile(`${disk}/dev`, '259:0\n');
  await writeFile(`${disk}/size`, '3125627568\n');
  await writeFile(`${dev}/model`, 'Fake NVMe 1.6TB      \n');
  await symlink(dev, `${disk}/device`);
  await writeFile(`${disk}/nvme0n1p1/dev`, '259:1\n');
  await writeFile(`${disk}/nvme0n1p1/partition`, '1\n');
  await writeFile(`${disk}/nvme0n1p1/size`, '2000000000\n');
  const bare = `${root}/sys/devices/pci0000:00/0000:00:05.0/nvme/nvme1/nvme1n1`;
  await writeFile(`${bare}/dev`, '259:2\n');
  await writeFile(`${bare}/size`, '7501476528\n');
  await writeFile(`${root}/sys/devices/virtual/block/dm-0/dev`, '253:0\n');
  await symlink(`${disk}/nvme0n1p1`, `${root}/sys/devices/virtual/block/dm-0/slaves/nvme0n1p1`);
  for (const [name, target] of [
    ['nvme0n1', disk],
    ['nvme0n1p1', `${disk}/nvme0n1p1`],
    ['nvme1n1', bare],
    ['dm-0', `${root}/sys/devices/virtual/block/dm-0`],
  ] as const) {
    await symlink(target, `${root}/sys/class/block/${name}`);
  }
  await symlink(`${disk}/nvme0n1p1`, `${root}/sys/dev/block/259:1`);
  await symlink(`${root}/sys/devices/virtual/block/dm-0`, `${root}/sys/dev/block/253:0`);
}

t.test('sysfs walk: partition → disk, dm → slaves → disk, models, users (hand-built NVMe tree)', async (t) => {
  const root = t.testdir({});
  await fakeSysfs(root);
  const paths = { sys: `${root}/sys`, proc: `${root}/proc`, dev: `${root}/dev` };
  t.equal(await blockNameFromDevNumber(paths, 259, 1), 'nvme0n1p1');
  t.equal(await blockNameFromDevNumber(paths, 0, 45), null, 'anonymous device');
  t.same(await parentDisks(paths, 'nvme0n1p1'), ['nvme0n1']);
  t.same(await parentDisks(paths, 'dm-0'), ['nvme0n1'], 'LV on a partition of nvme0n1');
  t.same(await parentDisks(paths, 'nvme1n1'), ['nvme1n1']);
  t.same(await describeBacking(paths, ['nvme0n1']), { device: 'nvme0n1', deviceModel: 'Fake NVMe 1.6TB', nvme: true });
  t.same(
    await describeBacking(paths, ['nvme0n1', 'vda']),
    { device: 'nvme0n1,vda', deviceModel: null, nvme: false },
    'mixed backing is not NVMe',
  );
  t.same(await describeBacking(paths, []), { device: null, deviceModel: null, nvme: false });
  t.same(await blockUsers(paths, 'nvme0n1'), ['nvme0n1p1'], 'partitioned disk is in use');
  t.same(await blockUsers(paths, 'nvme1n1'), [], 'bare disk is free');
});

t.test('pool collector on the hand-built tree: mount on a dm device, whole devices, LVM with a fake vgs', async (t) => {
  const root = t.testdir({ mnt: { fast: {} } });
  await fakeSysfs(root);
  await mkdir(`${root}/proc/self`, { recursive: true });
  // The mount point is a real directory here (statfs needs one); mountinfo says it sits on dm-0.
  await writeFile(`${root}/proc/self/mountinfo`, `1 0 253:0 / ${root}/mnt/fast rw - xfs /dev/mapper/vg-lv rw\n`);
  const paths = { sys: `${root}/sys`, proc: `${root}/proc`, dev: `${root}/dev` };
  const collector = new StoragePoolCollector({
    paths,
    pools: [
      { name: 'fast', kind: 'mount', path: `${root}/mnt/fast` },
      { name: 'whole', kind: 'device', device: '/dev/nvme1n1' },
      { name: 'busy', kind: 'device', device: '/dev/nvme0n1' },
      { name: 'gone', kind: 'device', device: '/dev/nvme9n1' },
      { name: 'vg', kind: 'lvm', vg: 'vgfast' },
    ],
    runCommand: async () => '  vgfast|1600000000000|400000000000|/dev/nvme0n1p1\n',
  });
  const { value, problems } = await collector.collect();
  const byName = new Map(value.map((p) => [p.name, p]));
  const fast = byName.get('fast');
  t.ok(
    fast && fast.capacityBytes > 0 && fast.freeBytes <= fast.capacityBytes,
    'statfs numbers from the real filesystem under the testdir',
  );
  t.same(
    [fast?.device, fast?.nvme, fast?.deviceModel],
    ['nvme0n1', true, 'Fake NVMe 1.6TB'],
    'mount → dm-0 → nvme0n1p1 → nvme0n1',
  );
  t.same(byName.get('whole'), {
    name: 'whole',
    kind: 'device',
    capacityBytes: 7501476528 * 512,
    freeBytes: 7501476528 * 512,
    device: 'nvme1n1',
    deviceModel: null,
    nvme: true,
  });
  t.equal(byName.get('busy')?.freeBytes, 0, 'a partitioned device offers nothing');
  t.same(byName.get('vg'), {
    name: 'vg',
    kind: 'lvm',
    capacityBytes: 1.6e12,
    freeBytes: 4e11,
    device: 'nvme0n1',
    deviceModel: 'Fake NVMe 1.6TB',
    nvme: true,
  });
  t.notOk(byName.has('gone'));
  t.same(problems, ['pool gone: /dev/nvme9n1 is not a block device known to ' + `${root}/sys/class/block`]);
});

t.test('echo packets', async (t) => {
  const p = encodeEchoPacket({ type: ECHO_REQUEST, session: 0xdeadbeef, nonce: 42 });
  t.equal(p.length, ECHO_PACKET_BYTES);
  t.same(decodeEchoPacket(p), { type: ECHO_REQUEST, session: 0xdeadbeef, nonce: 42 });
  t.same(decodeEchoPacket(encodeEchoPacket({ type: ECHO_REPLY, session: 1, nonce: 2 })), {
    type: ECHO_REPLY,
    session: 1,
    nonce: 2,
  });
  const bad: [string, Buffer][] = [
    ['too short', p.subarray(0, 31)],
    ['too long', Buffer.concat([p, Buffer.alloc(1)])],
    ['wrong magic', Buffer.from(p).fill(0, 0, 4)],
    ['wrong version', Buffer.from(p).fill(9, 4, 5)],
    ['unknown type', Buffer.from(p).fill(7, 5, 6)],
  ];
  for (const [name, buf] of bad) t.equal(decodeEchoPacket(buf), null, name);
});

t.test('/v1/peers body', async (t) => {
  const cases: { name: string; body: unknown; peers?: string[]; skipped?: number; throws?: RegExp }[] = [
    {
      name: 'the documented shape',
      body: {
        peers: [
          { node: 'n1', zone: 'z1', probe: '127.0.0.1:7070' },
          { node: 'n2', probe: '[::1]:7071' },
        ],
      },
      peers: ['n1@z1=127.0.0.1:7070', 'n2@null=[::1]:7071'],
      skipped: 0,
    },
    {
      name: 'probe null: probing off there, skipped quietly',
      body: { peers: [{ node: 'n1', zone: null, probe: null }] },
      peers: [],
      skipped: 0,
    },
    {
      name: 'bad entries skipped and counted',
      body: {
        peers: [
          { node: 'N_1', probe: '1.2.3.4:1' },
          { node: 'n2', probe: 'x' },
          'junk',
          { node: 'n3', zone: 3, probe: '1.2.3.4:1' },
          { node: 'n4', probe: '1.2.3.4:1' },
        ],
      },
      peers: ['n4@null=1.2.3.4:1'],
      skipped: 4,
    },
    { name: 'not an object', body: [], throws: /bad \/v1\/peers body/ },
    { name: 'peers not a list', body: { peers: {} }, throws: /peers: must be an array/ },
  ];
  for (const c of cases) {
    if (c.throws) {
      t.throws(() => parsePeersResponse(c.body), c.throws, c.name);
      continue;
    }
    const got = parsePeersResponse(c.body);
    t.same(
      got.peers.map((p) => `${p.node}@${String(p.zone)}=${p.probe}`),
      c.peers,
      c.name,
    );
    t.equal(got.skipped, c.skipped, `${c.name}: skipped`);
  }
});
