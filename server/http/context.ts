/**
 * Turns a parsed request into what the pure engine needs: the pod's facts, its needs and the request context.
 * Done once per request; filter, prioritize and explain then only read.
 */
import { podNeeds, wantsPeers, type Needs } from '../../lib/extender/needs.ts';
import { podFacts, type PodFacts } from '../../lib/extender/pod.ts';
import { requestContext } from '../../lib/extender/request.ts';
import type { RequestContext } from '../../lib/extender/verdict.ts';
import type { ExtenderArgs } from '../../lib/extender/wire.ts';
import type { AppDeps } from './deps.ts';

/** The pod's needs could not be read (an invalid annotation), or everything the engine needs to judge it. */
export type Prepared =
  | { readonly ok: false; readonly facts: PodFacts; readonly reason: string }
  | { readonly ok: true; readonly facts: PodFacts; readonly needs: Needs; readonly ctx: RequestContext };

const NO_PEERS: readonly string[] = Object.freeze([]);

export function prepare(deps: AppDeps, args: ExtenderArgs): Prepared {
  const facts = podFacts(args.pod);
  const { cluster } = deps;
  const read = podNeeds(facts, cluster.claimVolumes(facts));
  if (!read.ok) return { ok: false, facts, reason: read.reason };
  const needs = read.needs;
  const ctx = requestContext(deps.store, {
    nowMs: deps.now(),
    policy: deps.config.policy,
    needs,
    reservations: cluster.reservations(),
    peerNodes: wantsPeers(needs) && needs.peers !== null ? cluster.peerNodes(needs.peers, facts) : NO_PEERS,
  });
  return { ok: true, facts, needs, ctx };
}
