/**
 * The prioritize verb, pure: an integer score 0..10 per node, in a top-level array (extender/v1/types.go:131).
 * A pod without needs gets an empty list, which gives every node the same zero from berth. A node that no longer
 * passes (its report went stale since filter) gets the floor score 0 rather than an error.
 */
import { hasNeeds } from './needs.ts';
import { assessNode, newAssessment, type RequestContext } from './verdict.ts';
import type { ExtenderArgs, HostPriority } from './wire.ts';

export function prioritizeNodes(
  args: ExtenderArgs,
  ctx: RequestContext,
  known: readonly number[] | null = null,
): HostPriority[] {
  if (!hasNeeds(ctx.needs)) return [];
  const out: HostPriority[] = new Array<HostPriority>(args.names.length);
  if (known !== null && known.length === args.names.length) {
    for (let i = 0; i < known.length; i++) out[i] = { Host: args.names[i] ?? '', Score: known[i] ?? 0 };
    return out;
  }
  const scratch = newAssessment();
  for (let i = 0; i < args.names.length; i++) {
    const host = args.names[i] ?? '';
    const rejection = assessNode(host, ctx, scratch);
    out[i] = { Host: host, Score: rejection === null ? (scratch.score ?? 0) : 0 };
  }
  return out;
}
