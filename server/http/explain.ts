/**
 * Why berth would answer as it does. POST takes the same body as filter (replay what kube-scheduler sent);
 * GET builds a pod from query parameters, for a quick look from a shell:
 *   /v1/explain?nvme=200Gi&bandwidth=10G&latency=500us&peers=app%3Dpg&nodes=a,b
 */
import type { FastifyInstance } from 'fastify';
import { explainNodes } from '../../lib/extender/explain.ts';
import { ANNOTATIONS } from '../../lib/extender/needs.ts';
import { BerthError } from '../../lib/core/errors.ts';
import { extenderArgs } from './args.ts';
import { prepare } from './context.ts';
import type { AppDeps } from './deps.ts';

const QUERY_TO_ANNOTATION: Readonly<Record<string, string>> = {
  nvme: ANNOTATIONS.nvmeCapacity,
  bandwidth: ANNOTATIONS.minBandwidth,
  latency: ANNOTATIONS.maxPeerLatency,
  peers: ANNOTATIONS.peers,
};

function answer(deps: AppDeps, body: unknown): unknown {
  const args = extenderArgs(deps, body);
  const prepared = prepare(deps, args);
  const pod = { namespace: prepared.facts.namespace, name: prepared.facts.name };
  if (!prepared.ok) return { pod, error: prepared.reason, nodes: [] };
  return explainNodes(pod, args.names, prepared.ctx);
}

export function explainRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post('/v1/explain', { config: { verb: 'explain' } }, (req) => answer(deps, req.body));
  app.get('/v1/explain', { config: { verb: 'explain' } }, (req) => {
    const query = (req.query ?? {}) as Record<string, string | undefined>;
    const annotations: Record<string, string> = {};
    for (const [param, value] of Object.entries(query)) {
      const key = Object.hasOwn(QUERY_TO_ANNOTATION, param) ? QUERY_TO_ANNOTATION[param] : undefined;
      if (key !== undefined && value !== undefined) annotations[key] = value;
      else if (param !== 'nodes' && param !== 'namespace' && param !== 'name') {
        throw new BerthError(
          'BERTH_ERR_BAD_REQUEST',
          `unknown query parameter ${JSON.stringify(param)}; use nvme, bandwidth, latency, peers, nodes, namespace, name`,
        );
      }
    }
    const nodes =
      query['nodes'] !== undefined
        ? query['nodes'].split(',').filter((n) => n !== '')
        : [...deps.store.views()].map((v) => v.node).sort();
    const pod = {
      metadata: { namespace: query['namespace'] ?? 'default', name: query['name'] ?? 'explain', annotations },
      spec: {},
    };
    return answer(deps, { Pod: pod, Nodes: null, NodeNames: nodes });
  });
}
