import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { filterJson, type FilterResult } from '../../lib/extender/wire.ts';
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

const DEBUG_DETAILS = 200;

export function filterRoute(app: FastifyInstance, deps: AppDeps, memo: ScoreMemo): void {
  const { metrics } = deps;
  app.post(`${deps.config.prefix}/filter`, { config: { verb: 'filter' } }, (req, reply) => {
    // Serialised here (lib/extender/wire.ts filterJson): the same bytes JSON.stringify would write, faster.
    return reply.type('application/json').send(filterJson(answer(req.body, req.log)));
  });

  function answer(body: unknown, log: FastifyBaseLogger): FilterResult {
    const args = extenderArgs(deps, body);
    metrics.nodesPerCall.observe({ verb: 'filter' }, args.names.length);
    const prepared = prepare(deps, args);
    if (!prepared.ok) {
      metrics.rejections.inc({ reason: 'invalid_needs' }, args.names.length);
      return rejectAll(args, prepared.reason).result;
    }
    const { facts, needs, ctx } = prepared;
    if (!hasNeeds(needs)) {
      metrics.fastPath.inc({ verb: 'filter' });
      return filterNodes(args, ctx).result;
    }
    refuseUntilSynced(deps);
    deps.cluster.attempt?.(facts);
    const outcome = filterNodes(args, ctx);
    for (const [reason, n] of outcome.rejected) metrics.rejections.inc({ reason }, n);
    // The answer's reasons are shared texts; each node's own figures go to the debug log (first 200).
    if (outcome.rejected.size > 0 && (log.level === 'debug' || log.level === 'trace'))
      log.debug(
        { pod: `${facts.namespace}/${facts.name}`, nodes: outcome.details(DEBUG_DETAILS) },
        'filter rejections',
      );
    const key = { podUid: facts.uid, storeVersion: deps.store.version, nowMs: ctx.nowMs };
    memo.remember(key, outcome.passed, outcome.scores, outcome.passedSlots);
    deps.cluster.filtered?.(facts, needs, outcome.passed);
    return outcome.result;
  }
}
