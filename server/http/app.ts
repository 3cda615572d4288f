/**
 * buildApp(deps) → a fastify instance with every route, not yet listening, so tests drive it with inject().
 * Server timeouts follow kube-scheduler's client: Go keeps idle connections 90 s, so keep-alive must outlast it
 * or a POST can race a server-side close and count as a failed extender call (docs/protocol.md).
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import type { AppDeps } from './deps.ts';
import { admissionRoutes } from './admission.ts';
import { installErrorHandling } from './errors.ts';
import { explainRoutes } from './explain.ts';
import { filterRoute } from './filter.ts';
import { healthRoutes } from './health.ts';
import { installJsonParser } from './json-body.ts';
import { prioritizeRoute } from './prioritize.ts';
import { reportRoutes } from './reports.ts';
import { ScoreMemo } from '../../lib/extender/score-memo.ts';

export interface BuildOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** The process's logger (server/common/log.ts); takes the place of `logger`. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** TLS material; with `ca`, clients must present a certificate signed by it. */
  readonly tls?: SecureContextOptions & { readonly requireClientCert: boolean };
  /** Only probes and /metrics: the plain-HTTP side port. */
  readonly probesOnly?: boolean;
}

function serverOptions(deps: AppDeps, opts: BuildOptions) {
  return {
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    keepAliveTimeout: 120_000,
    requestTimeout: 30_000,
    connectionTimeout: 0,
    forceCloseConnections: 'idle' as const,
    return503OnClosing: true,
  };
}

export function buildApp(deps: AppDeps, opts: BuildOptions = {}): FastifyInstance {
  const base = serverOptions(deps, opts);
  const tls = opts.tls;
  // fastify infers http or https from the options; the https instance is used through the common interface.
  const app: FastifyInstance = tls
    ? Fastify({
        ...base,
        https: { ...tls, requestCert: tls.requireClientCert, rejectUnauthorized: tls.requireClientCert },
      })
    : Fastify(base);
  installErrorHandling(app, deps.config.bodyLimitBytes);
  installJsonParser(app);
  const { metrics } = deps;
  app.addHook('onResponse', async (req, reply) => {
    const verb = (req.routeOptions.config as { verb?: string } | undefined)?.verb ?? 'other';
    if (verb === 'probe') return;
    metrics.requestDuration.observe({ verb, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > 0) metrics.requestBytes.observe({ verb }, length);
  });
  healthRoutes(app, deps);
  if (opts.probesOnly) return app;
  const memo = new ScoreMemo();
  filterRoute(app, deps, memo);
  prioritizeRoute(app, deps, memo);
  explainRoutes(app, deps);
  reportRoutes(app, deps);
  admissionRoutes(app, deps);
  return app;
}
