import t from 'tap';
import { NodeTable } from '../../../lib/extender/node-table.ts';
import { RttIndex } from '../../../lib/extender/rtt-index.ts';

const peer = (node: string, p50Us: number): { node: string; p50Us: number; p99Us: number; samples: number } => ({
  node,
  p50Us,
  p99Us: p50Us,
  samples: 3,
});

t.test('both directions, the last figure for a peer named twice, and references released on replace', async (t) => {
  const table = new NodeTable();
  const rtts = new RttIndex(table);
  const a = table.acquire('a');
  rtts.replace(a, [peer('b', 100), peer('c', 200), peer('b', 150)]);
  const b = table.slot('b');
  const c = table.slot('c');
  t.same([...rtts.measuredFrom(a).slots], [b, c]);
  t.same([...rtts.measuredFrom(a).rtts], [150, 200], 'b measured twice: the last figure');
  t.equal(rtts.measuredBy(b)?.get(a), 150, 'and indexed from b');
  t.equal(rtts.measuredCount(a), 2);
  rtts.replace(a, [peer('c', 250), peer('d', 50)]);
  t.equal(table.slot('b'), -1, 'b is no longer mentioned by any report: its name is released');
  t.equal(rtts.measuredBy(c)?.get(a), 250);
  t.equal(table.slot('c'), c, 'c, named before and now, kept its slot');
  rtts.clear(a);
  t.equal(table.slot('c'), -1);
  t.equal(table.slot('d'), -1);
  t.equal(table.names, 1, 'only a itself is left');
});
