/**
 * `berth extender`: validate the configuration once, build the app, listen, and shut down gracefully: on SIGTERM
 * readiness fails first (so the Service stops routing to this replica), then in-flight requests finish, then exit.
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Server } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeProblems } from '../../lib/core/check.ts';
import { parseExtenderConfig, type ExtenderConfig } from '../../lib/extender/config.ts';
import { OPTIONS } from '../../lib/extender/options.ts';
import { ReportStore } from '../../lib/extender/report-store.ts';
import { standaloneCluster, type ClusterView } from '../../lib/extender/ports.ts';
import { buildApp } from '../http/app.ts';
import type { AppDeps } from '../http/deps.ts';
import type { ReportAuthenticator } from '../../lib/extender/ports.ts';
import type { ClaimSource } from '../../lib/cluster/routing.ts';
import { createExtenderMetrics } from '../http/metrics.ts';
import { optionsHelp } from '../../lib/core/options-text.ts';
import { componentLogger, createLogger, type Logger } from '../common/log.ts';
import { flagsRefused, parseFlags } from '../common/options.ts';
import { formatHostPort } from '../../lib/core/host-port.ts';
import { nodeRows } from './node-rows.ts';
import { readTls, reloadTlsOnChange } from './tls.ts';

export interface RunningExtender {
  readonly app: FastifyInstance;
  readonly deps: AppDeps;
  /** Base URL of the verbs listener, e.g. http://127.0.0.1:8888 */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly cluster?: ClusterView;
  readonly authenticateReport?: ReportAuthenticator | null;
  /** Claims for the pod-routing webhook (the Kubernetes side). */
  readonly claims?: ClaimSource;
  /** The process's root logger (server/common/log.ts); default: a new one at --log-level; false: none. */
  readonly logger?: Logger | false;
  /** Extra work to stop before the listeners close (the local agent, informers). */
  readonly onClose?: () => Promise<void>;
  /** How often certificate files are checked for rotation. */
  readonly tlsReloadIntervalMs?: number;
  /** The clock report freshness is judged by; tests move it instead of waiting out --report-ttl. */
  readonly now?: () => number;
}

export async function startExtender(config: ExtenderConfig, opts: StartOptions = {}): Promise<RunningExtender> {
  let shuttingDown = false;
  const store = new ReportStore();
  const cluster = opts.cluster ?? standaloneCluster;
  const now = opts.now ?? ((): number => Date.now());
  const metrics = createExtenderMetrics({ rows: (t) => nodeRows(store, cluster, config.policy.reportTtlMs, t) }, now);
  const deps: AppDeps = {
    config,
    store,
    cluster,
    metrics,
    now,
    authenticateReport: opts.authenticateReport ?? null,
    ...(opts.claims ? { claims: opts.claims } : {}),
    shuttingDown: () => shuttingDown,
  };
  const root = opts.logger === false ? null : (opts.logger ?? createLogger({ level: config.logLevel }));
  const logger = root === null ? { logger: false } : { loggerInstance: componentLogger(root, 'extender') };
  const app = buildApp(deps, { ...logger, ...(config.tls ? { tls: readTls(config.tls) } : {}) });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const stopTlsWatch = config.tls
    ? reloadTlsOnChange(
        app.server as unknown as Server,
        config.tls,
        (m) => {
          app.log.info(m);
        },
        opts.tlsReloadIntervalMs,
      )
    : () => undefined;
  let probes: FastifyInstance | null = null;
  if (config.metricsListen) {
    probes = buildApp(deps, { ...logger, probesOnly: true });
    await probes.listen({ host: config.metricsListen.host, port: config.metricsListen.port });
  }
  const stopEviction =
    opts.cluster === undefined ? evictForgottenReports(store, config, now, app.log) : () => undefined;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.listen.port;
  const url = `${config.tls ? 'https' : 'http'}://${formatHostPort({ host: config.listen.host, port })}`;
  return {
    app,
    deps,
    url,
    async close() {
      shuttingDown = true;
      await sleep(config.shutdownDelayMs);
      await opts.onClose?.();
      stopTlsWatch();
      stopEviction();
      await Promise.all([app.close(), probes?.close()]);
    },
  };
}

