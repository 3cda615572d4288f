/**
 * `berth explain` as a user runs it, up to the point where it needs a cluster: help, usage errors (exit 2, the
 * word or flag named), a kubeconfig that cannot be loaded or an API server that does not answer (exit 1, said in
 * one line). Against a real API server: test/e2e/adoption/explain.test.ts.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../e2e/harness/ports.ts';
import { REPO } from '../../helpers/manifests/render.ts';

const run = promisify(execFile);

async function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(REPO, 'bin', 'berth.js'), 'explain', ...args], {
    env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: unknown) => {
      const f = e as { code?: number; stdout?: string; stderr?: string };
      return { code: f.code ?? -1, stdout: f.stdout ?? '', stderr: f.stderr ?? '' };
    },
  );
}

t.test('help', async (t) => {
  const r = await berth('--help');
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: berth explain pod NAMESPACE\/NAME \[flags\]\n {7}kubectl berth explain pod/);
  for (const flag of [
    '--output',
    '--namespace',
    '--kubeconfig',
    '--context',
    '--extender',
    '--report-ttl',
    '--nvme-storage-classes',
  ])
    t.match(r.stdout, new RegExp(`\\n  ${flag} `), `documents ${flag}`);
});

t.test('usage errors exit 2 and name what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['deployment', 'x'], /expected "pod", got "deployment"/],
    [['pod'], /expected exactly one pod: NAMESPACE\/NAME/],
    [['pod', 'a/b/c'], /expected NAMESPACE\/NAME, got "a\/b\/c"/],
    [['pod', 'a/b', 'c'], /expected exactly one pod/],
    [['pod', 'a/b', '-o', 'yaml'], /--output: must be text or json, got "yaml"/],
    [['pod', 'a/b', '--extender', 'nope'], /--extender: expected NAMESPACE\/NAME, got "nope"/],
    [['pod', 'a/b', '--report-ttl', 'soon'], /--report-ttl: must be a duration/],
    [['pod', 'a/b', '--stale-policy', 'ignore'], /--stale-policy: must be one of reject, neutral/],
    [['pod', 'a/b', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = await berth(...args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message, `${args.join(' ')}: ${r.stderr.split('\n')[0] ?? ''}`);
  }
});

t.test('no cluster: exit 1 with one clear line', async (t) => {
  const missing = await berth('pod', 'a/b', '--kubeconfig', '/nonexistent/kubeconfig');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^berth explain: .*\/nonexistent\/kubeconfig/);
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${await freePort()}` } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
      'current-context': 'c',
    }),
  );
  const refused = await berth('pod', 'db-0', '--kubeconfig', kubeconfig);
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    /^berth explain: cannot read pod team\/db-0: cannot reach the API server \(.*ECONNREFUSED.*\)$/m,
    'the namespace of the context',
  );
  t.equal(refused.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
});
