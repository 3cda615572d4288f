import t from 'tap';
import { filterNodes } from '../../../lib/extender/filter.ts';
import { NO_NEEDS, type Needs } from '../../../lib/extender/needs.ts';
import { prioritizeNodes, rememberedPriorities } from '../../../lib/extender/prioritize.ts';
import { ReportStore } from '../../../lib/extender/report-store.ts';
import type { RequestContext } from '../../../lib/extender/verdict.ts';
import type { ExtenderArgs } from '../../../lib/extender/wire.ts';
import { config, GiB, judgeContext, report, seededRandom, storeOf } from '../../helpers/builders.ts';

const policy = config().policy;

function world(seed: number, n: number): { names: string[]; ctx: (needs: Needs) => RequestContext } {
  const rnd = seededRandom(seed);
  const store = new ReportStore();
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `node-${i}`;
    names.push(name);
    if (rnd() < 0.1) continue; // some nodes never reported
    const cap = 100 + Math.floor(rnd() * 3000);
    const r = report(name, {
      pools: rnd() < 0.1 ? [] : [['nvme0', Math.floor(rnd() * cap), cap]],
      nics: [
        {
          name: 'eth0',
          speedBps: rnd() < 0.1 ? null : ([1e9, 10e9, 25e9][Math.floor(rnd() * 3)] ?? 1e9),
          rxBps: rnd() * 5e9,
          txBps: rnd() * 5e9,
        },
      ],
      peers: names
        .slice(0, i)
        .filter(() => rnd() < 0.05)
        .map((p) => [p, Math.floor(rnd() * 3000)] as const),
    });
    store.ingest(r, rnd() < 0.05 ? -1e9 : 0); // a few stale ones
  }
  const reserved = Object.fromEntries(names.filter((x) => x.endsWith('7')).map((x) => [x, [50 * GiB]]));
  const peerNodes = names.filter((_, i) => i % 17 === 0);
  return { names, ctx: (needs) => judgeContext(store, needs, { nowMs: 1000, policy, reserved, peerNodes }) };
}

function args(names: string[]): ExtenderArgs {
  return { pod: {}, mode: 'names', names, items: null };
}

t.test('invariants over generated clusters and pods', async (t) => {
  const rnd = seededRandom(42);
  let checkedNodes = 0;
  for (let round = 0; round < 60; round++) {
    const w = world(round, 50 + Math.floor(rnd() * 150));
    const needs: Needs = {
      ...NO_NEEDS,
      nvmeVolumes: rnd() < 0.7 ? [Math.floor(rnd() * 2000) * GiB] : [],
      minBandwidthBps: rnd() < 0.5 ? Math.floor(rnd() * 20) * 1e9 + 1 : null,
      maxPeerLatencyUs: rnd() < 0.4 ? Math.floor(rnd() * 3000) + 1 : null,
      peers: rnd() < 0.5 ? { kind: 'controller', namespace: 'default', uid: 'x' } : null,
    };
    const ctx = w.ctx(needs);
    const { result } = filterNodes(args(w.names), ctx);
    const requested = new Set(w.names);
    const passed = result.NodeNames ?? [];
    const failed = Object.keys(result.FailedNodes);
    const unresolvable = Object.keys(result.FailedAndUnresolvableNodes);
    if (!passed.every((n) => requested.has(n))) t.fail('NodeNames must be a subset of the request');
    if (passed.length + failed.length + unresolvable.length !== w.names.length)
      t.fail('every node passes or is rejected exactly once');
    if ([...failed, ...unresolvable].some((n) => passed.includes(n))) t.fail('a node both passed and failed');
    for (const [n, reason] of Object.entries({ ...result.FailedNodes, ...result.FailedAndUnresolvableNodes })) {
      if (typeof reason !== 'string' || reason.length < 5) t.fail(`node ${n} rejected without a reason`);
      if (reason.includes('%')) t.fail('v1.30 formats Error strings with fmt: keep % out of reasons');
    }
    const scores = prioritizeNodes(args(passed), ctx);
    for (const s of scores) {
      if (!Number.isInteger(s.Score) || s.Score < 0 || s.Score > 10) t.fail(`score out of range: ${JSON.stringify(s)}`);
      if (!requested.has(s.Host)) t.fail('scored a node that was not asked about');
    }
    const again = prioritizeNodes(args(passed), ctx);
    if (JSON.stringify(again) !== JSON.stringify(scores)) t.fail('prioritize must be deterministic');
    checkedNodes += w.names.length;
  }
  t.ok(checkedNodes > 5000, `checked ${checkedNodes} node decisions`);
});

t.test('a pod without needs passes every node unchanged and gets no scores', async (t) => {
  const w = world(7, 30);
  const { result, rejected } = filterNodes(args(w.names), w.ctx(NO_NEEDS));
  t.same(result.NodeNames, w.names);
  t.same(result.FailedNodes, {});
  t.same(result.FailedAndUnresolvableNodes, {});
  t.equal(rejected.size, 0);
  t.same(prioritizeNodes(args(w.names), w.ctx(NO_NEEDS)), []);
});

t.test("full-nodes mode answers with the request's own Node objects", async (t) => {
  const items = ['a', 'b'].map((name) => ({ metadata: { name, labels: { z: '1' } }, status: {} }));
  const store = storeOf([report('a', { pools: [['p', 10, 100]] }), report('b', { pools: [['p', 90, 100]] })]);
  const ctx: RequestContext = judgeContext(store, { nvmeVolumes: [50 * GiB] }, { policy });
  const { result } = filterNodes({ pod: {}, mode: 'full', names: ['a', 'b'], items }, ctx);
  t.equal(result.NodeNames, null);
  t.equal(result.Nodes?.items.length, 1);
  t.equal(result.Nodes?.items[0], items[1], 'the very object from the request');
  t.ok('a' in result.FailedAndUnresolvableNodes);
});

t.test("filter's scores for passing nodes are the scores prioritize computes", async (t) => {
  const w = world(11, 120);
  const needs: Needs = { ...NO_NEEDS, nvmeVolumes: [100 * GiB], minBandwidthBps: 1e9 };
  const ctx = w.ctx(needs);
  const outcome = filterNodes(args(w.names), ctx);
  t.ok(outcome.passed.length > 10, `${outcome.passed.length} passed`);
  t.same(outcome.passed, outcome.result.NodeNames);
  const fresh = prioritizeNodes(args([...outcome.passed]), ctx);
  t.same(
    outcome.scores,
    fresh.map((h) => h.Score),
  );
  t.same(rememberedPriorities(outcome.passed, outcome.scores), fresh, 'the memo path answers what judging answers');
});
