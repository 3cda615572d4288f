/**
 * Liveness says the process answers; readiness says berth can give answers worth having: not shutting down,
 * cluster state synced, and at least one node report fresh.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.ts';

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
  readonly reports: { readonly fresh: number; readonly stale: number };
}

export function readiness(deps: AppDeps): Readiness {
  const reasons: string[] = [];
  if (deps.shuttingDown()) reasons.push('shutting down');
  const cluster = deps.cluster.readiness();
  if (!cluster.ready) reasons.push(cluster.reason);
  const reports = deps.store.freshness(deps.now(), deps.config.policy.reportTtlMs);
  if (reports.fresh === 0)
    reasons.push(reports.stale === 0 ? 'no node report received yet' : `all ${reports.stale} node reports are stale`);
  return { ready: reasons.length === 0, reasons, reports };
}

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/healthz', { config: { verb: 'probe' } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { verb: 'probe' } }, (_req, reply) => {
    const r = readiness(deps);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get('/metrics', { config: { verb: 'probe' } }, async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
