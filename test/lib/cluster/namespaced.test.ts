/** The namespace → name map that replaces `namespace/name` keys in the cluster state. */
import t from 'tap';
import { NamespacedMap, splitKey } from '../../../lib/cluster/namespaced.ts';

t.test('get, set, delete, size, namespaces dropped when empty, keys made on the fly', async (t) => {
  const m = new NamespacedMap<number>();
  m.set('db', 'a', 1);
  m.set('db', 'b', 2);
  m.set('web', 'a', 3);
  m.set('db', 'a', 4);
  t.equal(m.size, 3, 'replacing a value does not count it twice');
  t.equal(m.get('db', 'a'), 4);
  t.equal(m.get('web', 'a'), 3, 'same name, other namespace');
  t.equal(m.get('web', 'b'), undefined);
  t.same([...m.keys()].sort(), ['db/a', 'db/b', 'web/a']);
  t.same([...(m.namespace('db')?.keys() ?? [])], ['a', 'b']);
  t.notOk(m.delete('web', 'b'), 'nothing to delete');
  t.ok(m.delete('web', 'a'));
  t.equal(m.namespace('web'), undefined, 'an empty namespace goes');
  t.equal(m.size, 2);
  t.notOk(m.delete('nowhere', 'a'));
});

t.test('splitKey reads a key back at its first slash', async (t) => {
  t.same(splitKey('db/pg-0'), ['db', 'pg-0']);
  t.same(splitKey('cluster-scoped'), ['', 'cluster-scoped']);
  const [namespace, name] = splitKey(`team-1/${'x'.repeat(40)}`);
  t.equal(`${namespace}/${name}`, `team-1/${'x'.repeat(40)}`);
});
