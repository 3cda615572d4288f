/**
 * Memory follows what is live: reports rewritten round after round with fresh peer names, at a fixed node count,
 * end where the first round left the heap (after GC), and the names no live report mentions are released.
 * Standalone eviction drops reports nobody refreshed.
 */
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ReportStore } from '../../../lib/extender/report-store.ts';
import { report } from '../../helpers/builders.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const NODES = 1_000;
const PEERS = 128;
const ROUNDS = 12;

t.test('reports rewritten with fresh peer names: heap and names stay where the first round left them', async (t) => {
  const store = new ReportStore();
  let sequence = 0;
  const round = (r: number): void => {
    for (let n = 0; n < NODES; n++) {
      const peers = Array.from({ length: PEERS }, (_, p) => [`r${r}-n${n}-peer-${p}.example`, 100 + p] as const);
      store.ingest(report(`node-${n}`, { peers, sequence: ++sequence }), 0);
    }
  };
  round(0);
  const names = store.table.names;
  t.equal(names, NODES + NODES * PEERS, 'every node and every peer name it mentions has a slot');
  const first = heapAfterGc();
  for (let r = 1; r < ROUNDS; r++) round(r);
  t.equal(store.table.names, names, 'the names of earlier rounds are released: only what live reports mention');
  const last = heapAfterGc();
  const growth = (last - first) / first;
  t.comment(
    `heap after round 1: ${(first / 2 ** 20).toFixed(1)} MiB, after round ${ROUNDS}: ${(last / 2 ** 20).toFixed(1)} MiB`,
  );
  t.ok(growth < 0.1, `within 10% of the first round (${(growth * 100).toFixed(1)}%)`);
  t.equal(store.size, NODES);
});

t.test('evictReceivedBefore forgets unrefreshed reports and the names only they mentioned', async (t) => {
  const store = new ReportStore();
  store.ingest(
    report('old', {
      peers: [
        ['only-old-knows', 100],
        ['shared', 200],
      ],
    }),
    1_000,
  );
  store.ingest(report('new', { peers: [['shared', 300]] }), 5_000);
  t.same(store.evictReceivedBefore(2_000), ['old']);
  t.equal(store.get('old'), undefined);
  t.equal(store.size, 1);
  t.equal(store.table.slot('only-old-knows'), -1, 'a name nothing live mentions is released');
  t.ok(store.table.slot('shared') >= 0, 'a name a live report mentions stays');
  t.same(store.evictReceivedBefore(2_000), [], 'nothing else is old enough');
});
