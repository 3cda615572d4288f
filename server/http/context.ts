/**
 * Turns a parsed request into what the pure engine needs: the pod's facts, its needs and the request context.
 * Done once per request; filter, prioritize and explain then only read.
 */
import { podNeeds, type NeedsResult } from '../../lib/extender/needs.ts';
import { podFacts, type PodFacts } from '../../lib/extender/pod.ts';
import { peerRefs, type RequestContext } from '../../lib/extender/verdict.ts';
import type { ExtenderArgs } from '../../lib/extender/wire.ts';
import type { AppDeps } from './deps.ts';

export interface Prepared {
  readonly facts: PodFacts;
  readonly needs: NeedsResult;
  readonly ctx: RequestContext | null;
}

export function prepare(deps: AppDeps, args: ExtenderArgs): Prepared {
  const facts = podFacts(args.pod);
  const needs = podNeeds(facts, deps.cluster.claimVolumes(facts));
  if (!needs.ok) return { facts, needs, ctx: null };
  const { store, cluster } = deps;
  const view = (node: string): ReturnType<typeof store.get> => store.get(node);
  const ctx: RequestContext = {
    nowMs: deps.now(),
    policy: deps.config.policy,
    needs: needs.needs,
    view,
    reserved: (node) => cluster.reserved(node),
    peers: needs.needs.peers === null ? [] : peerRefs(cluster.peerNodes(needs.needs.peers, facts), view),
  };
  return { facts, needs, ctx };
}
