import t from 'tap';
import { AGENT_OPTIONS } from '../../../lib/agent/options.ts';
import { optionsHelp, optionsMarkdown } from '../../../lib/core/options-text.ts';
import { OptionReader, rules, type OptionTable } from '../../../lib/core/options.ts';
import { OPTIONS } from '../../../lib/extender/options.ts';

const TABLE = {
  wait: { type: 'string', default: '10s', help: 'how long', rule: rules.duration(1000, 60_000) },
  addr: { type: 'string', default: '', help: 'where', rule: rules.hostPort(false) },
  name: { type: 'string', default: '', help: 'who' },
  item: { type: 'string', default: '', help: 'things', multiple: true },
  on: { type: 'boolean', default: true, help: 'a switch' },
} as const satisfies OptionTable;

const problems = (r: OptionReader<typeof TABLE>): string[] => r.problems.map((p) => `${p.path}: ${p.message}`);

t.test('defaults, given values and unset options', async (t) => {
  const r = new OptionReader(TABLE, { addr: '[::1]:80', item: ['a,b', ' c '] });
  t.same(problems(r), []);
  t.equal(r.get('wait'), 10_000, 'the default text goes through the rule');
  t.same(r.optional('addr'), { host: '::1', port: 80 });
  t.equal(r.text('name'), '', 'no default: empty');
  t.same(r.list('item'), ['a', 'b', 'c'], 'repeated and comma-separated, trimmed');
  t.equal(r.flag('on'), true, 'a switch takes its default');
  t.equal(r.flag('on', false), false, '... or the caller’s, when it depends on other flags');
  t.notOk(r.given('name'));
  t.ok(r.done(1).ok);
});

t.test('every given value is checked, invalid ones are never defaulted, all problems at once', async (t) => {
  const r = new OptionReader(TABLE, { wait: '200ms', addr: 'nope', name: ' ', on: 'yes', item: [true], other: 'x' });
  t.same(problems(r).sort(), [
    '--addr: must be host:port (IPv6 as [addr]:port, port 1–65535), got "nope": no :port at the end',
    '--item: needs a value',
    '--name: must not be empty',
    '--on: is a switch and takes no value',
    '--other: unknown flag',
    '--wait: must be between 1s and 60s, got 200ms',
  ]);
  t.equal(r.optional('wait'), null, 'no value for an invalid flag');
  t.notOk(r.done(1).ok);
});

t.test('emptyIsUnset: an empty value means not given', async (t) => {
  const r = new OptionReader(TABLE, { wait: '', name: '' }, { emptyIsUnset: true });
  t.same(problems(r), []);
  t.equal(r.get('wait'), 10_000, 'the default applies');
  t.notOk(r.given('name'));
});

t.test('flag text is bounded', async (t) => {
  const r = new OptionReader(TABLE, { name: 'x'.repeat(5000), item: ['y'.repeat(5000)] });
  t.same(problems(r), ['--name: must be at most 4096 characters', '--item: must be at most 4096 characters per item']);
});

t.test('rules', async (t) => {
  const cases: [string, { parse: (s: string) => { ok: boolean } }, string, boolean][] = [
    ['duration without max', rules.duration(35_000), '90s', true],
    ['duration below min', rules.duration(35_000), '10s', false],
    ['integer', rules.integer(1, 20), '20', true],
    ['integer fraction', rules.integer(1, 20), '2.5', false],
    ['integer sign', rules.integer(0, 20), '-1', false],
    ['number', rules.number(0, 100), '0.5', true],
    ['number empty', rules.number(0, 100), '', false],
    ['fraction 1', rules.fraction(), '1', true],
    ['fraction 0', rules.fraction(), '0', false],
    ['quantity', rules.quantity(0, 2 ** 40), '512Mi', true],
    ['quantity too big', rules.quantity(0, 2 ** 30), '2Gi', false],
    ['oneOf', rules.oneOf(['a', 'b']), 'b', true],
    ['oneOf other', rules.oneOf(['a', 'b']), 'c', false],
    ['list', rules.list(/^[a-z]+$/, 'names'), 'a, b', true],
    ['list empty item', rules.list(/^[a-z]+$/, 'names'), 'a,,b', false],
    ['text too long', rules.text(3), 'abcd', false],
  ];
  for (const [name, rule, text, ok] of cases) t.equal(rule.parse(text).ok, ok, name);
});

t.test('every default in both commands passes its own rule', async (t) => {
  for (const [command, table] of [
    ['extender', OPTIONS],
    ['agent', AGENT_OPTIONS],
  ] as const) {
    const r = new OptionReader(table, {});
    const own = r.problems.filter((p) => !['--extender', '--node'].includes(p.path));
    t.same(own, [], `berth ${command}: no problem with the defaults`);
    for (const [name, spec] of Object.entries(table)) {
      if (spec.default === '' || !('rule' in spec)) continue;
      t.ok(spec.rule.parse(spec.default).ok, `${command} --${name} ${spec.default}`);
    }
  }
});

t.test('help and the docs table come from the same entries', async (t) => {
  const help = optionsHelp('demo', 'Does a demo.', TABLE);
  t.match(help, /^Usage: berth demo \[flags\]\n\nDoes a demo\.\n/);
  t.match(help, /--wait <duration> +how long \(default 10s\)/);
  t.match(help, /--item <value> \.\.\. +things/);
  t.match(help, /--on +a switch \(on; --no-on turns it off\)/);
  t.match(help, /-h, --help +print the flags and exit/);
  t.ok(
    help.split('\n').every((l) => l.length <= 120),
    'lines fit 120 columns',
  );
  t.equal(
    optionsMarkdown(TABLE),
    [
      '| flag | default | meaning |',
      '|---|---|---|',
      '| `--wait` | `10s` | how long |',
      '| `--addr` |  | where |',
      '| `--name` |  | who |',
      '| `--item` |  | things |',
      '| `--on`, `--no-on` | `true` | a switch |',
      '| `--help`, `-h` |  | print the flags and exit |',
      '',
    ].join('\n'),
  );
});
