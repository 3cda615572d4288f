/**
 * The berth command: `berth extender`, `berth agent`. Only this file wires adapters together.
 */
import { isBerthError } from '../lib/core/errors.ts';
import { runExtenderCommand } from './extender/run.ts';

const USAGE = `Usage: berth <command> [flags]

Commands:
  extender   serve kube-scheduler's filter and prioritize verbs (berth extender --help)
  agent      measure this node and publish its report (berth agent --help)
  explain    why berth would place a pod where it would: explain pod NAMESPACE/NAME (berth explain --help)
`;

/** Runs one command; resolves its exit status. berth's own errors end it with one line and status 1. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    // berth's errors (lib/core/errors.ts) are one line with their code; anything else is a bug: the stack.
    const text = isBerthError(e) ? `${e.message} (${e.code})` : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`berth: ${text}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'extender':
      return runExtenderCommand(rest);
    case 'agent': {
      const { runAgentCommand } = await import('./agent/cli.ts');
      return runAgentCommand(rest);
    }
    case 'explain': {
      const { runExplainCommand } = await import('./explain/command.ts');
      return runExplainCommand(rest);
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`berth: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
