/** The Node guard that npm test and CI run: this Node is 24, and every installed package runs on it. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineProblems, satisfies } from '../../scripts/require-node24.js';
import { NO_OLDER_NODE, olderNode } from '../helpers/old-node.ts';

const root = join(import.meta.dirname, '../..');

t.test('npm ranges as dependencies write them', async (t) => {
  const cases: [string, string, boolean][] = [
    ['24.21.0', '>=24', true],
    ['20.20.2', '>=24', false],
    ['24.21.0', '>=22.19.0', true],
    ['22.18.9', '>=22.19.0', false],
    ['20.20.2', '^20.17.0 || >=22.9.0', true],
    ['21.0.0', '^20.17.0 || >=22.9.0', false],
    ['24.21.0', '^20.17.0 || >=22.9.0', true],
    ['24.21.0', '18 || 20 || >=22', true],
    ['19.1.0', '18 || 20 || >=22', false],
    ['24.21.0', '>= 14', true],
    ['24.21.0', '*', true],
    ['24.21.0', '', true],
    ['24.21.0', '>=6.9.0 <25', true],
    ['25.0.0', '>=6.9.0 <25', false],
    ['24.21.0', '20.x || 24.x', true],
    ['24.21.0', '~24.21.0', true],
    ['24.22.0', '~24.21.0', false],
    ['24.21.0', '^0.10 || ^24', true],
    ['24.21.0', '12 - 24', true],
    ['25.1.0', '12 - 24', false],
    ['24.21.0', '>24', false],
    ['25.0.0', '>24', true],
    ['24.21.0', 'v24.21.0', true],
  ];
  for (const [version, range, want] of cases) t.equal(satisfies(version, range), want, `${version} ${range}`);
});

t.test('packages whose engines exclude the Node, nested and scoped ones included', async (t) => {
  const dir = t.testdir();
  const pkg = (path: string, name: string, node: string | null): void => {
    mkdirSync(join(dir, path), { recursive: true });
    const engines = node === null ? {} : { engines: { node } };
    writeFileSync(join(dir, path, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...engines }));
  };
  pkg('node_modules/a', 'a', '>=22');
  pkg('node_modules/@s/b', '@s/b', '^20.17.0 || >=22.9.0');
  pkg('node_modules/c', 'c', null);
  pkg('node_modules/c/node_modules/d', 'd', '>=25');
  t.same(
    engineProblems(dir, '24.21.0').map((p) => p.name),
    ['d'],
  );
  t.same(
    engineProblems(dir, '20.20.2')
      .map((p) => p.name)
      .sort(),
    ['a', 'd'],
  );
});

t.test('every installed package runs on the project Node', async (t) => {
  t.same(engineProblems(root, process.versions.node), [], `Node ${process.versions.node}`);
  const r = spawnSync(process.execPath, [join(root, 'scripts/require-node24.js')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});

const old = olderNode();
t.test('on an older Node it stops with the reason', { skip: old ? false : NO_OLDER_NODE }, async (t) => {
  if (old === null) return;
  const r = spawnSync(old.path, [join(root, 'scripts/require-node24.js')], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(
    r.stderr,
    new RegExp(`^berth needs Node 24 or later, but npm ran Node ${old.version.replaceAll('.', '\\.')}\\.`),
  );
});
