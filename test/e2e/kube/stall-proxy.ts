/**
 * A TCP proxy in front of the API server that can stop moving bytes without closing anything: the failure mode
 * behind "the informer silently stops" reports (a half-dead connection, a hung load balancer). While stalled,
 * open connections stay open and silent, and new connections are accepted but get no answer. TLS passes through
 * untouched, so clients verify the API server's own certificate.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class StallProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #stalled = false;
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.#stalled) this.#pause(pair);
      const end = (): void => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
  }

  static async start(targetPort: number): Promise<StallProxy> {
    const proxy = new StallProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === 'object' && address !== null ? address.port : 0;
    return proxy;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  stall(): void {
    this.#stalled = true;
    for (const pair of this.#pairs) this.#pause(pair);
  }

  resume(): void {
    this.#stalled = false;
    for (const [a, b] of this.#pairs) {
      a.pipe(b);
      b.pipe(a);
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  #pause([a, b]: [Socket, Socket]): void {
    a.unpipe(b);
    b.unpipe(a);
    a.pause();
    b.pause();
  }
}
