/**
 * The one logger: pino, for the extender (fastify logs through it), the agent and the Kubernetes side alike. One
 * JSON object per line on stderr, so that stdout stays the command's own output (--help, `agent --once --json`):
 *
 *   {"level":"info","time":"2026-11-21T10:00:00.000Z","component":"agent","node":"n1","msg":"agent started"}
 *
 * `level` is the name (fatal, error, warn, info, debug, trace: --log-level), `time` is ISO 8601 UTC, `component`
 * says which half wrote the line (extender, agent), the call's fields follow and `msg` ends the line. Writes are
 * synchronous: a line logged just before exit is not lost, and at berth's log volume (no per-request lines) the
 * cost does not show.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../lib/core/options.ts';

export type { Logger };
export type Component = 'extender' | 'agent';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; stderr unless a test captures them. */
  readonly destination?: DestinationStream;
}

/** The process's root logger; each half logs through componentLogger(root, ...). */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

export function componentLogger(root: Logger, component: Component): Logger {
  return root.child({ component });
}
