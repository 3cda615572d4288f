import t from 'tap';
import { describeProblems } from '../../../lib/core/check.ts';
import { NodeTable } from '../../../lib/extender/node-table.ts';
import { filterJson, parseExtenderArgs, priorityJson } from '../../../lib/extender/wire.ts';
import { seededRandom } from '../../helpers/builders.ts';

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

t.test(
  'a node named "__proto__" is refused: no Kubernetes node has that name, and a reason map could not key it',
  async (t) => {
    const r = parseExtenderArgs({ Pod: pod, Nodes: null, NodeNames: ['a', '__proto__'] }, limits);
    t.notOk(r.ok);
    if (!r.ok) t.match(describeProblems(r.problems), /^NodeNames\[1\]: must be a node name/);
  },
);

t.test('filterJson and priorityJson write exactly what JSON.stringify writes', async (t) => {
  const rnd = seededRandom(7);
  const table = new NodeTable();
  const awkward = ['a"quote', 'back\\slash', 'ünïcode', 'tab\tname', '123', '7', 'plain.node'];
  for (let round = 0; round < 200; round++) {
    const names = Array.from({ length: Math.floor(rnd() * 12) }, (_, i) =>
      rnd() < 0.3 ? (awkward[Math.floor(rnd() * awkward.length)] ?? 'x') : `node-${round}-${i}`,
    );
    const failed: Record<string, string> = {};
    const unresolvable: Record<string, string> = {};
    for (const n of names) {
      const draw = rnd();
      if (draw < 0.2) failed[n] = `needs ${Math.floor(rnd() * 9)}Gbit/s bandwidth, "x" ≤ y`;
      else if (draw < 0.4) unresolvable[n] = 'no report from berth agent';
    }
    const result = {
      NodeNames: names,
      Nodes: null,
      FailedNodes: failed,
      FailedAndUnresolvableNodes: unresolvable,
      Error: '',
    };
    if (filterJson(result) !== JSON.stringify(result)) t.fail(`filter answer differs: ${JSON.stringify(result)}`);
    const hosts = names.map((Host) => ({ Host, Score: Math.floor(rnd() * 11) }));
    const slots = Int32Array.from(names, (n) => (rnd() < 0.5 ? table.acquire(n) : -1));
    const json = priorityJson(hosts, slots, (s) => table.hostPrefix(s));
    if (json !== JSON.stringify(hosts)) t.fail(`prioritize answer differs: ${json}`);
  }
  const full = {
    NodeNames: null,
    Nodes: { metadata: {}, items: [{ metadata: { name: 'a' } }] },
    FailedNodes: { b: 'x' },
    FailedAndUnresolvableNodes: {},
    Error: '',
  };
  t.equal(filterJson(full), JSON.stringify(full), 'full-nodes answers too');
  t.equal(
    priorityJson([], new Int32Array(0), () => ''),
    '[]',
  );
  t.pass('200 random answers compared');
});
