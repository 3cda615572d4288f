/**
 * Turns a parsed request into what the pure engine needs: the pod's facts, its needs and the request context.
 * Done once per request; filter, prioritize and explain then only read.
 */
import { podNeeds, type NeedsResult } from '../../lib/needs.ts';
import { podFacts, type PodFacts } from '../../lib/pod.ts';
import type { RequestContext } from '../../lib/verdict.ts';
import type { ExtenderArgs } from '../../lib/wire.ts';
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
  const ctx: RequestContext = {
    nowMs: deps.now(),
    policy: deps.config.policy,
    needs: needs.needs,
    view: (node) => store.get(node),
    reserved: (node) => cluster.reserved(node),
    peerNodes: needs.needs.peers === null ? [] : cluster.peerNodes(needs.needs.peers, facts),
  };
  return { facts, needs, ctx };
}
