import t from 'tap';
import { bandwidthTerm, capacityTerm, clamp01, combine, latencyTerm, NEUTRAL } from '../../../lib/extender/score.ts';

const W = { capacity: 1, bandwidth: 1, latency: 1 };

t.test('capacityTerm', async (t) => {
  const cases: [string, number, number, 'spread' | 'binpack', number][] = [
    ['spread, half free', 500, 1000, 'spread', 0.5],
    ['spread, all free', 1000, 1000, 'spread', 1],
    ['spread, nothing left', 0, 1000, 'spread', 0],
    ['binpack, half free', 500, 1000, 'binpack', 0.5],
    ['binpack, nearly full', 100, 1000, 'binpack', 0.9],
    ['no capacity at all', 0, 0, 'spread', 0],
    ['negative free after placement clamps', -10, 1000, 'spread', 0],
  ];
  for (const [name, free, cap, strategy, want] of cases)
    t.equal(capacityTerm(free, cap, strategy === 'spread'), want, name);
});

t.test('bandwidthTerm', async (t) => {
  const cases: [string, number | null, number, number, number][] = [
    ['idle 25G link, 10G need', 25e9, 0, 10e9, 0.6],
    ['loaded link', 10e9, 5e9, 1e9, 0.4],
    ['exactly full', 10e9, 5e9, 5e9, 0],
    ['over-subscribed clamps', 10e9, 9e9, 5e9, 0],
    ['unknown speed', null, 0, 1e9, 0],
    ['zero speed', 0, 0, 1e9, 0],
  ];
  for (const [name, speed, load, need, want] of cases) t.equal(bandwidthTerm(speed, load, need), want, name);
});

t.test('latencyTerm', async (t) => {
  t.equal(latencyTerm(0, 1000), 1, 'same node');
  t.equal(latencyTerm(250, 1000), 0.75);
  t.equal(latencyTerm(1000, 1000), 0);
  t.equal(latencyTerm(5000, 1000), 0, 'beyond the reference clamps');
  t.equal(latencyTerm(Number.NaN, 1000), NEUTRAL, 'no measurement is neutral');
});

t.test('combine', async (t) => {
  t.equal(combine({ capacity: null, bandwidth: null, latency: null }, W), null, 'no terms, no score');
  t.equal(combine({ capacity: 1, bandwidth: null, latency: null }, W), 10);
  t.equal(combine({ capacity: 0.5, bandwidth: 0, latency: null }, W), 3, 'round(2.5) = 3');
  t.equal(
    combine({ capacity: 0.5, bandwidth: 1, latency: 0 }, { capacity: 2, bandwidth: 1, latency: 1 }),
    5,
    'weighted mean (1+1+0)/4',
  );
  t.equal(
    combine({ capacity: 0.9, bandwidth: null, latency: null }, { capacity: 0, bandwidth: 1, latency: 1 }),
    null,
    'weight 0 turns a term off',
  );
  t.equal(clamp01(Number.NaN), 0);
});

t.test('invariant: combined scores are integers in 0..10', async (t) => {
  let checked = 0;
  for (let a = 0; a <= 1; a += 0.05) {
    for (let b = 0; b <= 1; b += 0.1) {
      const s = combine({ capacity: a, bandwidth: b, latency: 1 - a }, { capacity: 3, bandwidth: 1, latency: 2 });
      if (s === null || !Number.isInteger(s) || s < 0 || s > 10) t.fail(`bad score ${s}`);
      checked++;
    }
  }
  t.ok(checked > 200, `checked ${checked} combinations`);
});
