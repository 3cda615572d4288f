/** `berth agent --once --json` as an operator runs it: a real process, real collectors, the report validated by parseReport. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { parseReport } from '../../../lib/core/report.ts';
import { describeProblems } from '../../../lib/core/check.ts';

const BIN = new URL('../../../server/agent/bin.ts', import.meta.url).pathname;
function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('--once --json prints one valid report and exits 0', async (t) => {
  const started = Date.now();
  const r = await run([
    '--once',
    '--json',
    '--node',
    'test-node',
    '--zone',
    'z1',
    '--pool',
    'root=mount:/',
    '--pool',
    'vg=lvm:berth_absent',
  ]);
  t.equal(r.code, 0, r.stderr);
  t.ok(Date.now() - started >= 1000, 'took the two NIC readings 1 s apart');
  const parsed = parseReport(JSON.parse(r.stdout));
  t.ok(parsed.ok, parsed.ok ? 'parseReport accepts it' : describeProblems(parsed.problems));
  if (!parsed.ok) return;
  const rep = parsed.value;
  t.comment(
    `devices ${rep.devices.length}, pools ${rep.pools.map((p) => `${p.name}@${String(p.device)}`).join(',')}, nics ${rep.nics.map((n) => `${n.name}:${String(n.speedBps)}`).join(',')}, problems ${rep.problems.map((p) => p.reason).join('; ') || 'none'}`,
  );
  t.equal(rep.node, 'test-node');
  t.equal(rep.zone, 'z1');
  t.equal(rep.probe, null, '--once serves no echo afterwards, so advertises none');
  t.equal(rep.agent.sequence, 1);
  t.equal(rep.pools.find((p) => p.name === 'root')?.kind, 'mount');
  t.ok(
    rep.problems.some((p) => p.collector === 'pools' && p.reason.startsWith('pool vg: ')),
    'the LVM pool failure is in problems',
  );
  t.ok(rep.nics.length > 0, "the default-route NIC has a rate after --once's two readings");
  t.match(r.stderr, /"collector problem"/, 'one log line for the failing collector');
});

t.test('bad flags exit 2 naming the flag; --help exits 0', async (t) => {
  const cases: { name: string; args: string[]; code: number; out: RegExp; stream: 'stdout' | 'stderr' }[] = [
    {
      name: 'unknown flag',
      args: ['--frobnicate'],
      code: 2,
      out: /berth agent: Unknown option '--frobnicate'/,
      stream: 'stderr',
    },
    { name: 'missing value', args: ['--once', '--json', '--interval'], code: 2, out: /--interval/, stream: 'stderr' },
    {
      name: 'invalid values',
      args: ['--interval', 'x', '--probe-count', '0'],
      code: 2,
      out: /--extender: required[\s\S]*--interval: must be a duration[\s\S]*--probe-count: must be an integer/,
      stream: 'stderr',
    },
    {
      name: 'help',
      args: ['--help'],
      code: 0,
      out: /Usage: berth agent[\s\S]*--interval <duration> +collection round \(1 s – 1 h\) \(default 10s\)/,
      stream: 'stdout',
    },
  ];
  for (const c of cases) {
    const r = await run(c.args);
    t.equal(r.code, c.code, `${c.name}: exit code`);
    t.match(r[c.stream], c.out, `${c.name}: message`);
  }
});
