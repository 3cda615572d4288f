/**
 * Turns a parsed request into what the pure engine needs: the pod's facts, its needs and the request context.
 * Done once per request; filter, prioritize and explain then only read. The context (reservations by slot, the
 * peers' RTT lanes) is built apart from the pod's needs, because prioritize right after filter reuses filter's
 * scores and needs no context at all.
 */
import { podNeeds, wantsPeers, type Needs } from '../../lib/extender/needs.ts';
import { podFacts, type PodFacts } from '../../lib/extender/pod.ts';
import { requestContext } from '../../lib/extender/request.ts';
import type { RequestContext } from '../../lib/extender/verdict.ts';
import type { ExtenderArgs } from '../../lib/extender/wire.ts';
import type { AppDeps } from './deps.ts';

/** The pod's needs could not be read (an invalid annotation), or its facts and needs. */
export type PodRead =
  | { readonly ok: false; readonly facts: PodFacts; readonly reason: string }
  | { readonly ok: true; readonly facts: PodFacts; readonly needs: Needs };

/** As PodRead, with everything the engine needs to judge the pod. */
export type Prepared =
  Extract<PodRead, { ok: false }> | (Extract<PodRead, { ok: true }> & { readonly ctx: RequestContext });

const NO_PEERS: readonly string[] = Object.freeze([]);

export function readPod(deps: AppDeps, args: ExtenderArgs): PodRead {
  const facts = podFacts(args.pod);
  const read = podNeeds(facts, deps.cluster.claimVolumes(facts));
  return read.ok ? { ok: true, facts, needs: read.needs } : { ok: false, facts, reason: read.reason };
}

/** What a pod is judged by at `nowMs`: the policy, reservations and its peers' nodes as the cluster has them. */
export function judgingContext(deps: AppDeps, facts: PodFacts, needs: Needs, nowMs: number): RequestContext {
  const { cluster } = deps;
  return requestContext(deps.store, {
    nowMs,
    policy: deps.config.policy,
    needs,
    reservations: cluster.reservations(),
    peerNodes: wantsPeers(needs) && needs.peers !== null ? cluster.peerNodes(needs.peers, facts) : NO_PEERS,
  });
}

export function prepare(deps: AppDeps, args: ExtenderArgs): Prepared {
  const read = readPod(deps, args);
  if (!read.ok) return read;
  return { ...read, ctx: judgingContext(deps, read.facts, read.needs, deps.now()) };
}
