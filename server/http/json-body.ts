/**
 * The only body parser: application/json, read from the socket by berth itself so that every bound holds while
 * the body arrives, not after: a declared length over the route's limit is refused before a byte is read, a body
 * that grows past it is refused at that chunk, and nesting, the number of values and the length of every array are
 * checked chunk by chunk (lib/core/json-guard.ts), so a deep body is refused at its 65th "[" (--max-json-depth), a
 * body of tiny values at the value bound and a list of 20,000 names at its 5001st (--max-nodes), instead of being
 * parsed. Only a body within every bound reaches JSON.parse, whose cost then stays in proportion to the limit.
 * Errors quote the limit that applied; the connection is closed after them (fastify adds `Connection: close` to a
 * parser error), so the rest of a refused body is never read.
 *
 * fastify's stock parser hides why a body failed and its text/plain parser would let a wrong Content-Type reach
 * the handlers; both are replaced, so anything but JSON is a 415. Prototype keys are refused (secure-json-parse).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';
import { BerthError } from '../../lib/core/errors.ts';
import { JsonGuard } from '../../lib/core/json-guard.ts';

/** The bounds every body is read under; the value bound follows each route's body limit. */
export interface JsonBodyBounds {
  /** --max-json-depth: far above a pod's nesting (about 12 levels with affinity terms). */
  readonly maxDepth: number;
  /** Items in any one array: the node lists are the longest arrays of the protocol (--max-nodes). */
  readonly maxArrayItems: number;
}

export const DEFAULT_BOUNDS: JsonBodyBounds = { maxDepth: 64, maxArrayItems: 5000 };
/**
 * A body may hold one JSON value per this many bytes of its limit. Requests kube-scheduler sends hold one per 12
 * to 45 bytes; at the default limit this admits 53k values, more than 5000 names and a pod carrying the most
 * annotations Kubernetes allows, each a one-letter pair. A body of "[]," (one value per 3 bytes) is refused.
 */
export const BYTES_PER_VALUE = 16;

/** Route config that names where a route's body limit comes from, for the 413 message. */
export interface BodyLimitSource {
  readonly bodyLimitSource?: string;
}

function limitSource(req: FastifyRequest): string {
  return (req.routeOptions.config as BodyLimitSource | undefined)?.bodyLimitSource ?? '--body-limit';
}

function tooLarge(req: FastifyRequest, limit: number): BerthError {
  return new BerthError('BERTH_ERR_BODY_TOO_LARGE', `${limit} bytes (${limitSource(req)})`);
}

function excess(req: FastifyRequest, guard: JsonGuard, what: 'depth' | 'values' | 'items'): BerthError {
  if (what === 'depth')
    return new BerthError(
      'BERTH_ERR_BAD_REQUEST',
      `the body nests deeper than ${guard.maxDepth} levels (--max-json-depth)`,
    );
  if (what === 'values') {
    const per = `one per ${BYTES_PER_VALUE} bytes of its limit (${limitSource(req)})`;
    return new BerthError('BERTH_ERR_BAD_REQUEST', `the body holds more than ${guard.maxValues} JSON values, ${per}`);
  }
  const max = guard.maxArrayItems;
  const where = guard.longArray;
  const detail =
    where === null || where.key === null
      ? `an array in the body has more than ${max} items (--max-nodes)`
      : where.depth === 2
        ? `${where.key}: must have at most ${max} items (--max-nodes)`
        : `an array in ${where.key} has more than ${max} items (--max-nodes)`;
  return new BerthError('BERTH_ERR_BAD_REQUEST', detail);
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
  bounds: JsonBodyBounds,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const limit = req.routeOptions.bodyLimit;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    done(tooLarge(req, limit));
    return;
  }
  const guard = new JsonGuard({ ...bounds, maxValues: Math.floor(limit / BYTES_PER_VALUE) });
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
    if (received > limit) {
      finish(tooLarge(req, limit));
      return;
    }
    const broken = guard.feed(chunk);
    if (broken !== null) finish(excess(req, guard, broken));
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

export function installJsonParser(app: FastifyInstance, bounds: JsonBodyBounds = DEFAULT_BOUNDS): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (req, payload, done) => {
    readJson(req, payload, bounds, done);
  });
}
