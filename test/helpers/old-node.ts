/**
 * A Node older than the project's, when this machine has one outside node_modules (the system Node 20 here), for
 * tests of what berth says to it. null when there is none: those tests are skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function olderNode(): { readonly path: string; readonly version: string } | null {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    if (!existsSync(path)) continue;
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '');
    if (Number(version.split('.')[0]) < 24) return { path, version };
  }
  return null;
}

export const NO_OLDER_NODE = 'no Node older than 24 on this machine outside node_modules to run it with';
