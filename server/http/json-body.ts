/**
 * The only body parser: application/json, read from the socket by berth itself so that every bound holds while
 * the body arrives, not after: a declared length over the route's limit is refused before a byte is read, a body
 * that grows past it is refused at that chunk, and the nesting depth is checked chunk by chunk, so a deep body is
 * refused at its 65th "[" (--max-json-depth) instead of being parsed. Only a body within every bound reaches
 * JSON.parse. Errors quote the limit that applied; the connection is closed after them (fastify adds
 * `Connection: close` to a parser error), so the rest of a refused body is never read.
 *
 * fastify's stock parser hides why a body failed and its text/plain parser would let a wrong Content-Type reach
 * the handlers; both are replaced, so anything but JSON is a 415. Prototype keys are refused (secure-json-parse).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';
import { BerthError } from '../../lib/core/errors.ts';
import { JsonDepthGuard } from '../../lib/core/json-depth.ts';

/** Nesting allowed when the caller names none: far above a pod's (about 12 levels with affinity terms). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Route config that names where a route's body limit comes from, for the 413 message. */
export interface BodyLimitSource {
  readonly bodyLimitSource?: string;
}

function tooLarge(req: FastifyRequest, limit: number): BerthError {
  const source = (req.routeOptions.config as BodyLimitSource | undefined)?.bodyLimitSource ?? '--body-limit';
  return new BerthError('BERTH_ERR_BODY_TOO_LARGE', `${limit} bytes (${source})`);
}

function parse(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new BerthError('BERTH_ERR_BAD_JSON', 'the body is empty');
  try {
    return sjson.parse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (e) {
    throw new BerthError('BERTH_ERR_BAD_JSON', e instanceof Error ? e.message : String(e));
  }
}

function readJson(
  req: FastifyRequest,
  payload: IncomingMessage,
  maxDepth: number,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const limit = req.routeOptions.bodyLimit;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    done(tooLarge(req, limit));
    return;
  }
  const guard = new JsonDepthGuard(maxDepth);
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (err: Error | null, body?: unknown): void => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) finish(tooLarge(req, limit));
    else if (!guard.feed(chunk))
      finish(
        new BerthError('BERTH_ERR_BAD_REQUEST', `the body nests deeper than ${maxDepth} levels (--max-json-depth)`),
      );
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    try {
      finish(null, parse(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received)));
    } catch (e) {
      finish(e as Error);
    }
  };
  const onError = (err: Error): void => {
    finish(new BerthError('BERTH_ERR_BAD_REQUEST', `the body could not be read: ${err.message}`));
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
}

export function installJsonParser(app: FastifyInstance, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (req, payload, done) => {
    readJson(req, payload, maxDepth, done);
  });
}
