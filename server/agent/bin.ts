/**
 * Runs `berth agent` directly (`node server/agent/bin.ts --once --json`), for tests, the cost benchmark and
 * debugging before server/main.ts dispatches to runAgentCommand().
 */
import { runAgentCommand } from './cli.ts';

process.exitCode = await runAgentCommand(process.argv.slice(2));
