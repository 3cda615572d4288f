/**
 * The streaming JSON list splitter and the watch line splitter: whatever the chunking, the items are those
 * JSON.parse finds in the whole body; strings holding brackets, quotes and escapes do not confuse them; every
 * malformed or oversized input is an error with a reason.
 */
import t from 'tap';
import { seededRandom } from '../../helpers/builders.ts';
import { JsonListSplitter, LineSplitter } from '../../../server/kube/json-list.ts';
import { BerthError } from '../../../lib/core/errors.ts';

function split(
  body: string,
  seed: number,
  max = 1 << 20,
): { items: unknown[]; meta: ReturnType<JsonListSplitter['end']> } {
  const rnd = seededRandom(seed);
  const buf = Buffer.from(body);
  const s = new JsonListSplitter(max);
  const items: unknown[] = [];
  for (let at = 0; at < buf.length;) {
    const size = 1 + Math.floor(rnd() * 9);
    for (const item of s.push(buf.subarray(at, at + size))) items.push(JSON.parse(item.toString('utf8')));
    at += size;
  }
  return { items, meta: s.end() };
}

const tricky = [
  { metadata: { name: 'a', annotations: { x: '{"nested": [1, 2]}', y: 'quote \\" and \\\\ and ]} and ü 🚀' } } },
  { metadata: { name: 'b' }, spec: { list: [[], [{}], { '[': ']' }] } },
  {},
];

t.test('items and metadata, whatever the chunking and key order', async (t) => {
  const body = JSON.stringify({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '42', continue: 'tok', remainingItemCount: 7 },
    items: tricky,
  });
  for (const seed of [1, 2, 3, 4]) {
    const r = split(body, seed);
    t.same(r.items, tricky, `chunking ${seed}: items`);
    t.same(r.meta, { resourceVersion: '42', continue: 'tok', remainingItemCount: 7 }, `chunking ${seed}: metadata`);
  }
  const after = JSON.stringify({ items: tricky, kind: 'X', metadata: { resourceVersion: '9' } }, null, 2);
  t.same(split(after, 5).items, tricky, 'metadata after the items, with whitespace');
  t.equal(split(after, 5).meta.resourceVersion, '9');
  t.same(split('{"metadata":{},"items":[]}', 1).items, [], 'an empty list');
  t.same(split('{"items":null,"metadata":{"resourceVersion":"1"}}', 1).meta.continue, '', 'items null');
});

t.test('malformed and oversized bodies are errors', async (t) => {
  t.throws(() => split('[1,2]', 1), BerthError, 'not an object');
  t.throws(() => split('{"items":[{}]}}', 1), /unbalanced/, 'unbalanced');
  t.throws(() => split('{"items":[{"a":1}', 1), /ended early/, 'cut short');
  t.throws(() => split('{"items":[{"a":"open}]}', 1), /ended early/, 'an unterminated string');
  t.throws(
    () => split(JSON.stringify({ items: [{ a: 'x'.repeat(200) }] }), 1, 100),
    /larger than 100 bytes/,
    'an item over the bound',
  );
  t.throws(
    () => split(JSON.stringify({ metadata: { a: 'x'.repeat(1 << 21) }, items: [] }), 1),
    /metadata is larger than/,
    'metadata over its bound',
  );
});

t.test('watch lines: split at newlines across chunks, bounded', async (t) => {
  const s = new LineSplitter(64);
  t.same(s.push(Buffer.from('{"a":1}\n{"b"')), [Buffer.from('{"a":1}')]);
  t.same(s.push(Buffer.from(':2}\n\n')), [Buffer.from('{"b":2}')], 'a line across chunks; empty lines skipped');
  t.throws(() => new LineSplitter(8).push(Buffer.from('0123456789')), /longer than 8 bytes/, 'no newline in sight');
  const long = new LineSplitter(8);
  long.push(Buffer.from('01234'));
  t.throws(() => long.push(Buffer.from('56789\n')), /longer than 8 bytes/, 'too long across chunks');
});
