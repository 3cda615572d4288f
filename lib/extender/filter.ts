/**
 * The filter verb, pure: which candidate nodes can take the pod, and why the others cannot. A pod without needs
 * passes every node untouched: berth never disturbs pods it has no opinion about.
 */
import { hasNeeds } from './needs.ts';
import { assessNode, newAssessment, type ReasonCode, type RequestContext } from './verdict.ts';
import { emptyMap, filterResult, type ExtenderArgs, type FilterResult } from './wire.ts';

export interface FilterOutcome {
  readonly result: FilterResult;
  /** Names of the passing nodes and their scores, in the answer's order (prioritize may reuse them). */
  readonly passed: readonly string[];
  readonly scores: readonly number[];
  /** How many nodes each reason rejected, for metrics. */
  readonly rejected: ReadonlyMap<ReasonCode, number>;
}

const NOTHING_REJECTED: ReadonlyMap<ReasonCode, number> = new Map();

/** A pod whose needs could not be read fails on every node with the same reason, so the event shows it. */
export function rejectAll(args: ExtenderArgs, reason: string): FilterOutcome {
  const unresolvable = emptyMap();
  for (const name of args.names) unresolvable[name] = reason;
  return {
    result: filterResult(args, [], emptyMap(), unresolvable),
    passed: [],
    scores: [],
    rejected: new Map([['invalid_needs', args.names.length]]),
  };
}

export function filterNodes(args: ExtenderArgs, ctx: RequestContext): FilterOutcome {
  if (!hasNeeds(ctx.needs))
    return {
      result: filterResult(
        args,
        args.names.map((_, i) => i),
        emptyMap(),
        emptyMap(),
      ),
      passed: args.names,
      scores: [],
      rejected: NOTHING_REJECTED,
    };
  const passed: number[] = [];
  const passedNames: string[] = [];
  const scores: number[] = [];
  const failed = emptyMap();
  const unresolvable = emptyMap();
  const rejected = new Map<ReasonCode, number>();
  const scratch = newAssessment();
  for (let i = 0; i < args.names.length; i++) {
    const name = args.names[i] ?? '';
    const rejection = assessNode(name, ctx, scratch);
    if (rejection === null) {
      passed.push(i);
      passedNames.push(name);
      scores.push(scratch.score ?? 0);
      continue;
    }
    (rejection.unresolvable ? unresolvable : failed)[name] = rejection.message;
    rejected.set(rejection.code, (rejected.get(rejection.code) ?? 0) + 1);
  }
  return { result: filterResult(args, passed, failed, unresolvable), passed: passedNames, scores, rejected };
}
