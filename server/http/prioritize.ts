import type { FastifyInstance } from 'fastify';
import { hasNeeds } from '../../lib/extender/needs.ts';
import { prioritizeNodes, rememberedPriorities } from '../../lib/extender/prioritize.ts';
import type { ScoreMemo } from '../../lib/extender/score-memo.ts';
import { priorityJson } from '../../lib/extender/wire.ts';
import { extenderArgs } from './args.ts';
import { judgingContext, readPod } from './context.ts';
import type { AppDeps } from './deps.ts';

export function prioritizeRoute(app: FastifyInstance, deps: AppDeps, memo: ScoreMemo): void {
  const { metrics, store } = deps;
  const prefixOf = (slot: number): string => store.table.hostPrefix(slot);
  app.post(`${deps.config.prefix}/prioritize`, { config: { verb: 'prioritize' } }, (req, reply) => {
    const args = extenderArgs(deps, req.body);
    metrics.nodesPerCall.observe({ verb: 'prioritize' }, args.names.length);
    const read = readPod(deps, args);
    // A pod whose annotations are invalid was already rejected everywhere by filter; it adds no score here.
    if (!read.ok) return [];
    const { facts, needs } = read;
    if (!hasNeeds(needs)) {
      metrics.fastPath.inc({ verb: 'prioritize' });
      return [];
    }
    deps.cluster.attempt?.(facts);
    const nowMs = deps.now();
    const known = memo.recall({ podUid: facts.uid, storeVersion: store.version, nowMs }, args.names);
    // On a memo hit filter's scores and slots stand for these very names, and nothing needs judging; otherwise
    // the names are resolved once, here, and judged.
    const slots = known?.slots ?? store.resolve(args.names);
    const scores =
      known !== null
        ? rememberedPriorities(args.names, known.scores)
        : prioritizeNodes(args, judgingContext(deps, facts, needs, nowMs), slots);
    deps.cluster.scored?.(facts, needs, scores);
    // The answer is serialised here, from the hosts' cached prefixes: the same bytes JSON.stringify would write.
    return reply.type('application/json').send(priorityJson(scores, slots, prefixOf));
  });
}
