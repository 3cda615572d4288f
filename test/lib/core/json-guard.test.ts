import t from 'tap';
import { JsonGuard, withinDepth, type JsonExcess } from '../../../lib/core/json-guard.ts';
import { bestTimes, KiB } from '../../helpers/cost-ratio.ts';

/** The smallest bound the text passes. */
function depthOf(bytes: Uint8Array, chunk = bytes.length): number {
  for (let d = 0; d <= 200; d++) {
    const guard = new JsonGuard({ maxDepth: d });
    let ok = true;
    for (let i = 0; i < bytes.length && ok; i += chunk) ok = guard.feed(bytes.subarray(i, i + chunk)) === null;
    if (ok) return d;
  }
  return -1;
}

/** The smallest value bound the text passes. */
function valuesOf(bytes: Uint8Array, chunk: number): number {
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const guard = new JsonGuard({ maxDepth: 1000, maxValues: mid });
    let ok = true;
    for (let i = 0; i < bytes.length && ok; i += chunk) ok = guard.feed(bytes.subarray(i, i + chunk)) === null;
    if (ok) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Arrays and objects, plus every element or member after the first of each. */
function trueValues(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children = Object.values(v);
  return 1 + Math.max(0, children.length - 1) + children.reduce<number>((sum, x) => sum + trueValues(x), 0);
}

function trueDepth(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let max = 0;
  for (const x of Object.values(v)) max = Math.max(max, trueDepth(x));
  return max + 1;
}

t.test('counts nesting outside strings only', async (t) => {
  const cases: [string, number][] = [
    ['1', 0],
    ['[]', 1],
    ['{"a":[{"b":[]}]}', 4],
    ['[[],[],[[]]]', 3],
    ['{"a":"[[[[{{{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['{"a":"\\\\"}', 1],
    ['["\\\\\\"[[", []]', 2],
    ['["é[[", "😀{{"]', 1],
    [`["${'\\\\'.repeat(40)}", [[]]]`, 3],
    [`["${'x'.repeat(40)}\\"[[", [[]]]`, 3],
    ['"unterminated [[[', 0],
    [']]]][[', 2],
  ];
  for (const [text, want] of cases) t.equal(depthOf(Buffer.from(text)), want, text);
  t.notOk(withinDepth(Buffer.from('['.repeat(65)), 64), 'one level past the bound');
  t.ok(withinDepth(Buffer.from('['.repeat(64)), 64), 'exactly at the bound');
  const guard = new JsonGuard({ maxDepth: 64, maxValues: 3 });
  t.equal(guard.feed(Buffer.from('[1,2,')), null, 'three values so far');
  t.equal(guard.feed(Buffer.from('"a,b,c",')), 'values', 'commas in strings do not count; the fourth value does');
});

t.test('arrays longer than the bound are found, with the top-level key that holds them', async (t) => {
  const check = (text: string, chunk = text.length): [JsonExcess, JsonGuard['longArray']] => {
    const guard = new JsonGuard({ maxDepth: 64, maxArrayItems: 3 });
    let got: JsonExcess = null;
    for (let i = 0; i < text.length && got === null; i += chunk)
      got = guard.feed(Buffer.from(text.slice(i, i + chunk)));
    return [got, guard.longArray];
  };
  t.same(check('{"NodeNames":["a","b","c"]}'), [null, null], 'three items pass');
  t.same(check('{"Pod":{"x":1,"y":2,"z":3,"w":4},"NodeNames":["a","b","c","d"]}'), [
    'items',
    { key: 'NodeNames', depth: 2 },
  ]);
  t.same(check('{"Nodes":{"items":[{},{},{},{}]}}'), ['items', { key: 'Nodes', depth: 3 }]);
  t.same(check('[[1,2,3,4]]'), ['items', { key: null, depth: 2 }], 'no top-level object, no key');
  t.same(check('{"a":"x,y,z,w","b":[1,2,3]}'), [null, null], 'commas in strings are not items');
  t.same(check('{"NodeNames":["a","b","c","d"]}', 1), ['items', { key: 'NodeNames', depth: 2 }], 'byte by byte');
  t.same(check(`{"${'k'.repeat(100)}":[1,2,3,4]}`), ['items', { key: null, depth: 2 }], 'a long key is not kept');
  t.same(check(`{"${'k'.repeat(100)}":[1,2,3,4]}`, 7), ['items', { key: null, depth: 2 }], 'nor in pieces');
});

/** Random documents whose strings are full of quotes, backslashes and brackets, split at every chunk size. */
t.test('chunk boundaries never change depth or values (seeded random documents)', async (t) => {
  let seed = 13;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['\\', '"', '[', ']', '{', '}', 'a', 'é', '😀', ',', ':'];
  const piece = (): string => (rand(8) === 0 ? 'x'.repeat(rand(100)) : (alphabet[rand(alphabet.length)] ?? ''));
  const str = (): string => Array.from({ length: rand(50) }, piece).join('');
  const value = (depth: number): unknown => {
    const k = rand(depth > 6 ? 2 : 4);
    if (k === 0) return str();
    if (k === 1) return rand(1000);
    if (k === 2) return Array.from({ length: rand(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: rand(4) }, () => [str(), value(depth + 1)]));
  };
  let checked = 0;
  for (let doc = 0; doc < 300; doc++) {
    const v = value(0);
    const bytes = Buffer.from(JSON.stringify(v));
    const want = trueDepth(v);
    const values = trueValues(v);
    for (const chunk of [1, 2, 3, 7, 31, 33, 100, bytes.length]) {
      const got = depthOf(bytes, chunk);
      if (got !== want) t.fail(`${JSON.stringify(v)} in chunks of ${chunk}: depth ${got}, want ${want}`);
      const counted = valuesOf(bytes, chunk);
      if (counted !== values) t.fail(`${JSON.stringify(v)} in chunks of ${chunk}: ${counted} values, want ${values}`);
      checked++;
    }
  }
  t.equal(checked, 2400, 'every document at every chunk size');
});

t.test('linear (8x the body costs about 8x, quadratic would be 64x); a deep body stops at the bound', async (t) => {
  const names = (n: number): Buffer =>
    Buffer.from(
      JSON.stringify({ NodeNames: Array.from({ length: n }, (_, i) => `ip-10-0-${i >> 8}-${i & 255}.internal`) }),
    );
  const quotes = (n: number): Buffer => Buffer.from(JSON.stringify(['\\"'.repeat(n)]));
  const empty = (n: number): Buffer => Buffer.from(JSON.stringify(Array(n).fill('')));
  // Strings just past the native-search threshold, with no backslash anywhere: a search that did not remember
  // where the next backslash is would read to the end of the body once per string.
  const long = (n: number): Buffer => Buffer.from(JSON.stringify(Array(n).fill('x'.repeat(40))));
  const inputs = [names(250), names(2000), quotes(2 * KiB), quotes(16 * KiB), empty(2 * KiB), empty(16 * KiB)];
  inputs.push(long(2 * KiB), long(16 * KiB));
  inputs.push(Buffer.from('['.repeat(KiB)), Buffer.from('['.repeat(256 * KiB)));
  const times = bestTimes(
    inputs.map((b) => () => withinDepth(b, 64)),
    { batches: 21 },
  );
  const ratio = (i: number): number => (times[i + 1] ?? Infinity) / (times[i] ?? 0);
  t.ok(ratio(0) <= 20, `node names: 8x the body costs ${ratio(0).toFixed(2)}x`);
  t.ok(ratio(2) <= 20, `escaped quotes: 8x the body costs ${ratio(2).toFixed(2)}x`);
  t.ok(ratio(4) <= 20, `empty strings: 8x the body costs ${ratio(4).toFixed(2)}x`);
  t.ok(ratio(6) <= 20, `long strings: 8x the body costs ${ratio(6).toFixed(2)}x`);
  t.ok(ratio(8) <= 3, `256 KiB of "[" costs ${ratio(8).toFixed(2)}x 1 KiB of it (both stop at the bound)`);
});
