import t from 'tap';
import { matchesSelector, parseSelector, type LabelSelector } from '../../../lib/core/selector.ts';

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
