import t from 'tap';
import { rules, type OptionTable } from '../../../lib/core/options.ts';
import { flagsRefused, parseFlags } from '../../../server/common/options.ts';

const TABLE = {
  wait: { type: 'string', default: '10s', help: 'how long', rule: rules.duration(1000, 60_000) },
  item: { type: 'string', default: '', help: 'things', multiple: true },
  on: { type: 'boolean', default: true, help: 'a switch' },
} as const satisfies OptionTable;

t.test('argv to raw values, the same way for every command', async (t) => {
  const r = parseFlags(['--wait', '5s', '--item', 'a', '--item=b,c', '--no-on'], TABLE);
  t.same(r, { ok: true, values: { wait: '5s', item: ['a', 'b,c'], on: false }, help: false });
  t.same(parseFlags(['-h'], TABLE), { ok: true, values: {}, help: true }, '-h is --help');
  t.same(parseFlags(['--help'], TABLE), { ok: true, values: {}, help: true });
});

t.test('unknown flags, positionals and missing values are refused in parseArgs’ words', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--wait'], /Option '--wait <value>' argument missing/],
    [['--no-wait'], /Unknown option '--no-wait'/],
  ];
  for (const [argv, want] of cases) {
    const r = parseFlags(argv, TABLE);
    t.ok(!r.ok && want.test(r.message), `${argv.join(' ')}: ${r.ok ? 'accepted' : r.message}`);
  }
  t.equal(flagsRefused('agent', 'x'), "berth agent: x\nRun 'berth agent --help' for the flags.\n");
});
