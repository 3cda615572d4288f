/**
 * Every error berth answers or exits with: a stable code, an HTTP status, and a message template. Thrown only as
 * BerthError. docs/errors.md lists the same table; test/docs-parity.test.ts keeps the two in step.
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
});

export type ErrorCode = keyof typeof ERRORS;

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, detail: string) {
    const entry = ERRORS[code];
    super(entry.template.replace('%s', detail));
    this.name = 'BerthError';
    this.code = code;
    this.status = entry.status;
  }
}

export function isBerthError(e: unknown): e is BerthError {
  return e instanceof BerthError;
}
