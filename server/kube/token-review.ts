/**
 * Authenticates pushed reports in a cluster (docs/kubernetes.md, "The in-cluster push path"). The agent sends a projected service
 * account token with audience "berth"; berth asks the API server (TokenReview, same audience) who it belongs to and
 * accepts the report only if the token is the agent service account's and carries the node-name claim of the node
 * the report is about. The claim is what binds a token to one node: the kubelet mints it for the agent pod on that
 * node (ServiceAccountTokenPodNodeInfo, GA in 1.32).
 *
 * Reviews are cached by SHA-256 of the token for at most min(token expiry, 5 min), so a push every few seconds per
 * node costs one TokenReview per node per token rotation, not one per push. A failed review call (API server down)
 * is never cached.
 */
import { createHash } from 'node:crypto';
import type { ReportAuthenticator } from '../../lib/extender/ports.ts';

export const PUSH_AUDIENCE = 'berth';
export const NODE_NAME_CLAIM = 'authentication.kubernetes.io/node-name';
const MAX_CACHE_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;

/** What the API server said about a token. */
export interface ReviewResult {
  readonly authenticated: boolean;
  readonly username: string | null;
  readonly audiences: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
  readonly error: string | null;
}

export type TokenReviewer = (token: string) => Promise<ReviewResult>;

interface Cached {
  readonly result: ReviewResult;
  readonly untilMs: number;
}

/** The token's own `exp` (seconds), read without verifying: only to bound the cache, the review did the verifying. */
export function tokenExpiryMs(token: string): number | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const exp: unknown = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)[
      'exp'
    ];
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

export interface TokenReviewAuthOptions {
  readonly review: TokenReviewer;
  readonly agent: { readonly namespace: string; readonly name: string };
  readonly now: () => number;
}

export function tokenReviewAuthenticator(
  opts: TokenReviewAuthOptions,
): ReportAuthenticator & { readonly cacheSize: () => number } {
  const cache = new Map<string, Cached>();
  const username = `system:serviceaccount:${opts.agent.namespace}:${opts.agent.name}`;

  const reviewed = async (token: string): Promise<ReviewResult> => {
    const key = createHash('sha256').update(token).digest('hex');
    const now = opts.now();
    const hit = cache.get(key);
    if (hit !== undefined && hit.untilMs > now) return hit.result;
    const result = await opts.review(token);
    if (result.error === null) {
      const exp = tokenExpiryMs(token);
      cache.delete(key);
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value ?? '');
      cache.set(key, { result, untilMs: Math.min(now + MAX_CACHE_MS, exp ?? now + MAX_CACHE_MS) });
    }
    return result;
  };

  const authenticate: ReportAuthenticator = async (authorization, node) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m?.[1];
    if (token === undefined)
      return {
        ok: false,
        status: 401,
        reason: 'a bearer token is required (a projected service account token with audience "berth")',
      };
    const r = await reviewed(token);
    if (r.error !== null) return { ok: false, status: 401, reason: `token review failed: ${r.error}` };
    if (!r.authenticated) return { ok: false, status: 401, reason: 'token not authenticated by the API server' };
    if (!r.audiences.includes(PUSH_AUDIENCE))
      return { ok: false, status: 401, reason: `token is not for audience "${PUSH_AUDIENCE}"` };
    if (r.username !== username)
      return {
        ok: false,
        status: 403,
        reason: `only ${username} may push reports, not ${r.username ?? 'an anonymous caller'}`,
      };
    const claimed = r.extra[NODE_NAME_CLAIM]?.[0];
    if (claimed === undefined)
      return { ok: false, status: 403, reason: `token has no ${NODE_NAME_CLAIM} claim (not bound to a pod on a node)` };
    if (claimed !== node)
      return { ok: false, status: 403, reason: `token belongs to node ${claimed}, report is for ${node}` };
    return { ok: true };
  };
  return Object.assign(authenticate, { cacheSize: () => cache.size });
}
