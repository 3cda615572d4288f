/**
 * Maps every failure to a BERTH_ERR_* code and answers `{code, message}`. kube-scheduler treats any non-200 as an
 * extender error and shows only the status code in its event, so each 4xx is also logged with its message here.
 * Expected conditions are not errors in the log: "not ready yet" right after start, or a push to a replica with
 * push turned off, are logged at info without a stack; only a real failure (5xx) is logged at error with one.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { BerthError, isBerthError, type ErrorCode } from '../../lib/core/errors.ts';

const EXPECTED: ReadonlySet<ErrorCode> = new Set(['BERTH_ERR_NOT_READY', 'BERTH_ERR_REPORTS_DISABLED']);

export function toBerthError(err: FastifyError | Error, limit: number, contentType: string | undefined): BerthError {
  if (isBerthError(err)) return err;
  const code = 'code' in err ? err.code : undefined;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BerthError('BERTH_ERR_BODY_TOO_LARGE', `${limit} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BerthError('BERTH_ERR_MEDIA_TYPE', JSON.stringify(contentType ?? ''));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BerthError('BERTH_ERR_BAD_JSON', 'the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BerthError('BERTH_ERR_BAD_JSON', err.message);
    default:
      break;
  }
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (err instanceof SyntaxError || (status === 400 && code === undefined))
    return new BerthError('BERTH_ERR_BAD_JSON', err.message);
  if (status >= 400 && status < 500) return new BerthError('BERTH_ERR_BAD_REQUEST', err.message);
  return new BerthError('BERTH_ERR_INTERNAL', 'see the extender log');
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const limit = req.routeOptions.bodyLimit;
    const mapped = toBerthError(err, limit, req.headers['content-type']);
    if (EXPECTED.has(mapped.code)) req.log.info({ code: mapped.code, url: req.url }, mapped.message);
    else if (mapped.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    else req.log.warn({ code: mapped.code, url: req.url }, mapped.message);
    void reply.code(mapped.status).send({ code: mapped.code, message: mapped.message });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new BerthError('BERTH_ERR_NOT_FOUND', `${req.method} ${req.url}`);
    void reply.code(e.status).send({ code: e.code, message: e.message });
  });
}
