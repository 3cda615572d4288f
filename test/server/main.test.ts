/** The berth command's dispatcher: usage, unknown commands, and berth's own errors as one line with their code. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const berth = join(import.meta.dirname, '../../bin/berth.js');
const run = (args: string[]) => spawnSync(process.execPath, [berth, ...args], { encoding: 'utf8', timeout: 30_000 });

t.test('usage and unknown commands', async (t) => {
  const usage = run([]);
  t.equal(usage.status, 2, 'no command: usage, exit 2');
  t.match(usage.stdout, /Usage: berth <command> \[flags\]/);
  const help = run(['--help']);
  t.equal(help.status, 0);
  const unknown = run(['frobnicate']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /berth: unknown command "frobnicate"/);
});

t.test('a configuration found invalid after start: one line with BERTH_ERR_CONFIG, exit 1, no stack', async (t) => {
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const r = run(['extender', '--kube', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0']);
  t.equal(r.status, 1);
  t.equal(
    r.stderr,
    `berth: invalid configuration: kubeconfig ${kubeconfig} names no current cluster (BERTH_ERR_CONFIG)\n`,
  );
});
