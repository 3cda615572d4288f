import t from 'tap';
import { ScoreMemo } from '../../../lib/extender/score-memo.ts';

t.test('recall only for the same pod, store version, node list, within a second, once', async (t) => {
  const key = { podUid: 'u1', storeVersion: 7, nowMs: 1000 };
  const cases: [string, Parameters<ScoreMemo['recall']>[0], string[], boolean][] = [
    ['same everything', { ...key, nowMs: 1200 }, ['a', 'b'], true],
    ['another pod', { ...key, podUid: 'u2' }, ['a', 'b'], false],
    ['a report arrived since', { ...key, storeVersion: 8 }, ['a', 'b'], false],
    ['too late', { ...key, nowMs: 2001 }, ['a', 'b'], false],
    ['clock went back', { ...key, nowMs: 999 }, ['a', 'b'], false],
    ['another node list', key, ['b', 'a'], false],
    ['fewer nodes', key, ['a'], false],
  ];
  for (const [name, k, names, hit] of cases) {
    const memo = new ScoreMemo();
    memo.remember(key, ['a', 'b'], [3, 9], Int32Array.of(4, 2));
    t.same(memo.recall(k, names), hit ? { scores: [3, 9], slots: Int32Array.of(4, 2) } : null, name);
  }
  const memo = new ScoreMemo();
  memo.remember(key, ['a'], [1], Int32Array.of(0));
  t.same(memo.recall(key, ['a'])?.scores, [1]);
  t.equal(memo.recall(key, ['a']), null, 'used once');
  memo.remember({ ...key, podUid: '' }, ['a'], [1], Int32Array.of(0));
  t.equal(memo.recall({ ...key, podUid: '' }, ['a']), null, 'pods without a uid are never remembered');
});
