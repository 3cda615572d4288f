import { describeProblems } from '../../lib/core/check.ts';
import { BerthError } from '../../lib/core/errors.ts';
import { parseExtenderArgs, type ExtenderArgs } from '../../lib/extender/wire.ts';
import type { AppDeps } from './deps.ts';

/** Parses a verb's body or throws the 400 that names the bad field. */
export function extenderArgs(deps: AppDeps, body: unknown): ExtenderArgs {
  const parsed = parseExtenderArgs(body, {
    maxNodes: deps.config.maxNodes,
    acceptFullNodes: deps.config.acceptFullNodes,
  });
  if (!parsed.ok) throw new BerthError('BERTH_ERR_BAD_REQUEST', describeProblems(parsed.problems));
  return parsed.value;
}
