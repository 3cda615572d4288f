/** The berth command on a Node too old for it: one clear line that says what works, not a stack trace. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NO_OLDER_NODE, olderNode } from '../helpers/old-node.ts';

const berth = join(import.meta.dirname, '../../bin/berth.js');
const old = olderNode();

t.test(
  'on an older Node: one line naming npx berth and npm start, exit 1',
  { skip: old ? false : NO_OLDER_NODE },
  async (t) => {
    if (old === null) return;
    for (const args of [['extender', '--help'], ['agent', '--once', '--json'], []]) {
      const r = spawnSync(old.path, [berth, ...args], { encoding: 'utf8' });
      t.equal(r.status, 1, `node ${old.version} bin/berth.js ${args.join(' ')}: exit 1`);
      t.equal(r.stdout, '');
      t.equal(
        r.stderr,
        `berth needs Node 24 or later, and this is Node ${old.version}. From a checkout, run 'npx berth ...' or ` +
          `'npm start': they use the Node 24 that 'npm ci' installs in node_modules/.bin.\n`,
        'exactly one line',
      );
    }
  },
);

t.test('on the project Node it runs the command', async (t) => {
  const r = spawnSync(process.execPath, [berth, '--help'], { encoding: 'utf8' });
  t.equal(r.status, 0);
  t.match(r.stdout, /^Usage: berth <command> \[flags\]/);
});
