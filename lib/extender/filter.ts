/**
 * The filter verb, pure: which candidate nodes can take the pod, and why the others cannot. A pod without needs
 * passes every node untouched: berth never disturbs pods it has no opinion about, and answers them with the
 * request's own node list.
 */
import { judgeSlots, PASSED } from './judge.ts';
import { hasNeeds } from './needs.ts';
import { detailAt, Reasons, type ReasonCode, type RequestContext } from './verdict.ts';
import { filterResult, passedAll, type ExtenderArgs, type FilterResult } from './wire.ts';

export interface FilterOutcome {
  readonly result: FilterResult;
  /** Names of the passing nodes and their scores, in the answer's order (prioritize may reuse them). */
  readonly passed: readonly string[];
  readonly scores: readonly number[];
  /** The passing nodes' slots in the report store's table, in the same order. */
  readonly passedSlots: Int32Array;
  /** How many nodes each reason rejected, for metrics. */
  readonly rejected: ReadonlyMap<ReasonCode, number>;
  /**
   * Each rejected node's own figures (the reasons in the answer are shared texts), at most `limit` of them; for
   * debug logs. Valid until the next request is judged: call it right away or not at all.
   */
  readonly details: (limit: number) => Record<string, string>;
}

const NO_DETAILS = (): Record<string, string> => ({});

const NOTHING_REJECTED: ReadonlyMap<ReasonCode, number> = new Map();
const NO_SCORES: readonly number[] = Object.freeze([]);
const NO_SLOTS = new Int32Array(0);

/** A pod whose needs could not be read fails on every node with the same reason, so the event shows it. */
export function rejectAll(args: ExtenderArgs, reason: string): FilterOutcome {
  const unresolvable: Record<string, string> = {};
  for (const name of args.names) unresolvable[name] = reason;
  return {
    result: filterResult(args, [], {}, unresolvable),
    passed: [],
    scores: NO_SCORES,
    passedSlots: NO_SLOTS,
    rejected: new Map([['invalid_needs', args.names.length]]),
    details: NO_DETAILS,
  };
}

export function filterNodes(args: ExtenderArgs, ctx: RequestContext): FilterOutcome {
  const names = args.names;
  if (!hasNeeds(ctx.needs))
    return {
      result: passedAll(args),
      passed: names,
      scores: NO_SCORES,
      passedSlots: NO_SLOTS,
      rejected: NOTHING_REJECTED,
      details: NO_DETAILS,
    };
  const n = names.length;
  const slots = ctx.store.resolve(names);
  const v = ctx.store.verdicts;
  judgeSlots(ctx, slots, n, v);
  const passed: number[] = [];
  const passedNames: string[] = [];
  const scores: number[] = [];
  const passedSlots = new Int32Array(n);
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  const rejected = new Map<ReasonCode, number>();
  const reasons = new Reasons(ctx, v);
  for (let i = 0; i < n; i++) {
    const name = names[i] ?? '';
    if (v.code[i] === PASSED) {
      passedSlots[passed.length] = slots[i] ?? -1;
      passed.push(i);
      passedNames.push(name);
      scores.push(Math.max(0, v.score[i] ?? 0));
      continue;
    }
    const rejection = reasons.at(i, slots[i] ?? -1);
    if (rejection === null) continue;
    (rejection.unresolvable ? unresolvable : failed)[name] = rejection.message;
    rejected.set(rejection.code, (rejected.get(rejection.code) ?? 0) + 1);
  }
  const result =
    passed.length === n
      ? passedAll(args, failed, unresolvable)
      : filterResult(args, passed, failed, unresolvable, passedNames);
  const details = (limit: number): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = 0, kept = 0; i < n && kept < limit; i++) {
      const detail = detailAt(ctx, v, i, slots[i] ?? -1);
      if (detail === null) continue;
      out[names[i] ?? ''] = detail;
      kept++;
    }
    return out;
  };
  return {
    result,
    passed: passedNames,
    scores,
    passedSlots: passedSlots.subarray(0, passed.length),
    rejected,
    details,
  };
}
