/**
 * Capacity and free bytes of the pools a local-volume provisioner allocates from, and the disks behind them.
 *
 *   mount  — statfs(2) on the path: capacity = blocks × bsize, free = bavail × bsize (what an unprivileged writer
 *            can still use; root-reserved blocks are not offered). systeminformation's fsSize() gives the same
 *            numbers by spawning `df` (~7–12 ms and a process per call); statfs is one syscall, so it is the
 *            periodic path. Backing disk: mountinfo → major:minor → /sys/dev/block → parent disk.
 *   device — a whole block device for a provisioner that hands out entire disks: capacity from sysfs; free is
 *            the capacity while nothing uses the device (no partitions, holders or mounts), else 0.
 *   lvm    — `vgs` (see lvm-vgs.ts): VG size and free, backing disks from the physical volumes.
 *
 * A pool that cannot be measured is left out of the report and named in `problems`; the others still report.
 */
import { readFile, realpath, statfs } from 'node:fs/promises';
import type { AgentPoolSpec } from '../../../lib/agent/config.ts';
import type { StoragePool } from '../../../lib/core/report.ts';
import { BerthError } from '../../../lib/core/errors.ts';
import { errorMessage } from '../deps.ts';
import type { Collected } from './collected.ts';
import { type MountEntry, mountFor, parseMountinfo } from './mountinfo.ts';
import { execFileText, queryVolumeGroup, type RunCommand } from './lvm-vgs.ts';
import {
  blockNameFromDevNumber,
  blockNameFromPath,
  blockSizeBytes,
  blockUsers,
  describeBacking,
  type HostPaths,
  parentDisks,
  readSysText,
} from './sysfs.ts';

export interface StoragePoolCollectorOptions {
  readonly pools: readonly AgentPoolSpec[];
  readonly paths: HostPaths;
  readonly runCommand?: RunCommand;
}

export class StoragePoolCollector {
  readonly #opts: StoragePoolCollectorOptions;
  readonly #run: RunCommand;

  constructor(opts: StoragePoolCollectorOptions) {
    this.#opts = opts;
    this.#run = opts.runCommand ?? execFileText;
  }

  async collect(): Promise<Collected<StoragePool[]>> {
    if (this.#opts.pools.length === 0) return { value: [], problems: [] };
    const mounts = this.#opts.pools.some((p) => p.kind !== 'lvm')
      ? parseMountinfo(await readFile(`${this.#opts.paths.proc}/self/mountinfo`, 'utf8'))
      : [];
    const results = await Promise.all(
      this.#opts.pools.map(async (spec) => {
        try {
          return { pool: await this.#measure(spec, mounts), problem: null };
        } catch (err) {
          return { pool: null, problem: `pool ${spec.name}: ${errorMessage(err)}` };
        }
      }),
    );
    return {
      value: results.flatMap((r) => (r.pool ? [r.pool] : [])),
      problems: results.flatMap((r) => (r.problem !== null ? [r.problem] : [])),
    };
  }

  async #measure(spec: AgentPoolSpec, mounts: readonly MountEntry[]): Promise<StoragePool> {
    const paths = this.#opts.paths;
    if (spec.kind === 'mount') {
      const st = await statfs(spec.path);
      const capacityBytes = st.blocks * st.bsize;
      const disks = await this.#mountDisks(await realpath(spec.path), mounts);
      return {
        name: spec.name,
        kind: 'mount',
        capacityBytes,
        freeBytes: Math.min(capacityBytes, st.bavail * st.bsize),
        ...(await describeBacking(paths, disks)),
      };
    }
    if (spec.kind === 'device') {
      const name = await blockNameFromPath(paths, spec.device);
      if (name === null)
        throw new BerthError(
          'BERTH_ERR_COLLECT',
          `${spec.device} is not a block device known to ${paths.sys}/class/block`,
        );
      const capacityBytes = await blockSizeBytes(paths, name);
      if (capacityBytes === null) throw new BerthError('BERTH_ERR_COLLECT', `no size for ${name} in sysfs`);
      const inUse = (await blockUsers(paths, name)).length > 0 || (await isMounted(paths, name, mounts));
      return {
        name: spec.name,
        kind: 'device',
        capacityBytes,
        freeBytes: inUse ? 0 : capacityBytes,
        ...(await describeBacking(paths, await parentDisks(paths, name))),
      };
    }
    const vg = await queryVolumeGroup(spec.vg, this.#run);
    const disks = new Set<string>();
    for (const pv of vg.pvs) {
      const name = await blockNameFromPath(paths, pv);
      if (name !== null) for (const d of await parentDisks(paths, name)) disks.add(d);
    }
    const backing = await describeBacking(paths, [...disks].sort());
    return {
      name: spec.name,
      kind: 'lvm',
      capacityBytes: vg.sizeBytes,
      freeBytes: Math.min(vg.sizeBytes, vg.freeBytes),
      ...backing,
    };
  }

  async #mountDisks(path: string, mounts: readonly MountEntry[]): Promise<string[]> {
    const entry = mountFor(mounts, path);
    if (entry === null) return [];
    const paths = this.#opts.paths;
    // btrfs and overlay report an anonymous major 0; their mount source still names the real device.
    const name =
      (await blockNameFromDevNumber(paths, entry.major, entry.minor)) ??
      (entry.source.startsWith('/dev/') ? await blockNameFromPath(paths, entry.source) : null);
    return name === null ? [] : parentDisks(paths, name);
  }
}

async function isMounted(paths: HostPaths, name: string, mounts: readonly MountEntry[]): Promise<boolean> {
  const devs = new Set<string>();
  const own = await readSysText(`${paths.sys}/class/block/${name}/dev`);
  if (own !== null) devs.add(own);
  return mounts.some((m) => devs.has(`${m.major}:${m.minor}`));
}