/**
 * Standalone mode has no API server to delete the reports of nodes that are gone: reports nobody refreshed for
 * --report-retention are forgotten, checked a few times per retention period (at most once a minute).
 */
function evictForgottenReports(
  store: ReportStore,
  config: ExtenderConfig,
  now: () => number,
  log: FastifyBaseLogger,
): () => void {
  const every = Math.min(60_000, Math.max(1_000, config.reportRetentionMs / 4));
  const timer = setInterval(() => {
    const gone = store.evictReceivedBefore(now() - config.reportRetentionMs);
    if (gone.length > 0)
      log.info(
        { nodes: gone.slice(0, 20), count: gone.length },
        'forgot reports not refreshed within --report-retention',
      );
  }, every);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

const EXTENDER_SUMMARY = "Serve kube-scheduler's filter and prioritize verbs from node reports.";

export async function runExtenderCommand(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, OPTIONS);
  if (!flags.ok) {
    process.stderr.write(flagsRefused('extender', flags.message));
    return 2;
  }
  if (flags.help) {
    process.stdout.write(optionsHelp('extender', EXTENDER_SUMMARY, OPTIONS));
    return 0;
  }
  const parsed = parseExtenderConfig(flags.values);
  if (!parsed.ok) {
    process.stderr.write(`berth extender: invalid configuration: ${describeProblems(parsed.problems)}\n`);
    return 2;
  }
  const config = parsed.value;
  const log = createLogger({ level: config.logLevel });
  // client-node costs ~400 ms to import: only --kube loads it.
  const kube =
    config.kube === null ? null : await (await import('../kube/kube-side.ts')).createKubeSide(config, config.kube);
  let running: RunningExtender;
  try {
    running = await startExtender(
      config,
      kube === null
        ? { logger: log }
        : {
            logger: log,
            cluster: kube.cluster,
            authenticateReport: kube.authenticateReport,
            claims: kube.claims,
            onClose: () => kube.close(),
          },
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the address is in use (another berth running? choose one with --listen)'
        : code === 'EACCES'
          ? 'permission denied'
          : e instanceof Error
            ? e.message
            : String(e);
    process.stderr.write(`berth extender: cannot start on ${config.listen.host}:${config.listen.port}: ${why}\n`);
    await kube?.close();
    return 1;
  }
  kube?.attach(running.deps.store, running.deps.metrics.registry, componentLogger(log, 'extender'));
  running.app.log.info({ url: running.url, prefix: config.prefix, kube: kube !== null }, 'berth extender listening');
  let agent: { stop(): Promise<void> } | null = null;
  try {
    agent = config.localAgent ? await startLocalAgent(running, log) : null;
  } catch (e) {
    await running.close(); // the listener would keep the process alive; the caller reports the error
    throw e;
  }
  closeWithGrace({ delay: parsed.value.shutdownDelayMs + 15_000 }, async ({ signal, err }) => {
    if (err) running.app.log.error({ err }, 'shutting down after an error');
    else running.app.log.info({ signal }, 'shutting down');
    await agent?.stop();
    await running.close();
  });
  return new Promise<number>(() => undefined);
}

/** Standalone mode: an agent in this process reports this machine to this extender (the root filesystem as a pool). */
async function startLocalAgent(running: RunningExtender, log: Logger): Promise<{ stop(): Promise<void> }> {
  const { startAgent } = await import('../agent/start.ts');
  const agent = await startAgent({ extender: running.url, args: LOCAL_AGENT_ARGS, log: componentLogger(log, 'agent') });
  running.app.log.info({ node: agent.config.node, probe: agent.probe }, 'local agent reporting this machine');
  return agent;
}

const LOCAL_AGENT_ARGS = ['--pool', 'root=mount:/', '--probe-listen', '127.0.0.1:0'];
