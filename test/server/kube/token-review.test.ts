import t from 'tap';
import {
  tokenExpiryMs,
  tokenReviewAuthenticator,
  NODE_NAME_CLAIM,
  type ReviewResult,
} from '../../../server/kube/token-review.ts';

function jwt(payload: Record<string, unknown>): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256' })}.${b64(payload)}.sig`;
}

const agent = { namespace: 'berth-agent', name: 'berth-agent' };
const good = (node: string): ReviewResult => ({
  authenticated: true,
  username: 'system:serviceaccount:berth-agent:berth-agent',
  audiences: ['berth'],
  extra: { [NODE_NAME_CLAIM]: [node] },
  error: null,
});

t.test('decisions', async (t) => {
  const cases: {
    name: string;
    auth: string | undefined;
    review: ReviewResult;
    node: string;
    want: { ok: boolean; status?: number; reason?: RegExp };
  }[] = [
    { name: "the agent of the report's node", auth: 'Bearer tok', review: good('n1'), node: 'n1', want: { ok: true } },
    {
      name: "another node's report",
      auth: 'Bearer tok',
      review: good('n1'),
      node: 'n2',
      want: { ok: false, status: 403, reason: /belongs to node n1, report is for n2/ },
    },
    {
      name: 'no header',
      auth: undefined,
      review: good('n1'),
      node: 'n1',
      want: { ok: false, status: 401, reason: /bearer token is required/ },
    },
    {
      name: 'not a bearer header',
      auth: 'Basic abc',
      review: good('n1'),
      node: 'n1',
      want: { ok: false, status: 401 },
    },
    {
      name: 'not authenticated',
      auth: 'Bearer tok',
      review: { ...good('n1'), authenticated: false },
      node: 'n1',
      want: { ok: false, status: 401, reason: /not authenticated/ },
    },
    {
      name: 'wrong audience',
      auth: 'Bearer tok',
      review: { ...good('n1'), audiences: ['https://kubernetes.default.svc'] },
      node: 'n1',
      want: { ok: false, status: 401, reason: /audience "berth"/ },
    },
    {
      name: 'another service account',
      auth: 'Bearer tok',
      review: { ...good('n1'), username: 'system:serviceaccount:default:default' },
      node: 'n1',
      want: { ok: false, status: 403, reason: /only system:serviceaccount:berth-agent:berth-agent/ },
    },
    {
      name: 'no node claim',
      auth: 'Bearer tok',
      review: { ...good('n1'), extra: {} },
      node: 'n1',
      want: { ok: false, status: 403, reason: /no authentication.kubernetes.io\/node-name claim/ },
    },
    {
      name: 'review call failed',
      auth: 'Bearer tok',
      review: { ...good('n1'), error: 'connect ECONNREFUSED' },
      node: 'n1',
      want: { ok: false, status: 401, reason: /token review failed: connect ECONNREFUSED/ },
    },
  ];
  for (const c of cases) {
    const authenticate = tokenReviewAuthenticator({ review: async () => c.review, agent, now: () => 0 });
    t.match(await authenticate(c.auth, c.node), c.want, c.name);
  }
});

t.test('reviews are cached by token for at most min(exp, 5 min); failures are not cached', async (t) => {
  let now = 0;
  let calls = 0;
  let answer: ReviewResult = good('n1');
  const authenticate = tokenReviewAuthenticator({
    review: async () => {
      calls++;
      return answer;
    },
    agent,
    now: () => now,
  });
  const longToken = jwt({ exp: 3600 });
  await authenticate(`Bearer ${longToken}`, 'n1');
  await authenticate(`Bearer ${longToken}`, 'n2');
  t.equal(calls, 1, 'one review for many pushes (and nodes) with the same token');
  now = 5 * 60_000;
  await authenticate(`Bearer ${longToken}`, 'n1');
  t.equal(calls, 2, 'reviewed again after 5 minutes');
  const shortToken = jwt({ exp: 5 * 60 + 10 });
  await authenticate(`Bearer ${shortToken}`, 'n1');
  now = 5 * 60_000 + 10_000;
  await authenticate(`Bearer ${shortToken}`, 'n1');
  t.equal(calls, 4, 'an expiring token is not trusted past its exp');
  answer = { ...good('n1'), error: 'timeout' };
  const other = jwt({ exp: 99_999 });
  await authenticate(`Bearer ${other}`, 'n1');
  answer = good('n1');
  t.same(await authenticate(`Bearer ${other}`, 'n1'), { ok: true }, 'a failed review is retried, not cached');
  t.equal(calls, 6);
  t.equal(tokenExpiryMs('not-a-jwt'), null);
  t.equal(tokenExpiryMs(jwt({ exp: 'soon' })), null);
  t.equal(tokenExpiryMs(jwt({ exp: 10 })), 10_000);
});
