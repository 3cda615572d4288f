/**
 * The only body parser: application/json, with the parse error's own words in the 400 and prototype keys refused.
 * fastify's stock parser hides why a body failed, and its text/plain parser would let a wrong Content-Type reach
 * the handlers; both are replaced, so anything but JSON is a 415.
 */
import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { BerthError } from '../../lib/core/errors.ts';

export function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(new BerthError('BERTH_ERR_BAD_JSON', 'the body is empty'), undefined);
      return;
    }
    try {
      done(null, sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e) {
      done(new BerthError('BERTH_ERR_BAD_JSON', e instanceof Error ? e.message : String(e)), undefined);
    }
  });
}
