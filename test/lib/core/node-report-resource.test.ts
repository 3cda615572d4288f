import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describeProblems } from '../../../lib/core/check.ts';
import {
  nodeReportObject,
  nodeReportStatusOpenApi,
  reportFromObject,
  reportSummary,
  reportToStatus,
  statusWrittenAtMs,
} from '../../../lib/core/node-report-resource.ts';
import { CRD_FILE, withGeneratedStatus } from '../../../scripts/nodereport-crd.ts';
import { report } from '../../helpers/builders.ts';

t.test('report → object → report is lossless', async (t) => {
  const r = report('node-a', {
    zone: 'z1',
    pools: [
      ['nvme0', 1200, 3500],
      ['nvme1', 100, 200],
    ],
    peers: [['node-b', 250]],
    probe: '10.0.0.1:7070',
  });
  const obj = nodeReportObject(r, { name: 'node-a', uid: 'uid-a' });
  t.same(
    obj.metadata.ownerReferences,
    [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'uid-a' }],
    'owned by its Node',
  );
  t.equal(obj.metadata.name, 'node-a');
  t.notOk('apiVersion' in obj.status, 'the status does not repeat apiVersion');
  const back = reportFromObject(JSON.parse(JSON.stringify(obj)));
  t.ok(back.ok);
  if (back.ok) t.same(back.value, r);
});

t.test('summary columns', async (t) => {
  const cases: { name: string; r: ReturnType<typeof report>; want: Partial<ReturnType<typeof reportSummary>> }[] = [
    {
      name: 'binary units for NVMe, bit rate for the link',
      r: report('a', { pools: [['p', 1228.8, 3584]] }),
      want: { nvmeFree: '1.2Ti', nvmeCapacity: '3.5Ti', linkSpeed: '25Gbit/s', problems: 0 },
    },
    { name: 'no NICs', r: report('a', { nics: [] }), want: { linkSpeed: 'none' } },
    {
      name: 'unknown speed',
      r: report('a', { nics: [{ name: 'veth0', speedBps: null, rxBps: 0, txBps: 0 }] }),
      want: { linkSpeed: 'unknown' },
    },
    { name: 'no NVMe', r: report('a', { pools: [] }), want: { nvmeFree: '0', nvmeCapacity: '0' } },
  ];
  for (const c of cases) t.match(reportToStatus(c.r).summary, c.want, c.name);
});

t.test('reading rejects what the push path rejects, and names the field', async (t) => {
  const good = nodeReportObject(report('node-a'), { name: 'node-a', uid: 'u' });
  const cases: { name: string; obj: unknown; want: RegExp }[] = [
    { name: 'not an object', obj: 'x', want: /metadata: must be an object/ },
    {
      name: 'status names another node',
      obj: { ...good, metadata: { name: 'node-b' } },
      want: /status\.node: must equal the object's name "node-b"/,
    },
    {
      name: 'bad pool',
      obj: { ...good, status: { ...good.status, pools: [{ ...good.status.pools[0], freeBytes: -1 }] } },
      want: /status\.pools\[0\]\.freeBytes: must be ≥ 0/,
    },
    { name: 'status not an object', obj: { ...good, status: 'x' }, want: /status: must be an object/ },
  ];
  for (const c of cases) {
    const r = reportFromObject(c.obj);
    t.notOk(r.ok, c.name);
    if (!r.ok) t.match(describeProblems(r.problems), c.want, c.name);
  }
  const empty = reportFromObject({ metadata: { name: 'node-a' } });
  t.same(empty, { ok: true, value: null }, 'an object without status yet is nothing to ingest, not an error');
});

t.test('when the API server last took a status write', async (t) => {
  const mf = (entries: unknown[]): unknown => ({ metadata: { name: 'a', managedFields: entries } });
  const cases: { name: string; obj: unknown; want: number | null }[] = [
    {
      name: 'the latest status entry',
      obj: mf([
        { manager: 'berth-agent', subresource: 'status', time: '2026-11-21T10:00:05Z' },
        { manager: 'kubectl', subresource: 'status', time: '2026-11-21T10:00:09Z' },
      ]),
      want: Date.parse('2026-11-21T10:00:09Z'),
    },
    {
      name: 'the object apply does not count',
      obj: mf([
        { manager: 'berth-agent', time: '2026-11-21T11:00:00Z' },
        { manager: 'berth-agent', subresource: 'status', time: '2026-11-21T10:00:00Z' },
      ]),
      want: Date.parse('2026-11-21T10:00:00Z'),
    },
    { name: 'no status entry', obj: mf([{ manager: 'berth-agent', time: '2026-11-21T11:00:00Z' }]), want: null },
    { name: 'no managedFields', obj: { metadata: { name: 'a' } }, want: null },
    { name: 'unreadable time', obj: mf([{ subresource: 'status', time: 'yesterday' }]), want: null },
  ];
  for (const c of cases) t.equal(statusWrittenAtMs(c.obj), c.want, c.name);
});

t.test('the CRD carries the generated status schema (node scripts/nodereport-crd.ts)', async (t) => {
  const text = readFileSync(CRD_FILE, 'utf8');
  const crd = parse(text) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { status: unknown } } } }[] };
  };
  t.same(
    crd.spec.versions[0]?.schema.openAPIV3Schema.properties.status,
    nodeReportStatusOpenApi(),
    'manifests/crd/nodereports.yaml: status is what the schema generates',
  );
  t.equal(withGeneratedStatus(text), text, 'and exactly as the script writes it');
});

t.test('what the CRD rejects on write, reading rejects too', async (t) => {
  const good = nodeReportObject(report('node-a'), { name: 'node-a', uid: 'u' });
  const cases: { name: string; status: Record<string, unknown>; want: RegExp }[] = [
    {
      name: 'free above capacity (the CEL rule on each pool)',
      status: { ...good.status, pools: [{ ...good.status.pools[0], freeBytes: 2e15, capacityBytes: 1e15 }] },
      want: /status\.pools\[0\]\.freeBytes: must be ≤ capacityBytes \(1000000000000000\), got 2000000000000000/,
    },
    { name: 'not RFC 3339 (format: date-time)', status: { ...good.status, takenAt: '2026-11-21' }, want: /takenAt/ },
    {
      name: 'empty zone (minLength: 1)',
      status: { ...good.status, zone: '' },
      want: /status\.zone: must not be empty/,
    },
    {
      name: 'a required field missing',
      status: { ...good.status, nics: undefined },
      want: /status\.nics: must be an array/,
    },
  ];
  for (const c of cases) {
    const r = reportFromObject({ ...good, status: c.status });
    t.notOk(r.ok, c.name);
    if (!r.ok) t.match(describeProblems(r.problems), c.want, c.name);
  }
});
