/**
 * The prioritize verb, pure: an integer score 0..10 per node, in a top-level array (extender/v1/types.go:131).
 * A pod without needs gets an empty list, which gives every node the same zero from berth. A node that no longer
 * passes (its report went stale since filter) gets the floor score 0 rather than an error.
 */
import { judgeSlots, PASSED } from './judge.ts';
import { hasNeeds } from './needs.ts';
import type { RequestContext } from './verdict.ts';
import type { ExtenderArgs, HostPriority } from './wire.ts';

/** `known`: the scores filter computed for these names (score-memo.ts); `slots`: the names' slots, if resolved. */
export function prioritizeNodes(
  args: ExtenderArgs,
  ctx: RequestContext,
  known: readonly number[] | null = null,
  slots: Int32Array | null = null,
): HostPriority[] {
  if (!hasNeeds(ctx.needs)) return [];
  const names = args.names;
  const n = names.length;
  const out = new Array<HostPriority>(n);
  if (known !== null && known.length === n) {
    for (let i = 0; i < n; i++) out[i] = { Host: names[i] ?? '', Score: known[i] ?? 0 };
    return out;
  }
  const v = ctx.store.verdicts;
  judgeSlots(ctx, slots ?? ctx.store.resolve(names), n, v);
  for (let i = 0; i < n; i++) {
    const score = v.code[i] === PASSED ? (v.score[i] ?? -1) : -1;
    out[i] = { Host: names[i] ?? '', Score: Math.max(0, score) };
  }
  return out;
}
