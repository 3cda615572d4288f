/**
 * A running agent: the loop, the sender and the optional metrics endpoint, with one stop() that shuts them down
 * in order (stop rounds → one final publish if a report is waiting → close the echo socket and metrics server).
 * startAgent() is the in-process entry for standalone mode; launchAgent() is shared with the CLI.
 */
import { type AgentConfig, validateAgentConfig } from '../../lib/agent/config.ts';
import { formatHostPort, type HostPort } from '../../lib/core/host-port.ts';
import { describeProblems, type FieldProblem } from '../../lib/core/check.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import { hostname } from 'node:os';
import { AgentLoop } from './agent-loop.ts';
import { type AgentDeps, errorMessage, realDeps } from './deps.ts';
import { AGENT_OPTIONS } from '../../lib/agent/options.ts';
import { componentLogger, createLogger, type Logger } from '../common/log.ts';
import { parseFlags } from '../common/options.ts';
import type { AgentMetrics } from './metrics.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { LatestWinsSender, type PublishOutcome } from './publish/latest-wins-sender.ts';
import { BerthError, isBerthError } from '../../lib/core/errors.ts';
import { buildAgentParts, startError } from './runtime.ts';
import type { HostPaths } from './collectors/sysfs.ts';

export interface RunningAgent {
  readonly config: AgentConfig;
  /** The advertised echo address ("host:port"), or null when probing is off. */
  readonly probe: string | null;
  readonly metricsAddress: HostPort | null;
  readonly metrics: AgentMetrics;
  /** The newest report collected (published or not). */
  latest(): NodeReport | null;
  /** Idempotent. Resolves once everything is closed; never rejects. */
  stop(): Promise<void>;
}

/** The in-process agent's flags are berth's own, checked only once the extender runs: BERTH_ERR_CONFIG. */
function configError(problems: readonly FieldProblem[]): BerthError {
  return new BerthError('BERTH_ERR_CONFIG', `the in-process agent: ${describeProblems(problems)}`);
}

export interface StartAgentOptions {
  /** Base URL of the extender, e.g. "http://127.0.0.1:8888": reports go to /v1/reports, peers come from /v1/peers. */
  readonly extender: string;
  /** Further `berth agent` flags, e.g. ['--pool', 'fast=mount:/mnt/nvme', '--probe-listen', '127.0.0.1:0']. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly hostname?: string;
  /** Default: the real clock; the logger is `log`, else a new one on stderr at --log-level. */
  readonly deps?: AgentDeps;
  /** The process's logger, for an agent inside the extender: both write one shape into one output. */
  readonly log?: Logger;
}

/** Standalone mode: run the agent inside the extender's process. Throws BERTH_ERR_CONFIG or BERTH_ERR_START. */
export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const flags = parseFlags(['--extender', options.extender, ...(options.args ?? [])], AGENT_OPTIONS);
  if (!flags.ok) throw configError([{ path: '', message: flags.message }]);
  const checked = validateAgentConfig({
    flags: flags.values,
    env: options.env ?? process.env,
    hostname: options.hostname ?? hostname(),
  });
  if (!checked.ok) throw configError(checked.problems);
  if (checked.value.once) throw configError([{ path: '--once', message: 'not available in-process' }]);
  const config = checked.value;
  const log = options.log ?? componentLogger(createLogger({ level: config.logLevel }), 'agent');
  return launchAgent(config, options.deps ?? realDeps(log));
}

export async function launchAgent(config: AgentConfig, deps: AgentDeps, paths?: HostPaths): Promise<RunningAgent> {
  const parts = await buildAgentParts(config, deps, { once: false, ...(paths ? { paths } : {}) });
  const { publisher, metrics } = parts;
  if (publisher === null) {
    await parts.close();
    throw startError('--extender', 'or --kube is required to run the agent');
  }
  let metricsServer: MetricsServer | null = null;
  if (config.metricsListen !== null) {
    try {
      metricsServer = await startMetricsServer(config.metricsListen, metrics.registry);
    } catch (err) {
      await parts.close();
      throw startError('--metrics-listen', `cannot listen: ${errorMessage(err)}`, err);
    }
  }
  const sender = new LatestWinsSender({
    publisher,
    retryBaseMs: config.publish.retryBaseMs,
    retryMaxMs: config.publish.retryMaxMs,
    sleep: deps.sleep,
    random: deps.random,
    onOutcome: (o) => {
      recordOutcome(o, deps, metrics);
    },
  });
  const loop = new AgentLoop({
    collector: parts.collector,
    sender,
    intervalMs: config.intervalMs,
    heartbeatMs: config.heartbeatMs,
    change: config.change,
    clock: deps.clock,
    sleep: deps.sleep,
    log: deps.log,
    prime: () => parts.network.prime(deps.clock.monotonicMs()),
  });
  const rounds = new AbortController();
  const done = loop.run(rounds.signal).catch((err: unknown) => {
    deps.log.warn({ reason: errorMessage(err) }, 'agent loop stopped unexpectedly');
  });
  const metricsAt = metricsServer === null ? null : formatHostPort(metricsServer.address);
  deps.log.info(
    {
      node: config.node,
      zone: parts.zone,
      extender: config.extender,
      kube: config.kube !== null,
      probe: parts.probe,
      metrics: metricsAt,
      instance: parts.collector.instance,
    },
    'agent started',
  );
  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    rounds.abort();
    // A round in flight (a slow vgs, a probe wave) gets the publish timeout to finish; its report is not needed.
    const grace = new AbortController();
    await Promise.race([done, deps.sleep(config.publish.timeoutMs, grace.signal)]);
    grace.abort(); // release the grace timer, or it would hold the process open
    const flushed = await sender.stop(config.publish.timeoutMs);
    await parts.close();
    await metricsServer?.close();
    deps.log.info({ flushed }, 'agent stopped');
  };
  return {
    config,
    probe: parts.probe,
    metrics,
    metricsAddress: metricsServer?.address ?? null,
    latest: () => loop.latest,
    stop: () => (stopping ??= stop()),
  };
}

function recordOutcome(o: PublishOutcome, deps: AgentDeps, metrics: AgentMetrics): void {
  metrics.publishTotal.inc({ result: o.ok ? 'ok' : 'error' });
  if (o.ok) {
    metrics.lastPublish.set(deps.clock.nowMs() / 1000);
    if (o.attempt > 1 || o.report.agent.sequence === 1)
      deps.log.info({ sequence: o.report.agent.sequence, attempt: o.attempt }, 'report published');
  } else {
    deps.log.warn(
      {
        code: isBerthError(o.error) ? o.error.code : null,
        sequence: o.report.agent.sequence,
        attempt: o.attempt,
        retryInMs: o.retryInMs === undefined ? null : Math.round(o.retryInMs),
        reason: errorMessage(o.error),
      },
      'publish failed',
    );
  }
}
