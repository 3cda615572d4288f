/**
 * The agent's latency echo: one UDP socket that answers peers' probes and sends this agent's own probes, so a
 * node needs exactly one port open (--probe-listen). RTT = monotonic time from just before send() to the reply's
 * 'message' event; it includes both kernels' UDP paths and both event loops' scheduling, which is what a pod on
 * this node would see as well, plus a little. Probe timeouts use real timers: they measure real time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../../../lib/core/host-port.ts';
import { decodeEchoPacket, ECHO_REPLY, ECHO_REQUEST, encodeEchoPacket } from './echo-packet.ts';

export interface EchoSocketOptions {
  readonly listen: HostPort;
  readonly monotonicMs: () => number;
  readonly random: () => number;
  /** Replies per second this node sends at most (token bucket, burst of one second): bounds what a flood costs. */
  readonly maxRepliesPerSec?: number;
}

interface Pending {
  readonly sentAt: number;
  readonly resolve: (rttMs: number | null) => void;
  readonly timer: NodeJS.Timeout;
}

export class EchoSocket {
  readonly #socket: Socket;
  readonly #opts: EchoSocketOptions;
  readonly #session: number;
  readonly #pending = new Map<number, Pending>();
  #nonce: number;
  #tokens: number;
  #refilledAt: number;
  #closed = false;
  readonly stats = { replies: 0, repliesDropped: 0, ignored: 0, sendErrors: 0 };

  private constructor(socket: Socket, opts: EchoSocketOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#session = Math.floor(opts.random() * 2 ** 32) >>> 0;
    this.#nonce = Math.floor(opts.random() * 2 ** 32) >>> 0;
    this.#tokens = this.#rate;
    this.#refilledAt = opts.monotonicMs();
    socket.on('message', (msg, rinfo) => {
      this.#onMessage(msg, rinfo.address, rinfo.port);
    });
    socket.on('error', () => {
      this.stats.sendErrors++;
    }); // never fatal: a bad datagram must not stop the agent
  }

  static open(opts: EchoSocketOptions): Promise<EchoSocket> {
    const socket = createSocket({ type: isIPv6(opts.listen.host) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.listen.port, opts.listen.host, () => {
        socket.off('error', reject);
        resolve(new EchoSocket(socket, opts));
      });
    });
  }

  get address(): HostPort {
    const a = this.#socket.address();
    return { host: a.address, port: a.port };
  }

  /** One probe: the RTT in milliseconds, or null after `timeoutMs` (lost, filtered, or no agent there). */
  probe(target: HostPort, timeoutMs: number): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    this.#nonce = (this.#nonce + 1) >>> 0;
    const nonce = this.#nonce;
    const packet = encodeEchoPacket({ type: ECHO_REQUEST, session: this.#session, nonce });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#settle(nonce, null);
      }, timeoutMs);
      this.#pending.set(nonce, { sentAt: this.#opts.monotonicMs(), resolve, timer });
      this.#socket.send(packet, target.port, target.host, (err) => {
        if (err) {
          this.stats.sendErrors++;
          this.#settle(nonce, null);
        }
      });
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const nonce of [...this.#pending.keys()]) this.#settle(nonce, null);
    return new Promise((resolve) => {
      this.#socket.close(() => {
        resolve();
      });
    });
  }

  get #rate(): number {
    return this.#opts.maxRepliesPerSec ?? 2000;
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    const receivedAt = this.#opts.monotonicMs();
    const packet = decodeEchoPacket(msg);
    if (packet === null) {
      this.stats.ignored++;
      return;
    }
    if (packet.type === ECHO_REPLY) {
      const pending = packet.session === this.#session ? this.#pending.get(packet.nonce) : undefined;
      if (pending) this.#settle(packet.nonce, receivedAt - pending.sentAt);
      else this.stats.ignored++;
      return;
    }
    if (!this.#takeToken(receivedAt)) {
      this.stats.repliesDropped++;
      return;
    }
    msg.writeUInt8(ECHO_REPLY, 5);
    this.stats.replies++;
    this.#socket.send(msg, port, address);
  }

  #takeToken(now: number): boolean {
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #settle(nonce: number, rttMs: number | null): void {
    const p = this.#pending.get(nonce);
    if (!p) return;
    this.#pending.delete(nonce);
    clearTimeout(p.timer);
    p.resolve(rttMs);
  }
}
