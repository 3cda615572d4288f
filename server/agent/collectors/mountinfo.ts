/**
 * /proc/self/mountinfo, parsed (proc(5)). Used to find the mount that holds a pool path when the filesystem's
 * st_dev is anonymous (btrfs subvolumes, overlay), and to tell whether a whole-device pool is mounted.
 * The agent's own mount namespace is the right one: it is the one statfs() answered for.
 */

export interface MountEntry {
  readonly major: number;
  readonly minor: number;
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
}

/** Lines that do not have the documented shape are skipped, not guessed at. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const dev = /^(\d+):(\d+)$/.exec(left[2] ?? '');
    if (!dev || left.length < 6 || right.length < 2) continue;
    out.push({
      major: Number(dev[1]),
      minor: Number(dev[2]),
      root: unescapeOctal(left[3] ?? ''),
      mountPoint: unescapeOctal(left[4] ?? ''),
      fsType: right[0] ?? '',
      source: unescapeOctal(right[1] ?? ''),
    });
  }
  return out;
}

/** The mount that contains `path`: the longest mount point that is a path prefix; the last one wins on ties (stacked mounts). */
export function mountFor(entries: readonly MountEntry[], path: string): MountEntry | null {
  let best: MountEntry | null = null;
  for (const e of entries) {
    const mp = e.mountPoint;
    const contains = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (contains && (best === null || mp.length >= best.mountPoint.length)) best = e;
  }
  return best;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
