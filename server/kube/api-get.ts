/**
 * A streaming GET against the API server. Authentication and TLS come from client-node's KubeConfig
 * (applyToHTTPSOptions: CA, client certificate, bearer token, exec and auth-provider plugins, read afresh on every
 * request so rotated tokens are used); the body is handed over as a stream, never read into one string.
 *
 * Connections are kept alive (a paginated LIST is hundreds of requests): one keep-alive agent per TLS identity,
 * rebuilt when the CA or the client certificate changes. Behind a kubeconfig proxy-url, client-node's own agent
 * (which speaks the proxy) is used as it is.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { BerthError, isBerthError } from '../../lib/core/errors.ts';
import type { KubeConfig } from '../common/client-node.ts';
import { ProtoReader, hasMagic, status as protoStatus, unwrap } from './proto-wire.ts';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/**
 * An answer from the API server that is not a 200, or a watch ERROR event: its status code and reason go in the
 * error's `upstream`, where apiStatus() reads them back.
 */
export function apiError(status: number, reason: string, message: string): BerthError {
  return new BerthError('BERTH_ERR_API', `API server answered ${String(status)} ${reason}: ${message}`, {
    upstream: { status, code: reason },
  });
}

/** The API server's status code behind an error, when it is one of apiError's. */
export function apiStatus(err: unknown): number | null {
  return isBerthError(err) ? (err.upstream?.status ?? null) : null;
}

const MAX_ERROR_BODY = 64 * 1024;

export class ApiClient {
  readonly #kc: KubeConfig;
  #agent: { key: string; agent: HttpsAgent | HttpAgent } | null = null;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
  }

  /**
   * GET `path?query`; resolves once the response headers are in, with the body still streaming. Rejects with an
   * apiError for a non-200 answer (its Status decoded), or when `signal` aborts.
   */
  async get(
    path: string,
    query: Readonly<Record<string, string>>,
    accept: string,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new BerthError('BERTH_ERR_CONFIG', 'no current cluster in the kubeconfig');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(opts);
    const agent = cluster.proxyUrl ? opts.agent : this.#keepAlive(url.protocol, opts);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, {
        ...opts,
        agent,
        method: 'GET',
        signal,
        headers: { ...headerObject(opts.headers), accept, 'user-agent': 'berth-extender' },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    if (res.statusCode === 200) return res;
    throw await errorFrom(res);
  }

  close(): void {
    this.#agent?.agent.destroy();
    this.#agent = null;
  }

  #keepAlive(protocol: string, opts: RequestOptions): HttpsAgent | HttpAgent {
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
    };
    const key = identity(protocol, tls);
    if (this.#agent?.key !== key) {
      this.#agent?.agent.destroy();
      const common = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 4 };
      this.#agent = {
        key,
        agent: protocol === 'http:' ? new HttpAgent(common) : new HttpsAgent({ ...common, ...tls }),
      };
    }
    return this.#agent.agent;
  }
}

/** client-node sets headers as an object; RequestOptions also allows a raw array, which it never uses. */
export function headerObject(h: RequestOptions['headers']): OutgoingHttpHeaders {
  return h === undefined || Array.isArray(h) ? {} : (h as OutgoingHttpHeaders);
}

function identity(protocol: string, tls: Record<string, unknown>): string {
  const h = createHash('sha256').update(protocol);
  for (const [k, v] of Object.entries(tls)) h.update(`${k}=${JSON.stringify(v)};`);
  return h.digest('hex');
}

/** The Status in an error answer (JSON or protobuf), or the HTTP status line when there is none. */
async function errorFrom(res: IncomingMessage): Promise<BerthError> {
  const code = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY) chunks.push(chunk);
    size += chunk.length;
  }
  const body = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY);
  const fallback = apiError(code, res.statusMessage ?? 'error', `HTTP ${String(code)}`);
  try {
    if (hasMagic(body)) {
      const s = protoStatus(new ProtoReader(unwrap(body).raw));
      return apiError(s.code || code, s.reason, s.message);
    }
    const json = JSON.parse(body.toString('utf8')) as { code?: unknown; reason?: unknown; message?: unknown };
    return apiError(
      typeof json.code === 'number' ? json.code : code,
      typeof json.reason === 'string' ? json.reason : (res.statusMessage ?? 'error'),
      typeof json.message === 'string' ? json.message : `HTTP ${String(code)}`,
    );
  } catch {
    return fallback;
  }
}
