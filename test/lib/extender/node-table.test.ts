import t from 'tap';
import { NodeTable } from '../../../lib/extender/node-table.ts';

t.test('a name keeps its slot while referenced; the last release frees it for reuse', async (t) => {
  const table = new NodeTable();
  const a = table.acquire('a');
  t.equal(table.acquire('a'), a, 'the same name, the same slot');
  t.equal(table.slot('a'), a);
  table.release(a);
  t.equal(table.slot('a'), a, 'one reference left');
  table.release(a);
  t.equal(table.slot('a'), -1, 'no reference: the name is gone');
  t.equal(table.names, 0);
  const b = table.acquire('b');
  t.equal(b, a, "b reuses a's slot");
  t.equal(table.name(b), 'b');
  t.equal(table.hostPrefix(b), '{"Host":"b","Score":');
  t.ok(Number.isNaN(table.receivedAtMs[b] ?? 0), 'a reused slot starts without a report');
});

t.test('the table grows past its initial columns and keeps every value', async (t) => {
  const table = new NodeTable();
  for (let i = 0; i < 1000; i++) {
    const s = table.acquire(`n${i}`);
    table.nvmeFree[s] = i;
  }
  t.equal(table.names, 1000);
  t.equal(table.nvmeFree[table.slot('n999')], 999);
  t.equal(table.nvmeFree[table.slot('n0')], 0);
  t.ok(table.capacity >= 1000);
});

t.test('resolve: slots in request order, -1 for unknown names, whatever order the names come in', async (t) => {
  const table = new NodeTable();
  const names = Array.from({ length: 50 }, (_, i) => `node-${i}`);
  for (const n of names) table.acquire(n);
  const out = new Int32Array(60);
  const check = (list: string[], why: string): void => {
    table.resolve(list, out);
    const want = list.map((n) => table.slot(n));
    t.same([...out.subarray(0, list.length)], want, why);
  };
  check(names, 'in table order');
  check(names, 'again (every prediction hits)');
  check([...names.slice(20), ...names.slice(0, 20)], 'rotated, as kube-scheduler does from cycle to cycle');
  check(
    names.filter((_, i) => i % 3 !== 0),
    'with nodes another filter removed',
  );
  check(['nope', ...names.slice(5, 10), 'also-nope', ...names.slice(30, 33)], 'with unknown names among them');
  check([...names].reverse(), 'reversed (every prediction misses)');
  table.release(table.slot('node-10'));
  check(names, 'after a name lost its slot');
});
