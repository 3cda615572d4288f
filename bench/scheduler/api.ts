/**
 * A lean client for the hot part of the benchmark (creating pods, watching their bindings, deleting them): plain
 * node:https with keep-alive and prebuilt JSON bodies, so the load generator takes as little as possible of the
 * two cores it shares with the control plane it measures. Setup (nodes, reports) uses client-node, as the
 * harness and the agent do.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

export class Api {
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #headers: Record<string, string>;

  constructor(server: string, caPem: string, token: string, maxSockets = 8) {
    this.#base = new URL(server);
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca: caPem });
    this.#headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  }

  #options(method: string, path: string, extra: Record<string, string | number> = {}): RequestOptions {
    return {
      host: this.#base.hostname,
      port: this.#base.port,
      path,
      method,
      agent: this.#agent,
      headers: { ...this.#headers, ...extra },
    };
  }

  send(method: string, path: string, body?: string): Promise<ApiResponse> {
    const extra: Record<string, string | number> =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    return new Promise((resolve, reject) => {
      const req = request(this.#options(method, path, extra), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like send, but a status outside 2xx is an error naming the request and the API server's message. */
  async call(method: string, path: string, body?: string): Promise<ApiResponse> {
    const res = await this.send(method, path, body);
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return res;
  }

  /**
   * A watch (newline-delimited JSON events) on its own connection. `onEvent` gets each parsed event, `onEnd` is
   * called once when the server ends the stream or the connection fails (not after close()); the promise resolves
   * once the stream is open.
   */
  async watch(
    path: string,
    onEvent: (event: { type: string; object: unknown }) => void,
    onEnd: (why: string) => void,
  ): Promise<{ close(): void }> {
    const agent = new Agent({ keepAlive: false, ca: this.#agent.options.ca });
    let closed = false;
    let opened = false;
    const ended = (why: string): void => {
      if (closed) return;
      closed = true;
      agent.destroy();
      onEnd(why);
    };
    return new Promise((resolve, reject) => {
      const req = request({ ...this.#options('GET', path), agent }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          closed = true;
          agent.destroy();
          reject(new Error(`watch ${path}: HTTP ${String(res.statusCode)}`));
          res.resume();
          return;
        }
        opened = true;
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines)
            if (line.trim() !== '') onEvent(JSON.parse(line) as { type: string; object: unknown });
        });
        res.on('end', () => {
          ended('the API server ended the watch');
        });
        res.on('error', (e) => {
          ended(e.message);
        });
        resolve({
          close: () => {
            closed = true;
            req.destroy();
            agent.destroy();
          },
        });
      });
      req.on('error', (e) => {
        if (opened) ended(e.message);
        else {
          closed = true;
          agent.destroy();
          reject(e);
        }
      });
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `concurrency` at a time; the first failure rejects. */
export async function inPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
