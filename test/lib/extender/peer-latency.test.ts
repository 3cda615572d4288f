import t from 'tap';
import { PeerLatency } from '../../../lib/extender/peer-latency.ts';
import { report, storeOf } from '../../helpers/builders.ts';

t.test("a peer's own measurement wins; the candidate's fills in; unmeasured pairs are undefined", async (t) => {
  const store = storeOf([
    report('p', { peers: [['c1', 100]] }),
    report('c1', { peers: [['p', 900]] }),
    report('c2', { peers: [['p', 300]] }),
    report('c3'),
  ]);
  const lat = new PeerLatency(store.table, store.rtts, store.peerLanes, ['p', 'p', 'ghost']);
  const [p, again, ghost] = lat.refs;
  t.equal(again?.lane, p?.lane, 'the same peer node shares one lane');
  t.equal(ghost?.lane, -1, 'a peer node berth knows nothing about has no lane');
  const at = (n: string): number | undefined => (p === undefined ? undefined : lat.measured(p, store.table.slot(n)));
  t.equal(at('c1'), 100, "p's own figure, not c1's 900");
  t.equal(at('c2'), 300, "c2's figure when p did not measure it");
  t.equal(at('c3'), undefined);
  const next = new PeerLatency(store.table, store.rtts, store.peerLanes, ['c3']);
  const c3 = next.refs[0];
  t.equal(
    c3 === undefined ? 0 : next.measured(c3, store.table.slot('c1')),
    undefined,
    "the next request does not see p's lane",
  );
});
