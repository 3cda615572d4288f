import t from 'tap';
import {
  failed,
  heardFrom,
  informersReadiness,
  initialHealth,
  isStalled,
  relisting,
  restartDelayMs,
  synced,
  RESTART_MAX_MS,
} from '../../../lib/cluster/informer-health.ts';

t.test('phases', async (t) => {
  const cases = [
    { name: 'a new informer is starting', h: initialHealth(0), want: 'starting' },
    {
      name: 'a failed first start stays starting (never synced)',
      h: failed(initialHealth(0), 'boom'),
      want: 'starting',
    },
    { name: 'synced', h: synced(initialHealth(0), 1), want: 'synced' },
    { name: 'an error after sync is down', h: failed(synced(initialHealth(0), 1), 'boom'), want: 'down' },
    { name: 'a relist keeps it synced', h: relisting(synced(initialHealth(0), 1)), want: 'synced' },
    { name: 'synced again after being down', h: synced(failed(synced(initialHealth(0), 1), 'x'), 5), want: 'synced' },
  ];
  for (const c of cases) t.equal(c.h.phase, c.want, c.name);
  const h = synced(failed(failed(synced(initialHealth(0), 1), 'a'), 'b'), 9);
  t.same([h.restarts, h.failures, h.reason], [2, 0, null], 'restarts accumulate, failures reset on sync');
});

t.test('stalls and backoff', async (t) => {
  const h = heardFrom(synced(initialHealth(0), 0), 10_000);
  t.notOk(isStalled(h, 45_000, 35_000), 'silence up to the timeout is fine');
  t.ok(isStalled(h, 45_001, 35_000), 'beyond it is a stall');
  let down = synced(initialHealth(0), 0);
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    down = failed(down, 'x');
    delays.push(restartDelayMs(down, () => 1));
  }
  t.same(
    delays,
    [1_000, 2_000, 4_000, 8_000, 16_000, RESTART_MAX_MS, RESTART_MAX_MS, RESTART_MAX_MS],
    'doubling from 1 s, capped at 30 s',
  );
  t.equal(
    restartDelayMs(failed(synced(initialHealth(0), 0), 'x'), () => 0),
    500,
    'jitter keeps at least half',
  );
});

t.test('readiness over all informers names the first that is not ready', async (t) => {
  const ok = synced(initialHealth(0), 0);
  t.same(
    informersReadiness(
      new Map([
        ['pods', ok],
        ['nodereports', ok],
      ]),
    ),
    { ready: true, reason: 'informers synced' },
  );
  t.same(
    informersReadiness(
      new Map([
        ['pods', ok],
        ['nodereports', initialHealth(0)],
      ]),
    ),
    { ready: false, reason: 'nodereports informer not synced yet: initial list not done yet' },
  );
  t.same(informersReadiness(new Map([['pods', failed(ok, 'stalled: nothing for 40s')]])), {
    ready: false,
    reason: 'pods informer down: stalled: nothing for 40s',
  });
});
