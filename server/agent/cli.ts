/**
 * `berth agent [flags]`: parse, validate (exit 2 with every bad flag named), then either one report (--once) or
 * the long-running agent until SIGTERM/SIGINT (exit 0 after a graceful stop).
 */
import { hostname } from 'node:os';
import { type AgentConfig, validateAgentConfig } from '../../lib/agent/config.ts';
import type { NodeReport } from '../../lib/core/report.ts';
import { backoffDelayMs } from '../../lib/core/jittered-backoff.ts';
import { type AgentDeps, errorMessage, realDeps } from './deps.ts';
import { AGENT_OPTIONS, AGENT_SUMMARY } from '../../lib/agent/options.ts';
import { optionsHelp } from '../../lib/core/options-text.ts';
import { componentLogger, createLogger } from '../common/log.ts';
import { flagsRefused, parseFlags } from '../common/options.ts';
import { isBerthError } from '../../lib/core/errors.ts';
import { buildAgentParts } from './runtime.ts';
import { launchAgent } from './start.ts';

export interface AgentCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  /** Default: the real clock and a logger on stderr at --log-level. */
  readonly deps?: AgentDeps;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT by default). */
  readonly stopSignal: () => Promise<string>;
}

const ONCE_PUBLISH_ATTEMPTS = 3;

/** Runs `berth agent`; argv is what follows "agent". Resolves the process exit code. */
export async function runAgentCommand(argv: string[], ioOverrides: Partial<AgentCommandIo> = {}): Promise<number> {
  const io: AgentCommandIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    hostname: hostname(),
    stopSignal: waitForStopSignal,
    ...ioOverrides,
  };
  const flags = parseFlags(argv, AGENT_OPTIONS);
  if (!flags.ok) {
    io.stderr(flagsRefused('agent', flags.message));
    return 2;
  }
  if (flags.help) {
    io.stdout(optionsHelp('agent', AGENT_SUMMARY, AGENT_OPTIONS));
    return 0;
  }
  const checked = validateAgentConfig({ flags: flags.values, env: io.env, hostname: io.hostname });
  if (!checked.ok) {
    for (const p of checked.problems) io.stderr(`berth agent: ${p.path === '' ? '' : `${p.path}: `}${p.message}\n`);
    return 2;
  }
  const config = checked.value;
  const deps = io.deps ?? realDeps(componentLogger(createLogger({ level: config.logLevel }), 'agent'));
  try {
    return config.once ? await runOnce(config, deps, io) : await runDaemon(config, deps, io);
  } catch (err) {
    io.stderr(`berth agent: ${errorMessage(err)}\n`);
    return isBerthError(err) && err.code === 'BERTH_ERR_START' ? 2 : 1;
  }
}

async function runDaemon(config: AgentConfig, deps: AgentDeps, io: AgentCommandIo): Promise<number> {
  const agent = await launchAgent(config, deps);
  const signal = await io.stopSignal();
  deps.log.info({ signal }, 'stopping');
  await agent.stop();
  return 0;
}

/**
 * One report. NIC rates need two counter readings, so the round is preceded by a first reading and a 1 s pause;
 * the "smoothed" rate is then simply the rate over that second. Latency is probed once if peers are configured,
 * from an ephemeral port, and `probe` is null: this process will not be there to answer.
 */
async function runOnce(config: AgentConfig, deps: AgentDeps, io: AgentCommandIo): Promise<number> {
  const parts = await buildAgentParts(config, deps, { once: true });
  let report: NodeReport;
  try {
    const never = new AbortController().signal;
    await parts.network.prime(deps.clock.monotonicMs());
    await deps.sleep(1000, never);
    report = await parts.collector.collect(never);
  } finally {
    await parts.close();
  }
  if (config.json || parts.publisher === null) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await parts.publisher.publish(report, AbortSignal.timeout(config.publish.timeoutMs));
      deps.log.info({ instance: report.agent.instance, sequence: report.agent.sequence }, 'report published');
      return 0;
    } catch (err) {
      deps.log.warn({ attempt, reason: errorMessage(err) }, 'publish failed');
      if (attempt >= ONCE_PUBLISH_ATTEMPTS) return 1;
      await deps.sleep(
        backoffDelayMs(attempt, config.publish.retryBaseMs, config.publish.retryMaxMs, deps.random),
        new AbortController().signal,
      );
    }
  }
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
