/**
 * Every error berth answers, exits or logs with: a stable code, the HTTP status when it is an answer (null when it
 * never is: the agent's and the command's own failures), and a message template. Thrown only as BerthError.
 * docs/errors.md lists the same table; test/docs-parity.test.ts keeps the two in step, both ways.
 */

export const ERRORS = Object.freeze({
  BERTH_ERR_BAD_REQUEST: { status: 400, template: 'invalid request: %s' },
  BERTH_ERR_BAD_JSON: { status: 400, template: 'body is not valid JSON: %s' },
  BERTH_ERR_BODY_TOO_LARGE: { status: 413, template: 'body larger than the limit of %s' },
  BERTH_ERR_MEDIA_TYPE: { status: 415, template: 'Content-Type must be application/json, got %s' },
  BERTH_ERR_BAD_REPORT: { status: 400, template: 'invalid report: %s' },
  BERTH_ERR_REPORTS_DISABLED: { status: 403, template: 'report push is turned off on this extender (--reports-push)' },
  BERTH_ERR_UNAUTHENTICATED: { status: 401, template: 'authentication required: %s' },
  BERTH_ERR_FORBIDDEN: { status: 403, template: 'forbidden: %s' },
  BERTH_ERR_NOT_FOUND: { status: 404, template: 'not found: %s' },
  BERTH_ERR_NOT_READY: { status: 503, template: 'not ready to judge nodes yet: %s' },
  BERTH_ERR_CONFIG: { status: 500, template: 'invalid configuration: %s' },
  BERTH_ERR_INTERNAL: { status: 500, template: 'internal error: %s' },
  // The agent's and the commands' own failures: logged, reported in a NodeReport's problems, or the exit message.
  BERTH_ERR_START: { status: null, template: '%s' },
  BERTH_ERR_API: { status: null, template: '%s' },
  BERTH_ERR_COLLECT: { status: null, template: '%s' },
  BERTH_ERR_PUBLISH: { status: null, template: '%s' },
  BERTH_ERR_PEERS: { status: null, template: '%s' },
  BERTH_ERR_TOKEN: { status: null, template: 'token file %s' },
} satisfies Record<string, { status: number | null; template: string }>);

export type ErrorCode = keyof typeof ERRORS;

/** What the other side answered, for an error that is about a call berth made (a publish, a peer list). */
export interface Upstream {
  /** The HTTP status the extender or the API server answered with; null when there was no answer. */
  readonly status: number | null;
  /** The code in its answer (a BERTH_ERR_* from an extender), when it gave one. */
  readonly code: string | null;
}

export interface BerthErrorOptions {
  readonly cause?: unknown;
  readonly upstream?: Upstream;
}

export class BerthError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status to answer with; 500 for a code that is not an answer, should one ever reach a route. */
  readonly status: number;
  readonly upstream: Upstream | null;

  constructor(code: ErrorCode, detail: string, opts: BerthErrorOptions = {}) {
    const entry: { status: number | null; template: string } = ERRORS[code];
    super(entry.template.replace('%s', detail), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BerthError';
    this.code = code;
    this.status = entry.status ?? 500;
    this.upstream = opts.upstream ?? null;
  }
}

export function isBerthError(e: unknown): e is BerthError {
  return e instanceof BerthError;
}
