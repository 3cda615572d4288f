/**
 * Block-device facts straight from sysfs. systeminformation has no answer for "which disk backs this mount or
 * volume group" (lsblk's tree would, but costs a process per call), and these are single file reads or readlinks.
 * sysfs's block tree is not namespaced, so this works in an ordinary container with /sys mounted read-only.
 * The roots are parameters so tests can point them at a recorded tree.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface HostPaths {
  readonly sys: string;
  readonly proc: string;
  readonly dev: string;
}
export const HOST_PATHS: HostPaths = Object.freeze({ sys: '/sys', proc: '/proc', dev: '/dev' });

/** A file's trimmed text, or null when it does not exist or the kernel refuses to answer (EINVAL on `speed`). */
export async function readSysText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL' || code === 'ENOTDIR' || code === 'ENODEV') return null;
    throw err;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** NVMe namespaces are always named nvme<ctrl>n<ns> by the kernel (nvme<subsys>c<ctrl>n<ns> for hidden paths). */
export function isNvmeName(name: string): boolean {
  return /^nvme\d+(c\d+)?n\d+$/.test(name);
}

/** The kernel name (vda, nvme0n1p2, dm-0) of the block device with this device number, or null (e.g. major 0). */
export async function blockNameFromDevNumber(paths: HostPaths, major: number, minor: number): Promise<string | null> {
  if (major === 0) return null; // anonymous device: tmpfs, overlay, btrfs subvolume
  try {
    return basename(await realpath(`${paths.sys}/dev/block/${major}:${minor}`));
  } catch {
    return null;
  }
}

/** /dev/nvme1n1, /dev/mapper/vg-lv or /dev/disk/by-id/… → kernel name, if sysfs knows it. */
export async function blockNameFromPath(paths: HostPaths, devPath: string): Promise<string | null> {
  let name = basename(devPath);
  try {
    name = basename(await realpath(devPath.startsWith('/dev/') ? `${paths.dev}${devPath.slice(4)}` : devPath));
  } catch {
    // /dev may not be mounted in the container; the basename is right for plain kernel names
  }
  return (await readSysText(`${paths.sys}/class/block/${name}/dev`)) === null ? null : name;
}

/**
 * The whole disks under a block device: a partition → its disk; device-mapper or md → the disks under its
 * slaves (recursively); a disk → itself.
 */
export async function parentDisks(paths: HostPaths, name: string, depth = 0): Promise<string[]> {
  const base = `${paths.sys}/class/block/${name}`;
  if (depth > 8) return [];
  if ((await readSysText(`${base}/partition`)) !== null) {
    return parentDisks(paths, basename(dirname(await realpath(base))), depth + 1);
  }
  const slaves = await listDir(`${base}/slaves`);
  if (slaves.length === 0) return [name];
  const disks = await Promise.all(slaves.map((s) => parentDisks(paths, s, depth + 1)));
  return [...new Set(disks.flat())].sort();
}

/** Model string from sysfs (NVMe controllers and SCSI disks have one; virtio disks do not). */
export async function diskModel(paths: HostPaths, disk: string): Promise<string | null> {
  const model = await readSysText(`${paths.sys}/class/block/${disk}/device/model`);
  return model === null || model === '' ? null : model;
}

/** Size in bytes: sysfs `size` counts 512-byte sectors whatever the logical block size. */
export async function blockSizeBytes(paths: HostPaths, name: string): Promise<number | null> {
  const sectors = await readSysText(`${paths.sys}/class/block/${name}/size`);
  return sectors === null || !/^\d+$/.test(sectors) ? null : Number(sectors) * 512;
}

/** Holders (dm, md on top) and partitions: a whole device with any of these is in use. */
export async function blockUsers(paths: HostPaths, name: string): Promise<string[]> {
  const base = `${paths.sys}/class/block/${name}`;
  const holders = await listDir(`${base}/holders`);
  const partitions: string[] = [];
  for (const entry of await listDir(base)) {
    if (entry.startsWith(name) && (await readSysText(`${base}/${entry}/partition`)) !== null) partitions.push(entry);
  }
  return [...holders, ...partitions];
}

export interface Backing {
  readonly device: string | null;
  readonly deviceModel: string | null;
  readonly nvme: boolean;
}

/** The report's view of a pool's backing disks: one name (or a comma list), the model when they agree, NVMe only if all are. */
export async function describeBacking(paths: HostPaths, disks: readonly string[]): Promise<Backing> {
  if (disks.length === 0) return { device: null, deviceModel: null, nvme: false };
  const models = new Set(await Promise.all(disks.map((d) => diskModel(paths, d))));
  const [model] = models;
  return {
    device: disks.join(',').slice(0, 253),
    deviceModel: models.size === 1 ? (model ?? null) : null,
    nvme: disks.every(isNvmeName),
  };
}
