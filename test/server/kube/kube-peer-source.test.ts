import t from 'tap';
import { nodeReportObject } from '../../../lib/core/node-report-resource.ts';
import { peersFromNodeReports } from '../../../server/agent/kube-peer-source.ts';
import { report } from '../../helpers/builders.ts';

t.test('peers from NodeReport objects', async (t) => {
  const items = [
    nodeReportObject(report('n1', { zone: 'z1', probe: '10.0.0.1:7070' }), { name: 'n1', uid: 'u1' }),
    nodeReportObject(report('n2', { probe: null }), { name: 'n2', uid: 'u2' }),
    nodeReportObject(report('n3', { probe: 'no-port' }), { name: 'n3', uid: 'u3' }),
    { metadata: { name: 'n4' }, status: { node: 'n5' } },
    { metadata: { name: 'n6' } },
  ];
  const { peers, skipped } = peersFromNodeReports(JSON.parse(JSON.stringify({ items })));
  t.same(peers, [{ node: 'n1', zone: 'z1', probe: '10.0.0.1:7070' }], 'only reports with a usable probe address');
  t.equal(
    skipped,
    2,
    'a bad probe address and an invalid status are skipped and counted; no probe or no status yet is not an error',
  );
  t.same(peersFromNodeReports({}), { peers: [], skipped: 0 }, 'an empty list');
});
