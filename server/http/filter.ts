import type { FastifyInstance } from 'fastify';
import { filterNodes, rejectAll } from '../../lib/extender/filter.ts';
import { hasNeeds } from '../../lib/extender/needs.ts';
import { extenderArgs } from './args.ts';
import { prepare } from './context.ts';
import type { AppDeps } from './deps.ts';
import type { ScoreMemo } from '../../lib/extender/score-memo.ts';
import { BerthError } from '../../lib/core/errors.ts';

/**
 * Right after start berth knows no node yet (standalone: no report pushed; --kube: the first sync has not
 * completed). Judging then would reject every node as "no report", and kube-scheduler would park the pod as
 * unschedulable until some cluster event; an error instead makes it retry within its 1-10 s backoff. Once synced,
 * berth answers from what it has even while an informer is down. Pods without needs are never refused.
 */
function refuseUntilSynced(deps: AppDeps): void {
  const sync = deps.cluster.initialSync?.();
  if (sync !== undefined && !sync.done) throw new BerthError('BERTH_ERR_NOT_READY', sync.reason);
  if (sync === undefined && deps.store.size === 0)
    throw new BerthError('BERTH_ERR_NOT_READY', 'no node report received since start');
}

export function filterRoute(app: FastifyInstance, deps: AppDeps, memo: ScoreMemo): void {
  const { metrics } = deps;
  app.post(`${deps.config.prefix}/filter`, { config: { verb: 'filter' } }, (req) => {
    const args = extenderArgs(deps, req.body);
    metrics.nodesPerCall.observe({ verb: 'filter' }, args.names.length);
    const { facts, needs, ctx } = prepare(deps, args);
    if (!needs.ok || ctx === null) {
      const outcome = rejectAll(args, needs.ok ? 'needs unavailable' : needs.reason);
      metrics.rejections.inc({ reason: 'invalid_needs' }, args.names.length);
      return outcome.result;
    }
    if (!hasNeeds(needs.needs)) metrics.fastPath.inc({ verb: 'filter' });
    else refuseUntilSynced(deps);
    deps.cluster.attempt?.(facts);
    const outcome = filterNodes(args, ctx);
    for (const [reason, n] of outcome.rejected) metrics.rejections.inc({ reason }, n);
    memo.remember(
      { podUid: facts.uid, storeVersion: deps.store.version, nowMs: ctx.nowMs },
      outcome.passed,
      outcome.scores,
    );
    if (deps.cluster.filtered !== undefined && hasNeeds(needs.needs))
      deps.cluster.filtered(facts, needs.needs, outcome.passed);
    return outcome.result;
  });
}
