/**
 * The per-node gauges are bounded: whatever the number of nodes, they carry the TOP_NODES oldest reports, most
 * committed NVMe and least NIC headroom, and the totals carry the whole fleet. A scrape's size therefore does not
 * grow with the cluster.
 */
import t from 'tap';
import { GiB, report, testApp } from '../../helpers/builders.ts';
import { TOP_NODES, topRows, type NodeRow } from '../../../server/http/metrics.ts';

function reports(n: number): ReturnType<typeof report>[] {
  return Array.from({ length: n }, (_, i) =>
    report(`n${String(i).padStart(4, '0')}`, {
      pools: [['nvme0', 1000 - (i % 100) * 10, 1000]],
      nics: [{ name: 'eth0', speedBps: 25e9, rxBps: (i % 50) * 1e8, txBps: 0 }],
    }),
  );
}

async function scrape(n: number, ages = false): Promise<string> {
  const { app, store, clock } = testApp({ reports: ages ? [] : reports(n) });
  if (ages)
    for (const [i, r] of reports(n).entries()) {
      store.ingest(r, clock.now());
      if (i % 7 === 0) clock.advance(1_000);
    }
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  return res.body;
}

function series(body: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of body.matchAll(new RegExp(`^${name}\\{node="([^"]+)"\\} (\\S+)$`, 'gm')))
    out.set(m[1] ?? '', Number(m[2]));
  return out;
}

t.test('per-node gauges carry the top nodes only; totals the whole fleet', async (t) => {
  const body = await scrape(250);
  const committed = series(body, 'berth_node_nvme_committed_ratio');
  t.equal(committed.size, TOP_NODES, `${TOP_NODES} most committed nodes`);
  const byCommitment = reports(250)
    .map((r) => ({ node: r.node, free: r.pools[0]?.freeBytes ?? 0 }))
    .sort((a, b) => a.free - b.free || (a.node < b.node ? -1 : 1))
    .slice(0, TOP_NODES);
  t.same([...committed.keys()].sort(), byCommitment.map((x) => x.node).sort(), 'the least free of 1000 GiB');
  t.equal(committed.get('n0099'), 0.99, '(capacity - free) / capacity');
  for (const g of ['berth_node_nvme_free_bytes', 'berth_node_nvme_capacity_bytes', 'berth_node_nvme_reserved_bytes'])
    t.same([...series(body, g).keys()].sort(), [...committed.keys()].sort(), `${g}: the same nodes`);
  const headroom = series(body, 'berth_node_link_headroom_bps');
  t.equal(headroom.size, TOP_NODES);
  const byLoad = reports(250)
    .map((r) => ({ node: r.node, rx: r.nics[0]?.rxBps ?? 0 }))
    .sort((a, b) => b.rx - a.rx || (a.node < b.node ? -1 : 1))
    .slice(0, TOP_NODES);
  t.same([...headroom.keys()].sort(), byLoad.map((x) => x.node).sort(), 'least headroom: the most loaded links');
  t.equal(headroom.get('n0049'), 25e9 - 49e8, 'speed minus load');
  t.equal(series(body, 'berth_report_age_seconds').size, TOP_NODES, 'report age for the oldest only');
  let free = 0;
  for (const r of reports(250)) free += r.pools[0]?.freeBytes ?? 0;
  t.match(body, new RegExp(`^berth_nvme_free_bytes ${free}$`, 'm'), 'free summed over every node');
  t.match(body, new RegExp(`^berth_nvme_capacity_bytes ${250 * 1000 * GiB}$`, 'm'), 'capacity summed');
  t.match(body, /^berth_reports\{state="fresh"\} 250$/m, 'every report counted');
});

t.test('the oldest reports are the ones shown', async (t) => {
  const body = await scrape(70, true);
  const ages = series(body, 'berth_report_age_seconds');
  t.same(
    [...ages.keys()].sort(),
    Array.from({ length: TOP_NODES }, (_, i) => `n${String(i).padStart(4, '0')}`),
    'the first ingested (oldest) ten',
  );
});

t.test("a scrape's size does not grow with the number of nodes", async (t) => {
  const small = (await scrape(20)).length;
  const large = (await scrape(5000)).length;
  t.ok(large < small * 1.05, `20 nodes: ${small} bytes; 5,000 nodes: ${large} bytes`);
});

t.test('topRows: highest first, ties by name, rows without a value skipped', async (t) => {
  const row = (node: string, ageSeconds: number): NodeRow => ({
    node,
    ageSeconds,
    nvmeFree: 0,
    nvmeCapacity: 0,
    reserved: 0,
    linkSpeed: null,
    headroom: null,
    fresh: true,
  });
  const rows = [row('c', 3), row('a', 5), row('b', 5), row('d', 1), row('e', 4)];
  t.same(
    topRows(rows, 3, (r) => r.ageSeconds).map((r) => r.node),
    ['a', 'b', 'e'],
  );
  t.same(
    topRows(rows, 10, (r) => (r.node === 'c' ? null : r.ageSeconds)).map((r) => r.node),
    ['a', 'b', 'e', 'd'],
  );
  t.same(
    topRows(rows, 0, (r) => r.ageSeconds),
    [],
  );
});
