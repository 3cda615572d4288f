/**
 * NVMe namespaces on this node: name, model, size. Source: systeminformation's blockDevices() (one lsblk
 * process, ~12–25 ms). diskLayout() would also tag NVMe (type 'NVMe'), but it runs lsblk plus smartctl per disk
 * (100 ms+ each) and drops disks without a model, so it is the wrong call for a periodic agent.
 * The device list changes only on hot-plug, so it is refreshed every --inventory-refresh, not every round.
 */
import si from 'systeminformation';
import { readdir } from 'node:fs/promises';
import type { NvmeDevice } from '../../../lib/core/report.ts';
import type { Collected } from './collected.ts';
import { blockSizeBytes, diskModel, type HostPaths, isNvmeName } from './sysfs.ts';
import type { Logger } from '../../common/log.ts';

/** The fields of systeminformation's BlockDevicesData that this collector reads. */
export interface BlockDeviceRow {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly model: string;
  readonly protocol: string;
}

/** Whole NVMe disks from lsblk rows. lsblk's TRAN ('nvme') needs udev data; the kernel name is the fallback. */
export function nvmeDevicesFrom(rows: readonly BlockDeviceRow[]): NvmeDevice[] {
  return rows
    .filter((r) => r.type === 'disk' && (r.protocol === 'nvme' || isNvmeName(r.name)))
    .map((r) => ({
      name: r.name,
      model: r.model.trim() === '' ? null : r.model.trim(),
      sizeBytes: Math.max(0, r.size),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface NvmeDeviceCollectorOptions {
  readonly paths: HostPaths;
  readonly refreshMs: number;
  readonly log: Logger;
  readonly listBlockDevices?: () => Promise<readonly BlockDeviceRow[]>;
}

export class NvmeDeviceCollector {
  readonly #opts: NvmeDeviceCollectorOptions;
  readonly #list: () => Promise<readonly BlockDeviceRow[]>;
  #cached: NvmeDevice[] | null = null;
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #warnedNoLsblk = false;

  constructor(opts: NvmeDeviceCollectorOptions) {
    this.#opts = opts;
    this.#list = opts.listBlockDevices ?? (() => si.blockDevices());
  }

  async collect(nowMs: number): Promise<Collected<NvmeDevice[]>> {
    if (this.#cached === null || nowMs - this.#refreshedAt >= this.#opts.refreshMs) {
      this.#cached = await this.#scan();
      this.#refreshedAt = nowMs;
    }
    return { value: this.#cached, problems: [] };
  }

  async #scan(): Promise<NvmeDevice[]> {
    const rows = await this.#list();
    // blockDevices() resolves [] when lsblk is missing or fails (it swallows the error). Every real node has at
    // least one block device, so [] means "no answer": read the kernel's list instead.
    if (rows.length === 0) {
      if (!this.#warnedNoLsblk)
        this.#opts.log.warn('lsblk returned no block devices (util-linux missing in the image?); reading /sys/block');
      this.#warnedNoLsblk = true;
      return this.#scanSysfs();
    }
    const devices = nvmeDevicesFrom(rows);
    // lsblk's MODEL comes from udev; without /run/udev mounted it is empty, while sysfs has it for NVMe.
    return Promise.all(
      devices.map(async (d) => (d.model !== null ? d : { ...d, model: await diskModel(this.#opts.paths, d.name) })),
    );
  }

  async #scanSysfs(): Promise<NvmeDevice[]> {
    const names = (await readdir(`${this.#opts.paths.sys}/block`)).filter(isNvmeName).sort();
    const out: NvmeDevice[] = [];
    for (const name of names) {
      const sizeBytes = await blockSizeBytes(this.#opts.paths, name);
      if (sizeBytes !== null) out.push({ name, model: await diskModel(this.#opts.paths, name), sizeBytes });
    }
    return out;
  }
}
