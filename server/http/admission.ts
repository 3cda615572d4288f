/**
 * The pod-routing admission webhook: POST /v1/admission/pods takes an AdmissionReview (admission.k8s.io/v1) for a
 * pod being created and answers with a JSON Patch that adds the marker resource when the pod should be sent to
 * berth (lib/cluster/routing.ts decides). It never denies: `allowed` is always true, and the
 * MutatingWebhookConfiguration in manifests/admission/ says failurePolicy: Ignore, so an outage of berth never
 * blocks a pod (docs/deploy.md, "Automatic routing").
 *
 * The decision is returned as an audit annotation (`<webhook name>/routed`) so an audit log says why a pod was or
 * was not marked. Claims come from the ClaimSource port (the Kubernetes side); without one only annotations route.
 */
import type { FastifyInstance } from 'fastify';
import { BerthError } from '../../lib/core/errors.ts';
import { isRecord } from '../../lib/core/check.ts';
import type { ClaimFacts, ClassFacts } from '../../lib/cluster/claim-volumes.ts';
import {
  claimsToLookUp,
  decideRouting,
  routingFacts,
  type ClaimSource,
  type Routing,
} from '../../lib/cluster/routing.ts';
import type { AppDeps } from './deps.ts';

export const ADMISSION_PATH = '/v1/admission/pods';
const REVIEW_API_VERSION = 'admission.k8s.io/v1';
const MAX_UID = 128;

interface ReviewRequest {
  readonly uid: string;
  readonly operation: string;
  readonly kind: string;
  readonly namespace: string;
  readonly object: Record<string, unknown> | null;
}

function bad(field: string, message: string): BerthError {
  return new BerthError('BERTH_ERR_BAD_REQUEST', `${field}: ${message}`);
}

/** Reads the parts of an AdmissionReview the webhook uses; anything malformed is a 400 naming the field. */
export function reviewRequest(body: unknown): ReviewRequest {
  if (!isRecord(body)) throw bad('body', 'must be an AdmissionReview object');
  if (body['apiVersion'] !== REVIEW_API_VERSION)
    throw bad(
      'apiVersion',
      `must be ${REVIEW_API_VERSION} (admissionReviewVersions: [v1]), got ${JSON.stringify(body['apiVersion'])}`,
    );
  if (body['kind'] !== 'AdmissionReview')
    throw bad('kind', `must be AdmissionReview, got ${JSON.stringify(body['kind'])}`);
  const req = body['request'];
  if (!isRecord(req)) throw bad('request', 'must be an object');
  const uid = req['uid'];
  if (typeof uid !== 'string' || uid === '' || uid.length > MAX_UID)
    throw bad('request.uid', `must be a non-empty string of at most ${MAX_UID} characters`);
  const operation = req['operation'];
  if (typeof operation !== 'string') throw bad('request.operation', 'must be a string');
  const kind = isRecord(req['kind']) ? req['kind']['kind'] : undefined;
  if (typeof kind !== 'string') throw bad('request.kind.kind', 'must be a string');
  const namespace = req['namespace'];
  if (namespace !== undefined && typeof namespace !== 'string') throw bad('request.namespace', 'must be a string');
  const object = req['object'];
  if (object !== undefined && object !== null && !isRecord(object)) throw bad('request.object', 'must be an object');
  return { uid, operation, kind, namespace: namespace ?? '', object: object ?? null };
}

/** The claims the pod names, looked up at once; the classes they name, for matching by provisioner. */
async function lookUp(
  source: ClaimSource,
  namespace: string,
  names: readonly string[],
): Promise<{ claims: Map<string, ClaimFacts | null>; classes: Map<string, ClassFacts>; errors: string[] }> {
  const found = await Promise.all(names.map((n) => source.claim(namespace, n)));
  const claims = new Map<string, ClaimFacts | null>();
  const errors: string[] = [];
  found.forEach((f, i) => {
    claims.set(names[i] ?? '', f.claim);
    if (f.error !== undefined) errors.push(f.error);
  });
  const classNames = new Set<string>();
  for (const c of claims.values())
    if (
      c !== null &&
      c.storageClass !== null &&
      c.volumeName === null &&
      !source.match.classes.includes(c.storageClass)
    )
      classNames.add(c.storageClass);
  const classes = new Map<string, ClassFacts>();
  if (source.match.provisioners.length > 0)
    for (const name of classNames) {
      const cls = await source.storageClass(name);
      if (cls !== undefined) classes.set(name, cls);
    }
  return { claims, classes, errors };
}

async function decide(deps: AppDeps, req: ReviewRequest, object: Record<string, unknown>): Promise<Routing> {
  // The namespace of the request is the truth: a pod created through a namespaced URL may leave its own empty.
  const meta = isRecord(object['metadata']) ? object['metadata'] : {};
  const facts = routingFacts({ ...object, metadata: { ...meta, namespace: req.namespace } });
  const names = claimsToLookUp(facts);
  const source = deps.claims;
  if (names.length === 0 || source === undefined)
    return decideRouting(facts, new Map(), () => undefined, source?.match ?? { classes: [], provisioners: [] });
  const { claims, classes, errors } = await lookUp(source, facts.pod.namespace, names);
  const routing = decideRouting(facts, claims, (n) => classes.get(n), source.match);
  if (!routing.route && errors.length > 0) return { route: false, reason: `${routing.reason} (${errors.join('; ')})` };
  return routing;
}

export function admissionRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(ADMISSION_PATH, { config: { verb: 'admission' } }, async (request) => {
    const req = reviewRequest(request.body);
    const answer = (extra: Record<string, unknown>): unknown => ({
      apiVersion: REVIEW_API_VERSION,
      kind: 'AdmissionReview',
      response: { uid: req.uid, allowed: true, ...extra },
    });
    if (req.kind !== 'Pod' || req.operation !== 'CREATE' || req.object === null)
      return answer({ auditAnnotations: { routed: `false: not a pod creation (${req.operation} ${req.kind})` } });
    const routing = await decide(deps, req, req.object);
    request.log.debug({ namespace: req.namespace, routed: routing.route, reason: routing.reason }, 'pod routing');
    if (!routing.route) return answer({ auditAnnotations: { routed: `false: ${routing.reason}` } });
    return answer({
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(routing.patch)).toString('base64'),
      auditAnnotations: { routed: `true: ${routing.reason}` },
    });
  });
}
