/**
 * buildApp(deps) → a fastify instance with every route, not yet listening, so tests drive it with inject().
 *
 * Connections are bounded by the configuration: a client has --request-timeout to send a whole request (a new
 * connection that sends nothing is closed after it), --handshake-timeout to finish TLS, and at most
 * --max-connections are open at once. An idle kept-alive connection is held --keep-alive-timeout, longer than
 * kube-scheduler's Go client keeps it (90 s), or a POST could race a server-side close and count as a failed
 * extender call (docs/protocol.md). While draining, every answer carries `Connection: close`, so each client
 * moves to another replica with its next call instead of meeting the listener's close on a kept-alive connection.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import { parse as parseQuery } from 'node:querystring';
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
import { BerthError } from '../../lib/core/errors.ts';
import { quoteBounded } from '../../lib/core/quote.ts';

export interface BuildOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** The process's logger (server/common/log.ts); takes the place of `logger`. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** TLS material; with `ca`, clients must present a certificate signed by it. */
  readonly tls?: SecureContextOptions & { readonly requireClientCert: boolean };
  /** Only probes and /metrics: the plain-HTTP side port. */
  readonly probesOnly?: boolean;
}

/** How often Node looks for requests past --request-timeout: the timeout holds to within this. */
const TIMEOUT_CHECK_MS = 1000;
/** Connections refused for --max-connections are logged at most this often, with their count. */
const DROP_LOG_INTERVAL_MS = 10_000;

function serverOptions(deps: AppDeps, opts: BuildOptions) {
  const c = deps.config;
  const timeouts = {
    requestTimeout: c.requestTimeoutMs,
    headersTimeout: c.requestTimeoutMs,
    keepAliveTimeout: c.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, c.requestTimeoutMs),
  };
  const tls = opts.tls;
  return {
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: c.bodyLimitBytes,
    keepAliveTimeout: c.keepAliveTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    connectionTimeout: 0,
    forceCloseConnections: 'idle' as const,
    return503OnClosing: true,
    // node:querystring keeps every key as data (a "__proto__" parameter is a parameter) and stops at 1000 keys.
    routerOptions: { querystringParser: (text: string) => parseQuery(text) },
    // A URL fastify cannot decode (a bad %-escape) is answered in berth's own error format.
    frameworkErrors: (err: Error, _req: unknown, reply: FastifyReply) => {
      const e = new BerthError('BERTH_ERR_BAD_REQUEST', err.message);
      void reply.code(e.status).send({ code: e.code, message: e.message });
    },
    http: timeouts,
    ...(tls
      ? {
          https: {
            ...tls,
            ...timeouts,
            handshakeTimeout: c.handshakeTimeoutMs,
            requestCert: tls.requireClientCert,
            rejectUnauthorized: tls.requireClientCert,
          },
        }
      : {}),
  };
}

/** A parameter given twice arrives as an array; no route takes one, so it is refused rather than half-read. */
function repeatedQueryParameter(query: unknown): BerthError | null {
  if (typeof query !== 'object' || query === null) return null;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string')
      return new BerthError('BERTH_ERR_BAD_REQUEST', `query parameter ${quoteBounded(name)} is given more than once`);
  }
  return null;
}

function limitConnections(app: FastifyInstance, max: number): void {
  app.server.maxConnections = max;
  let dropped = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  app.server.on('drop', () => {
    dropped++;
    const now = performance.now();
    if (now - loggedAt < DROP_LOG_INTERVAL_MS) return;
    app.log.warn({ dropped, maxConnections: max }, 'connections refused: --max-connections reached');
    loggedAt = now;
    dropped = 0;
  });
}

export function buildApp(deps: AppDeps, opts: BuildOptions = {}): FastifyInstance {
  // fastify infers http or https from the options; the https instance is used through the common interface.
  const app = Fastify(serverOptions(deps, opts)) as unknown as FastifyInstance;
  limitConnections(app, deps.config.maxConnections);
  installErrorHandling(app);
  installJsonParser(app, {
    maxDepth: deps.config.maxJsonDepth,
    // Never below Kubernetes' 5000 nodes: a pod's or a report's own arrays must not depend on a small --max-nodes.
    maxArrayItems: Math.max(deps.config.maxNodes, 5000),
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (deps.shuttingDown()) void reply.header('connection', 'close');
    done(repeatedQueryParameter(req.query) ?? undefined);
  });
  const { metrics } = deps;
  // A callback hook, not an async one: no promise and microtask per request on the scheduler's path.
  app.addHook('onResponse', (req, reply, done) => {
    const verb = (req.routeOptions.config as { verb?: string } | undefined)?.verb ?? 'other';
    if (verb !== 'probe') {
      metrics.requestDuration.observe({ verb, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > 0) metrics.requestBytes.observe({ verb }, length);
    }
    done();
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
