import t from 'tap';
import { placeVolumes } from '../../../lib/extender/placement.ts';

const G = 2 ** 30;
const pools = (...free: number[]) => free.map((f, i) => ({ name: `p${i}`, freeBytes: f * G, capacityBytes: 1000 * G }));

t.test('placeVolumes', async (t) => {
  const cases: [string, number[], number[], number[], boolean, number[]][] = [
    ['one volume fits one pool', [300], [], [200], true, [100]],
    ['split free space is not one volume', [100, 100], [], [150], false, [100, 100]],
    ['two volumes into two pools, largest first', [100, 100], [], [60, 90], true, [10, 40]],
    ['reservations are placed first', [300], [200], [150], false, [100]],
    ['reservations and volume fit together', [300], [100], [150], true, [50]],
    ['worst fit keeps pools balanced', [500, 400], [], [100, 100], true, [300, 400]],
    ['nothing to place', [10], [], [], true, [10]],
  ];
  for (const [name, free, reserved, volumes, fits, after] of cases) {
    const p = placeVolumes(
      pools(...free),
      reserved.map((r) => r * G),
      volumes.map((v) => v * G),
    );
    t.equal(p.fits, fits, `${name}: fits`);
    if (fits)
      t.same(
        p.freeAfter,
        after.map((a) => a * G),
        `${name}: free after`,
      );
  }
});
