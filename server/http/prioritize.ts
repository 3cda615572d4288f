import type { FastifyInstance } from 'fastify';
import { hasNeeds } from '../../lib/extender/needs.ts';
import { prioritizeNodes } from '../../lib/extender/prioritize.ts';
import { extenderArgs } from './args.ts';
import { prepare } from './context.ts';
import type { AppDeps } from './deps.ts';
import type { ScoreMemo } from '../../lib/extender/score-memo.ts';

export function prioritizeRoute(app: FastifyInstance, deps: AppDeps, memo: ScoreMemo): void {
  const { metrics } = deps;
  app.post(`${deps.config.prefix}/prioritize`, { config: { verb: 'prioritize' } }, (req) => {
    const args = extenderArgs(deps, req.body);
    metrics.nodesPerCall.observe({ verb: 'prioritize' }, args.names.length);
    const { facts, needs, ctx } = prepare(deps, args);
    // A pod whose annotations are invalid was already rejected everywhere by filter; it adds no score here.
    if (!needs.ok || ctx === null) return [];
    if (!hasNeeds(needs.needs)) metrics.fastPath.inc({ verb: 'prioritize' });
    deps.cluster.attempt?.(facts);
    const known = memo.recall({ podUid: facts.uid, storeVersion: deps.store.version, nowMs: ctx.nowMs }, args.names);
    const scores = prioritizeNodes(args, ctx, known);
    deps.cluster.scored?.(facts, needs.needs, scores);
    return scores;
  });
}
