/**
 * Standalone report ingestion. A body is one report or `{"items": [...]}`; every report is validated before any is
 * applied, so a bad batch changes nothing. In a cluster this path is off unless callers are authenticated.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { describeProblems, isRecord, type FieldProblem } from '../../lib/core/check.ts';
import { BerthError } from '../../lib/core/errors.ts';
import { parseReport, type NodeReport } from '../../lib/core/report.ts';
import type { AppDeps } from './deps.ts';

const MAX_BATCH = 5000;
/** Problems named in a 400; validation stops once this many are found, so a bad batch costs no more than that. */
const MAX_PROBLEMS = 20;
/**
 * One report with the most peers (4096, each named with up to 253 characters) is about 1.3 MiB; agents push one
 * report at a time, and batches of small reports are for tools. Not --body-limit, which is sized for the verbs.
 */
export const REPORT_BODY_LIMIT = 2 * 2 ** 20;

function readReports(body: unknown): NodeReport[] {
  const batch = isRecord(body) && 'items' in body;
  const list: unknown[] = batch ? (Array.isArray(body['items']) ? body['items'] : []) : [body];
  if (batch && !Array.isArray(body['items'])) throw new BerthError('BERTH_ERR_BAD_REPORT', 'items: must be an array');
  if (list.length > MAX_BATCH)
    throw new BerthError('BERTH_ERR_BAD_REPORT', `items: must have at most ${MAX_BATCH} reports, got ${list.length}`);
  const problems: FieldProblem[] = [];
  const reports: NodeReport[] = [];
  for (let i = 0; i < list.length && problems.length < MAX_PROBLEMS; i++) {
    const parsed = parseReport(list[i], batch ? `items[${i}]` : '');
    if (parsed.ok) reports.push(parsed.value);
    else problems.push(...parsed.problems);
  }
  if (problems.length > 0)
    throw new BerthError('BERTH_ERR_BAD_REPORT', describeProblems(problems.slice(0, MAX_PROBLEMS)));
  return reports;
}

/**
 * What can be refused before the body is read is refused then: push turned off, or a caller with no credentials
 * where pushes are authenticated (the authenticator answers for a request without any). The connection is closed
 * after the answer so that the unread body is never received.
 */
async function refuseBeforeReading(deps: AppDeps, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  let refusal: BerthError | null = null;
  if (!deps.config.reportsPush) refusal = new BerthError('BERTH_ERR_REPORTS_DISABLED', '');
  else if (deps.authenticateReport !== null && req.headers.authorization === undefined) {
    const auth = await deps.authenticateReport(undefined, '');
    if (!auth.ok)
      refusal = new BerthError(auth.status === 401 ? 'BERTH_ERR_UNAUTHENTICATED' : 'BERTH_ERR_FORBIDDEN', auth.reason);
  }
  if (refusal === null) return;
  void reply.header('connection', 'close');
  throw refusal;
}

export function reportRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { metrics, store } = deps;
  const options = {
    config: { verb: 'report', bodyLimitSource: 'the fixed limit of POST /v1/reports' },
    bodyLimit: REPORT_BODY_LIMIT,
    onRequest: (req: FastifyRequest, reply: FastifyReply) => refuseBeforeReading(deps, req, reply),
  };
  app.post('/v1/reports', options, async (req, reply) => {
    let reports: NodeReport[];
    try {
      reports = readReports(req.body);
    } catch (e) {
      metrics.reportsIngested.inc({ result: 'invalid' });
      throw e;
    }
    if (deps.authenticateReport !== null) {
      for (const r of reports) {
        const auth = await deps.authenticateReport(req.headers.authorization, r.node);
        if (!auth.ok)
          throw new BerthError(auth.status === 401 ? 'BERTH_ERR_UNAUTHENTICATED' : 'BERTH_ERR_FORBIDDEN', auth.reason);
      }
    }
    const outcomes = store.ingestAll(reports, deps.now());
    let accepted = 0;
    outcomes.forEach((o, i) => {
      metrics.reportsIngested.inc({ result: o });
      if (o !== 'accepted') return;
      accepted++;
      for (const peer of reports[i]?.peers ?? []) metrics.peerRtt.observe(peer.p50Us / 1e6);
    });
    return reply.code(200).send({ accepted, duplicate: outcomes.length - accepted });
  });

  app.get('/v1/reports', { config: { verb: 'other' } }, () => {
    const now = deps.now();
    const reservations = deps.cluster.reservations();
    const items = [...store.views()].map((v) => ({
      node: v.node,
      zone: v.zone,
      ageSeconds: (now - v.receivedAtMs) / 1000,
      stale: now - v.receivedAtMs > deps.config.policy.reportTtlMs,
      nvmeFreeBytes: v.nvmeFreeBytes,
      nvmeCapacityBytes: v.nvmeCapacityBytes,
      reservedBytes: (reservations.get(v.node) ?? []).reduce((a, b) => a + b, 0),
      link: v.link,
      peersMeasured: v.peersMeasured,
      problems: v.problems,
    }));
    return { items };
  });

  // Agents discover each other through the extender in standalone mode. Every agent polls this, so it carries an
  // ETag: an unchanged list costs a 304, not the whole list again.
  app.get('/v1/peers', { config: { verb: 'other' } }, (req, reply) => {
    const now = deps.now();
    const peers = [];
    for (const v of store.views()) {
      if (v.probe !== null && now - v.receivedAtMs <= deps.config.policy.reportTtlMs)
        peers.push({ node: v.node, zone: v.zone, probe: v.probe });
    }
    peers.sort((a, b) => (a.node < b.node ? -1 : 1));
    const body = JSON.stringify({ peers });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    void reply.header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json').send(body);
  });
}
