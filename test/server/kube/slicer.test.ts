/**
 * The Slicer hands out one budget of work per turn of the event loop, however many informers share it. A clock
 * that moves one millisecond each time it is read stands for work; turns are counted by a
 * chain of setImmediate, which runs once per turn.
 */
import t from 'tap';
import { Slicer } from '../../../server/kube/slicer.ts';

t.test('one slice per turn across several workers', async (t) => {
  let clock = 0;
  const slicer = new Slicer(5, () => ++clock);
  let turn = 0;
  let running = true;
  const countTurns = (): void => {
    turn++;
    if (running) setImmediate(countTurns);
  };
  setImmediate(countTurns);
  const perTurn = new Map<number, number>();
  const worker = async (items: number): Promise<void> => {
    for (let i = 0; i < items; i++) {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      await slicer.tick();
    }
  };
  await Promise.all([worker(60), worker(60), worker(60)]);
  running = false;
  const most = Math.max(...perTurn.values());
  // One budget is 5 items; a turn boundary can split one slice's count across two turns, never three slices.
  t.ok(most < 10, `under two budgets of items per turn for all three workers together (three would be 15): ${most}`);
  t.ok(slicer.yields >= 180 / 6, `${slicer.yields} turns given back for 180 items`);
});

t.test('within the budget, no turn is given up', async (t) => {
  const slicer = new Slicer(5, () => 0);
  for (let i = 0; i < 100; i++) await slicer.tick();
  t.equal(slicer.yields, 0);
});
