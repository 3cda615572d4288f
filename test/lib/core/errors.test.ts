import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BerthError, ERRORS, isBerthError } from '../../../lib/core/errors.ts';

t.test('a BerthError takes its message, status and code from the table', async (t) => {
  const e = new BerthError('BERTH_ERR_BAD_REPORT', 'pools[0].freeBytes: must be ≥ 0');
  t.equal(e.message, 'invalid report: pools[0].freeBytes: must be ≥ 0');
  t.equal(e.status, 400);
  t.equal(e.code, 'BERTH_ERR_BAD_REPORT');
  t.equal(e.upstream, null);
  t.ok(isBerthError(e) && e instanceof Error);
  const cause = new Error('connect ECONNREFUSED');
  const p = new BerthError('BERTH_ERR_PUBLISH', 'POST /v1/reports: HTTP 400', {
    cause,
    upstream: { status: 400, code: 'BERTH_ERR_BAD_REPORT' },
  });
  t.equal(p.message, 'POST /v1/reports: HTTP 400', 'a code that is not an answer: the message is the detail');
  t.equal(p.status, 500, 'should it ever reach a route, it is a server error');
  t.equal(p.cause, cause);
  t.same(p.upstream, { status: 400, code: 'BERTH_ERR_BAD_REPORT' });
  t.notOk(isBerthError(cause));
});

t.test('every template takes exactly one detail or none', async (t) => {
  for (const [code, entry] of Object.entries(ERRORS))
    t.ok(entry.template.split('%s').length <= 2, `${code}: ${entry.template}`);
});

/**
 * Errors come from the table: no code of berth's makes a bare Error. server/kube/supervised-informer.ts and
 * server/kube/resources.ts are being rewritten apart from this change and keep theirs until then.
 */
t.test('no bare Error in lib/ or server/', async (t) => {
  const root = join(import.meta.dirname, '../../..');
  const exempt = new Set(['server/kube/supervised-informer.ts', 'server/kube/resources.ts']);
  const files = ['lib', 'server'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(root, dir, f)),
  );
  t.ok(files.length > 50, `${files.length} files read`);
  for (const file of files) {
    const name = relative(root, file);
    if (exempt.has(name)) continue;
    const text = readFileSync(file, 'utf8');
    const found = [...text.matchAll(/new Error\(|extends Error\b/g)].length;
    t.equal(found, name === 'lib/core/errors.ts' ? 1 : 0, `${name}: errors are BerthErrors`);
  }
});
