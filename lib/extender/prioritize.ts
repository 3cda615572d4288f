/**
 * The prioritize verb, pure: an integer score 0..10 per node, in a top-level array (extender/v1/types.go:131).
 * A pod without needs gets an empty list, which gives every node the same zero from berth. A node that no longer
 * passes (its report went stale since filter) gets the floor score 0 rather than an error.
 */
import { judgeSlots, PASSED } from './judge.ts';
import { hasNeeds } from './needs.ts';
import type { RequestContext } from './verdict.ts';
import type { ExtenderArgs, HostPriority } from './wire.ts';

/** `slots`: the names' slots in the report store's table, if already resolved. */
export function prioritizeNodes(
  args: ExtenderArgs,
  ctx: RequestContext,
  slots: Int32Array | null = null,
): HostPriority[] {
  if (!hasNeeds(ctx.needs)) return [];
  const names = args.names;
  const n = names.length;
  const out = new Array<HostPriority>(n);
  const v = ctx.store.verdicts;
  judgeSlots(ctx, slots ?? ctx.store.resolve(names), n, v);
  for (let i = 0; i < n; i++) {
    const score = v.code[i] === PASSED ? (v.score[i] ?? -1) : -1;
    out[i] = { Host: names[i] ?? '', Score: Math.max(0, score) };
  }
  return out;
}

/** The answer from the scores filter computed for exactly these names (score-memo.ts): nothing is judged again. */
export function rememberedPriorities(names: readonly string[], scores: readonly number[]): HostPriority[] {
  const out = new Array<HostPriority>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = { Host: names[i] ?? '', Score: scores[i] ?? 0 };
  return out;
}
