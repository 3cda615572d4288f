/**
 * Maps every failure to a BERTH_ERR_* code and answers `{code, message}`. kube-scheduler treats any non-200 as an
 * extender error and shows only the status code in its event, so each 4xx is also logged with its message here.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { BerthError, isBerthError } from '../../lib/core/errors.ts';

export function toBerthError(err: FastifyError | Error, limit: number, contentType: string | undefined): BerthError {
  if (isBerthError(err)) return err;
  const code = 'code' in err ? err.code : undefined;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BerthError('BERTH_ERR_BODY_TOO_LARGE', String(limit));
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

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const mapped = toBerthError(err, bodyLimit, req.headers['content-type']);
    if (mapped.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    else req.log.warn({ code: mapped.code, url: req.url }, mapped.message);
    void reply.code(mapped.status).send({ code: mapped.code, message: mapped.message });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new BerthError('BERTH_ERR_NOT_FOUND', `${req.method} ${req.url}`);
    void reply.code(e.status).send({ code: e.code, message: e.message });
  });
}
