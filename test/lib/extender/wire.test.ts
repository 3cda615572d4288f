import t from 'tap';
import { describeProblems } from '../../../lib/core/check.ts';
import { parseExtenderArgs } from '../../../lib/extender/wire.ts';

const limits = { maxNodes: 100, acceptFullNodes: true };
const pod = { metadata: { name: 'p' } };

t.test('node-names and full-nodes requests', async (t) => {
  const names = parseExtenderArgs({ Pod: pod, Nodes: null, NodeNames: ['a', 'b'] }, limits);
  t.ok(names.ok && names.value.mode === 'names');
  if (names.ok) t.same(names.value.names, ['a', 'b']);
  const full = parseExtenderArgs(
    { Pod: pod, Nodes: { metadata: {}, items: [{ metadata: { name: 'a' } }] }, NodeNames: null },
    limits,
  );
  t.ok(full.ok && full.value.mode === 'full');
  if (full.ok) t.same(full.value.names, ['a']);
});

t.test('bad bodies name the field', async (t) => {
  const cases: [string, unknown, typeof limits, RegExp][] = [
    ['array body', [], limits, /^body: must be an object, got array$/],
    ['null Pod', { Pod: null, NodeNames: ['a'] }, limits, /^Pod: must be an object, got null$/],
    [
      'lowercase keys are not the wire format',
      { pod, nodeNames: ['a'] },
      limits,
      /Pod: must be an object, got undefined/,
    ],
    ['Pod without metadata', { Pod: {}, NodeNames: ['a'] }, limits, /^Pod\.metadata: must be an object/],
    ['neither list', { Pod: pod, Nodes: null, NodeNames: null }, limits, /one of NodeNames .* or Nodes .* must be set/],
    ['NodeNames not an array', { Pod: pod, NodeNames: 'a' }, limits, /^NodeNames: must be an array, got string$/],
    [
      'number in NodeNames',
      { Pod: pod, NodeNames: ['a', 7] },
      limits,
      /^NodeNames\[1\]: must be a string, got number$/,
    ],
    ['null in NodeNames', { Pod: pod, NodeNames: [null] }, limits, /^NodeNames\[0\]: must be a string, got null$/],
    ['empty name', { Pod: pod, NodeNames: [''] }, limits, /NodeNames\[0\]: must be a node name/],
    [
      'too many names',
      { Pod: pod, NodeNames: new Array(101).fill('a') },
      limits,
      /NodeNames: must have at most 100 items, got 101/,
    ],
    ['items not an array', { Pod: pod, Nodes: { items: {} } }, limits, /^Nodes\.items: must be an array, got object$/],
    [
      'item without a name',
      { Pod: pod, Nodes: { items: [{ metadata: {} }] } },
      limits,
      /^Nodes\.items\[0\]\.metadata\.name: must be a non-empty string$/,
    ],
    [
      'full nodes turned off',
      { Pod: pod, Nodes: { items: [] } },
      { ...limits, acceptFullNodes: false },
      /set nodeCacheCapable: true .* or start berth with --accept-full-nodes/,
    ],
  ];
  for (const [name, body, l, want] of cases) {
    const r = parseExtenderArgs(body, l);
    t.notOk(r.ok, name);
    if (!r.ok) t.match(describeProblems(r.problems), want, name);
  }
});
