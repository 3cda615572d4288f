/**
 * Round scheduling, "significant change" + heartbeat publishing, sequence numbers and collector failure handling,
 * on a manual clock. The sources are in-memory values (the real collectors are tested in collectors.real.test.ts),
 * and the publisher is an in-memory recorder behind the real LatestWinsSender.
 */
import t from 'tap';
import type { NodeReport, StoragePool } from '../../../lib/core/report.ts';
import { AgentLoop } from '../../../server/agent/agent-loop.ts';
import { AgentMetrics } from '../../../server/agent/metrics.ts';
import { LatestWinsSender } from '../../../server/agent/publish/latest-wins-sender.ts';
import { ReportCollector, type ReportSources } from '../../../server/agent/report-collector.ts';
import { captureLog, ManualClock, settle } from '../../fixtures/agent/helpers.ts';

const CHANGE = { freeBytes: 2 ** 30, headroomFraction: 0.05, rateFloorBps: 10e6, rttFraction: 0.25, rttFloorUs: 100 };

function rig(opts: { heartbeatMs?: number } = {}) {
  const clock = new ManualClock();
  const log = captureLog();
  const metrics = new AgentMetrics({ defaultMetrics: false });
  const state = { free: 500 * 2 ** 30, poolsThrow: null as string | null, onPools: (): void => undefined };
  const pool = (): StoragePool => ({
    name: 'fast',
    kind: 'mount',
    capacityBytes: 1000 * 2 ** 30,
    freeBytes: state.free,
    device: 'nvme0n1',
    deviceModel: null,
    nvme: true,
  });
  const sources: ReportSources = {
    devices: async () => ({ value: [{ name: 'nvme0n1', model: null, sizeBytes: 1e12 }], problems: [] }),
    pools: async () => {
      state.onPools();
      if (state.poolsThrow !== null) throw new Error(state.poolsThrow);
      return { value: [pool()], problems: [] };
    },
    nics: async () => ({ value: [{ name: 'eth0', speedBps: 1e10, rxBps: 1e8, txBps: 1e8 }], problems: [] }),
    peers: null,
  };
  const collector = new ReportCollector({
    identity: { node: 'n1', zone: 'z1', probe: null },
    sources,
    clock,
    log,
    metrics,
    instance: 'inst-1',
  });
  const published: NodeReport[] = [];
  const sender = new LatestWinsSender({
    publisher: {
      publish: async (r) => {
        published.push(r);
      },
    },
    retryBaseMs: 100,
    retryMaxMs: 100,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  const primes: number[] = [];
  const loop = new AgentLoop({
    collector,
    sender,
    intervalMs: 10_000,
    heartbeatMs: opts.heartbeatMs ?? 30_000,
    change: CHANGE,
    clock,
    sleep: clock.sleep,
    log,
    prime: async () => {
      primes.push(clock.monotonicMs());
    },
  });
  return { clock, log, metrics, state, loop, published, primes };
}

t.test('rounds: prime, 1 s pause, then every interval; publish on change or heartbeat only', async (t) => {
  const r = rig();
  const stop = new AbortController();
  const running = r.loop.run(stop.signal);
  await settle();
  t.same(r.primes, [0], 'primed at start');
  t.equal(r.published.length, 0, 'nothing before the first round');
  await r.clock.advance(1000);
  t.equal(r.published.length, 1, 'first round after the 1 s prime pause is published (first report)');
  t.equal(r.loop.latest?.takenAt, '2026-11-21T10:00:01.000Z', 'takenAt from the injected wall clock');
  await r.clock.advance(10_000);
  await r.clock.advance(10_000);
  t.equal(r.published.length, 1, 'two unchanged rounds: nothing published');
  t.equal(r.loop.latest?.agent.sequence, 3, 'but every round made a report');
  r.state.free -= 2 * 2 ** 30; // 2 GiB allocated > 1 GiB threshold
  await r.clock.advance(10_000);
  t.equal(r.published.length, 2, 'significant free-space change published at once');
  r.state.free -= 2 ** 29; // 0.5 GiB: below the threshold
  await r.clock.advance(10_000);
  await r.clock.advance(10_000);
  t.equal(r.published.length, 2, 'small change not published');
  await r.clock.advance(10_000);
  t.equal(r.published.length, 3, 'heartbeat: 30 s after the last publish');
  t.same(
    r.published.map((p) => p.agent.sequence),
    [1, 4, 7],
  );
  t.ok(r.published.every((p) => p.agent.instance === 'inst-1'));
  t.equal(r.published[2]?.pools[0]?.freeBytes, r.state.free, 'the heartbeat carries the current state');
  stop.abort();
  await running;
  t.pass('loop ended on abort');
});

t.test('a failing collector: empty fields, a problem, one log line per transition, a metric', async (t) => {
  const r = rig({ heartbeatMs: 1_000_000 });
  const signal = new AbortController().signal;
  t.equal(await r.loop.round(signal), 'first report');
  r.state.poolsThrow = "EACCES: permission denied, statfs '/mnt/nvme'";
  t.equal(await r.loop.round(signal), 'pool set or capacity changed', 'pool vanished from the report');
  const rep = r.loop.latest;
  t.same(rep?.pools, [], 'fields left empty');
  t.same(rep?.problems, [{ collector: 'pools', reason: "EACCES: permission denied, statfs '/mnt/nvme'" }]);
  t.equal(rep?.devices.length, 1, 'other collectors unaffected');
  t.equal(await r.loop.round(signal), null, 'same failure again: nothing new to publish');
  t.equal(r.log.lines.filter((l) => l.msg === 'collector problem').length, 1, 'logged once, not every round');
  r.state.poolsThrow = null;
  t.equal(await r.loop.round(signal), 'pool set or capacity changed');
  t.same(
    r.log.lines.map((l) => `${l.level} ${l.msg} ${String(l.fields?.['collector'])}`),
    ['warn collector problem pools', 'info collector recovered pools'],
  );
  const metrics = await r.metrics.registry.getSingleMetricAsString('berth_agent_collector_errors_total');
  t.match(metrics, /berth_agent_collector_errors_total\{collector="pools"\} 2/, 'two failed rounds counted');
  const durations = await r.metrics.registry.getSingleMetricAsString('berth_agent_collect_duration_seconds');
  t.match(
    durations,
    /berth_agent_collect_duration_seconds_count\{collector="network"\} 4/,
    'every collector timed every round',
  );
});

t.test('a round slower than the interval: the next one starts at once, with no burst of catch-up rounds', async (t) => {
  const r = rig();
  let slowRounds = 1;
  const stop = new AbortController();
  r.state.onPools = () => {
    if (slowRounds > 0 && r.clock.monotonicMs() > 10_000) {
      slowRounds--;
      r.clock.jump(35_000);
    }
  };
  const running = r.loop.run(stop.signal);
  await settle();
  await r.clock.advance(1000); // round 1 at t=1 s
  await r.clock.advance(10_000); // round 2 at t=11 s takes 35 s: ends at t=46 s, while rounds 3–5 were due at 21, 31, 41 s
  await settle();
  const zeroSleeps = r.clock.sleeps.filter((s) => s === 0).length;
  t.equal(zeroSleeps, 1, 'exactly one immediate round after the slow one, not three');
  t.equal(r.loop.latest?.agent.sequence, 3);
  const last = r.clock.sleeps[r.clock.sleeps.length - 1] ?? -1;
  t.equal(last, 10_000, 'then back to the regular interval, measured from the late round');
  stop.abort();
  await running;
});
