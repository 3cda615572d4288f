import t from 'tap';
import { MAX_SELECTOR_TEXT, matchesSelector, parseSelector, type LabelSelector } from '../../../lib/core/selector.ts';
import { bestTimes, KiB } from '../../helpers/cost-ratio.ts';

function sel(text: string): LabelSelector {
  const s = parseSelector(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

t.test('matching', async (t) => {
  const labels = { app: 'pg', tier: 'db', 'example.com/role': 'primary' };
  const cases: [string, boolean][] = [
    ['app=pg', true],
    ['app==pg', true],
    ['app=kafka', false],
    ['app!=kafka', true],
    ['app!=pg', false],
    ['tier in (db,cache)', true],
    ['tier in (cache)', false],
    ['tier notin (cache)', true],
    ['tier notin (db)', false],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=pg,tier=db', true],
    ['app=pg,tier=cache', false],
    ['example.com/role=primary', true],
    ['missing!=x', true],
    ['missing notin (x)', true],
  ];
  for (const [text, want] of cases) t.equal(matchesSelector(sel(text), labels), want, text);
});

t.test('invalid selectors name the problem', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty selector/],
    ['app=pg,', /empty term/],
    ['app=p g', /invalid label/],
    ['-bad=x', /invalid label key/],
    ['app in (a b)', /invalid label value/],
  ];
  for (const [text, want] of cases) {
    const r = parseSelector(text);
    t.type(r, 'string', text);
    t.match(r, want, text);
  }
});

t.test('keys and values follow Kubernetes: 63-character names, 253-character DNS prefixes', async (t) => {
  const valid = [
    'a',
    `${'a'.repeat(63)}=x`,
    `${'a'.repeat(253)}/b`,
    `example.com/${'n'.repeat(63)}`,
    'k=',
    'k == ',
    'k in (a,,b)',
    'k in(a)',
    'k notin (a)',
    'A_b.c-D=E_f.g-H',
  ];
  for (const text of valid) t.type(parseSelector(text), 'object', text);
  const invalid = [
    `${'a'.repeat(64)}=x`,
    `${'a'.repeat(254)}/b`,
    'Example.com/a',
    'a..b/c',
    '-a.b/c',
    'a-.b/c',
    '/a',
    'a/',
    'a/b/c',
    `k=${'v'.repeat(64)}`,
    'k=-v',
    'k in (a',
    'k in (a)(b)',
    'k inx (a)',
    'k notin a',
    'k = a b',
    'k >= 1',
    'constructor in (__proto__)',
  ];
  for (const text of invalid) t.type(parseSelector(text), 'string', text);
  t.match(parseSelector('x'.repeat(MAX_SELECTOR_TEXT + 1)), /longer than 4096 characters/);
  const message = parseSelector(`${'k'.repeat(1000)}=v`);
  t.ok(typeof message === 'string' && message.length < 200, 'a message quotes a long key cut short');
});

/**
 * The selector comes from a pod annotation (up to 256 KiB in Kubernetes): the parser must cost about what a
 * 10-byte selector costs for any 256 KiB value, and grow linearly up to its length bound.
 */
t.test('a 256 KiB selector costs no more than a 10-byte one; cost is linear up to the bound', async (t) => {
  const n = 256 * KiB;
  const hostile: [string, string][] = [
    ['one long key', 'a'.repeat(n)],
    ['dots and dashes', 'a.-'.repeat(n / 4).padEnd(n, 'a')],
    ['a long value', `a=${'b'.repeat(n - 2)}`],
    ['a long set', `a in (${'b,'.repeat((n - 8) / 2)}c)`],
    ['open parentheses', '('.repeat(n)],
    ['many terms', 'a,'.repeat(n / 2)],
  ];
  const times = bestTimes([
    () => parseSelector('app in (a)'),
    ...hostile.map(
      ([, v]) =>
        () =>
          parseSelector(v),
    ),
  ]);
  hostile.forEach(([name], i) => {
    const ratio = (times[i + 1] ?? Infinity) / (times[0] ?? 0);
    t.ok(ratio <= 10, `${name}: ${ratio.toFixed(2)}x a 10-byte selector`);
  });
  const terms = (len: number): string => 'ab.cd/e-f=g_h.i,'.repeat(len / 16).slice(0, len - 1);
  const texts = [terms(MAX_SELECTOR_TEXT / 4), terms(MAX_SELECTOR_TEXT)];
  t.type(parseSelector(texts[1] ?? ''), 'object', 'the longest selector is valid');
  const [quarter = 0, full = 0] = bestTimes(texts.map((text) => () => parseSelector(text)));
  t.ok(full / quarter <= 8, `4x the text costs ${(full / quarter).toFixed(2)}x (linear: about 4)`);
});
