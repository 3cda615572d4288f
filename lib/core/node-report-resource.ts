/**
 * The NodeReport custom resource (berth.io/v1alpha1, cluster-scoped, one per node, named after it) and the report
 * it carries. The agent writes `status` with server-side apply; the extender reads it back through an informer.
 * The status is the report without its apiVersion (the object has one) plus `summary`: human-readable strings
 * for `kubectl get nodereports` columns, derived here so that they always agree with the numbers beside them.
 *
 * Reading is as strict as the HTTP push path: the status goes through parseReport, and its node must be the
 * object's name, so a report can only ever describe the node its object is named after (the admission policy in
 * manifests/admission/ ties the name to the writer's node).
 */
import { isRecord, type Checked } from './check.ts';
import { linkView, parseReport, REPORT_API_VERSION, REPORT_FIELDS, type NodeReport } from './report.ts';
import { number, object, optional, string, toOpenApi, type Infer, type OpenApi } from './schema.ts';
import { formatBitRate, formatBytes } from './units.ts';

export const NODE_REPORT_GROUP = 'berth.io';
export const NODE_REPORT_VERSION = 'v1alpha1';
export const NODE_REPORT_KIND = 'NodeReport';
export const NODE_REPORT_PLURAL = 'nodereports';
export const NODE_REPORT_API_VERSION = `${NODE_REPORT_GROUP}/${NODE_REPORT_VERSION}`;

const SUMMARY = object(
  {
    nvmeFree: string(32, { description: 'free NVMe pool space, e.g. 1.2Ti' }),
    nvmeCapacity: string(32, { description: 'NVMe pool capacity, e.g. 3.5Ti' }),
    linkSpeed: string(32, { description: 'pod-traffic link speed, e.g. 25Gbit/s; none or unknown' }),
    problems: number({ min: 0, integer: true, description: 'number of collector problems' }),
  },
  { description: 'human-readable copies for the printer columns, derived from the fields beside them' },
);

/** The status as the CRD validates it: the report's fields (its apiVersion is the object's) and the summary. */
export const NODE_REPORT_STATUS_SCHEMA = object({ ...REPORT_FIELDS, summary: optional(SUMMARY) });

/** The CRD's openAPIV3Schema for `status` (manifests/crd/nodereports.yaml; scripts/nodereport-crd.ts writes it). */
export function nodeReportStatusOpenApi(): OpenApi {
  return toOpenApi(NODE_REPORT_STATUS_SCHEMA);
}

export type ReportSummary = Infer<typeof SUMMARY>;

const REPORT_KEYS = Object.keys(REPORT_FIELDS);

export type NodeReportStatus = Omit<NodeReport, 'apiVersion'> & { readonly summary: ReportSummary };

/** The Node that owns the report, so that garbage collection removes the report with the node. */
export interface NodeOwner {
  readonly name: string;
  readonly uid: string;
}

export function reportSummary(report: NodeReport): ReportSummary {
  let free = 0;
  let capacity = 0;
  for (const p of report.pools) {
    if (!p.nvme) continue;
    free += p.freeBytes;
    capacity += p.capacityBytes;
  }
  const link = linkView(report);
  const speed = link?.speedBps ?? null;
  return {
    nvmeFree: formatBytes(free),
    nvmeCapacity: formatBytes(capacity),
    linkSpeed: link === null ? 'none' : speed === null ? 'unknown' : formatBitRate(speed),
    problems: report.problems.length,
  };
}

export function reportToStatus(report: NodeReport): NodeReportStatus {
  const { node, zone, takenAt, agent, probe, devices, pools, nics, peers, problems } = report;
  return { node, zone, takenAt, agent, probe, devices, pools, nics, peers, problems, summary: reportSummary(report) };
}

/** The whole object as the agent applies it: identity, owner, and the status. */
export function nodeReportObject(
  report: NodeReport,
  owner: NodeOwner,
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; ownerReferences: { apiVersion: string; kind: string; name: string; uid: string }[] };
  status: NodeReportStatus;
} {
  return {
    apiVersion: NODE_REPORT_API_VERSION,
    kind: NODE_REPORT_KIND,
    metadata: {
      name: report.node,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: owner.name, uid: owner.uid }],
    },
    status: reportToStatus(report),
  };
}

/**
 * Reads the report out of a NodeReport object. An object without status yet (created, not yet reported) is
 * `{ ok: true, value: null }`: nothing to ingest, and nothing wrong.
 */
export function reportFromObject(obj: unknown): Checked<NodeReport | null> {
  if (!isRecord(obj) || !isRecord(obj['metadata']))
    return { ok: false, problems: [{ path: 'metadata', message: 'must be an object' }] };
  const name = obj['metadata']['name'];
  const status = obj['status'];
  if (status === undefined || status === null || (isRecord(status) && Object.keys(status).length === 0))
    return { ok: true, value: null };
  if (!isRecord(status)) return { ok: false, problems: [{ path: 'status', message: 'must be an object' }] };
  // The report's fields only: the summary is derived, never read back (the numbers beside it are the truth).
  const fields: Record<string, unknown> = { apiVersion: REPORT_API_VERSION };
  for (const key of REPORT_KEYS) if (key in status) fields[key] = status[key];
  const parsed = parseReport(fields, 'status');
  if (!parsed.ok) return parsed;
  if (parsed.value.node !== name) {
    return {
      ok: false,
      problems: [
        {
          path: 'status.node',
          message: `must equal the object's name ${JSON.stringify(name)}, got ${JSON.stringify(parsed.value.node)}`,
        },
      ],
    };
  }
  return parsed;
}

/**
 * When the API server last accepted a write of the object's status (the latest `managedFields` entry for the
 * status subresource), in ms; null when there is none. That is the API server's clock, not the agent's, so it is
 * a fair "received at" for freshness: an extender that starts (or relists) does not mistake a report written an
 * hour ago by a dead agent for a fresh one. managedFields times have whole-second resolution.
 */
export function statusWrittenAtMs(obj: unknown): number | null {
  const fields = isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata']['managedFields'] : undefined;
  if (!Array.isArray(fields)) return null;
  let latest: number | null = null;
  for (const f of fields) {
    if (!isRecord(f) || f['subresource'] !== 'status' || typeof f['time'] !== 'string') continue;
    const t = Date.parse(f['time']);
    if (!Number.isNaN(t) && (latest === null || t > latest)) latest = t;
  }
  return latest;
}
