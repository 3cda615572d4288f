/**
 * LVM volume-group capacity via `vgs`. systeminformation has no LVM call, and the on-disk metadata is not something
 * to parse by hand, so the agent runs lvm2's own reporting tool: execFile (no shell), fixed arguments, and a VG
 * name that the config has already checked against lvm(8)'s name rules.
 * Needs lvm2 in the image and, in a container, /dev, /run/lvm and /etc/lvm from the host (docs/agent.md).
 */
import { execFile } from 'node:child_process';
import { BerthError } from '../../../lib/core/errors.ts';

export interface VolumeGroup {
  readonly name: string;
  readonly sizeBytes: number;
  readonly freeBytes: number;
  readonly pvs: readonly string[];
}

export type RunCommand = (file: string, args: readonly string[], timeoutMs: number) => Promise<string>;

// --readonly reads the on-disk metadata without taking LVM locks, so the agent needs no writable /run/lock/lvm.
export const VGS_ARGS: readonly string[] = [
  '--readonly',
  '--noheadings',
  '--nosuffix',
  '--units',
  'b',
  '--separator',
  '|',
  '-o',
  'vg_name,vg_size,vg_free,pv_name',
];

/**
 * `vgs --readonly … -o vg_name,vg_size,vg_free,pv_name` prints one line per physical volume: "  vg0|4000|1000|/dev/nvme0n1p1".
 * Lines are merged per VG; malformed lines are skipped.
 */
export function parseVgsOutput(text: string): VolumeGroup[] {
  const byName = new Map<string, { sizeBytes: number; freeBytes: number; pvs: string[] }>();
  for (const line of text.split('\n')) {
    const cols = line.trim().split('|');
    if (cols.length !== 4) continue;
    const [name = '', size = '', free = '', pv = ''] = cols.map((c) => c.trim());
    if (name === '' || !/^\d+$/.test(size) || !/^\d+$/.test(free)) continue;
    const vg = byName.get(name) ?? { sizeBytes: Number(size), freeBytes: Number(free), pvs: [] };
    if (pv !== '' && !vg.pvs.includes(pv)) vg.pvs.push(pv);
    byName.set(name, vg);
  }
  return [...byName].map(([name, v]) => ({ name, ...v }));
}

export const execFileText: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, maxBuffer: 1 << 20, env: { ...process.env, LC_ALL: 'C', LVM_SUPPRESS_FD_WARNINGS: '1' } },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim().split('\n')[0] ?? '';
          reject(new BerthError('BERTH_ERR_COLLECT', detail !== '' ? detail : err.message, { cause: err }));
        } else resolve(stdout);
      },
    );
  });

export async function queryVolumeGroup(vg: string, run: RunCommand, timeoutMs = 5_000): Promise<VolumeGroup> {
  let out: string;
  try {
    out = await run('vgs', [...VGS_ARGS, vg], timeoutMs);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT')
      throw new BerthError('BERTH_ERR_COLLECT', 'vgs not found on PATH (install lvm2 in the agent image)', {
        cause: err,
      });
    throw new BerthError('BERTH_ERR_COLLECT', `vgs ${vg}: ${(err as Error).message}`, { cause: err });
  }
  const found = parseVgsOutput(out).find((g) => g.name === vg);
  if (!found) throw new BerthError('BERTH_ERR_COLLECT', `vgs ${vg}: volume group not in the output`);
  return found;
}

/** The errno code of a failed spawn, on the error itself or on the error it wraps. */
function errnoCode(err: unknown): unknown {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e.cause?.code ?? e.code;
}
