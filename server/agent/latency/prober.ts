/**
 * One latency round: refresh the peer list when due, pick a bounded sample (lib/agent/peer-sample.ts), send
 * `count` probes to each sampled peer through the echo socket, and fold the RTTs into per-peer windows
 * (lib/agent/rtt-window.ts) that the report summarises as p50/p99.
 *
 * Probes go out in `count` waves, all sampled peers at once per wave, the next wave after the previous one
 * settled; so a round takes about count × (slowest RTT), or count × timeout when a peer is silent. Peers that
 * never answer simply have no samples (and drop out of the report when the window passes).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type HostPort, parseHostPort } from '../../../lib/core/host-port.ts';
import { orderPeers, type OrderedPeers, type PeerCandidate, pickPeers } from '../../../lib/agent/peer-sample.ts';
import type { PeerRtt } from '../../../lib/core/report.ts';
import { RttWindows } from '../../../lib/agent/rtt-window.ts';
import type { Collected } from '../collectors/collected.ts';
import { errorMessage } from '../deps.ts';
import type { EchoSocket } from './echo-socket.ts';
import type { PeerSource } from './peer-source.ts';

export interface ProberOptions {
  readonly self: { readonly node: string; readonly zone: string | null };
  readonly source: PeerSource;
  readonly socket: EchoSocket;
  readonly zonePeers: number;
  readonly otherPeers: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly windowMs: number;
  readonly reportMax: number;
  readonly refreshMs: number;
  readonly onRtt?: (seconds: number) => void;
}

interface Target {
  readonly peer: PeerCandidate;
  readonly address: HostPort;
}

export class LatencyProber {
  readonly #opts: ProberOptions;
  readonly #windows: RttWindows;
  #peers: readonly PeerCandidate[] = [];
  #ordered: OrderedPeers = { sameZone: [], others: [] };
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #discoveryProblem: string | null = null;
  #round = 0;

  constructor(opts: ProberOptions) {
    this.#opts = opts;
    // Bounded memory: a peer probed every round for the whole window, count probes each time, at a 1 s interval.
    this.#windows = new RttWindows({
      windowMs: opts.windowMs,
      maxSamplesPerPeer: Math.max(16, Math.min(1024, opts.count * Math.ceil(opts.windowMs / 1000))),
    });
  }

  get knownPeers(): number {
    return this.#peers.length;
  }

  async collect(nowMs: () => number, signal: AbortSignal): Promise<Collected<PeerRtt[]>> {
    await this.#refresh(nowMs(), signal);
    const sample = pickPeers(this.#ordered, this.#round++, this.#opts);
    const targets = await resolveTargets(sample);
    for (let wave = 0; wave < this.#opts.count && !signal.aborted; wave++) {
      const rtts = await Promise.all(targets.map((t) => this.#opts.socket.probe(t.address, this.#opts.timeoutMs)));
      const at = nowMs();
      rtts.forEach((rttMs, i) => {
        const target = targets[i];
        if (rttMs === null || target === undefined) return;
        this.#windows.record(target.peer.node, at, Math.round(rttMs * 10_000) / 10); // µs, 0.1 µs resolution
        this.#opts.onRtt?.(rttMs / 1000);
      });
    }
    return {
      value: this.#windows.summarize(nowMs(), this.#opts.reportMax),
      problems: this.#discoveryProblem !== null ? [this.#discoveryProblem] : [],
    };
  }

  async #refresh(nowMs: number, signal: AbortSignal): Promise<void> {
    // After a failure, try again next round instead of waiting a whole refresh period with a stale list.
    if (this.#discoveryProblem === null && nowMs - this.#refreshedAt < this.#opts.refreshMs) return;
    try {
      this.#peers = await this.#opts.source.list(signal);
      this.#ordered = orderPeers(this.#peers, this.#opts.self);
      this.#refreshedAt = nowMs;
      this.#discoveryProblem = null;
      this.#windows.retain(new Set(this.#peers.map((p) => p.node)));
    } catch (err) {
      this.#discoveryProblem = `peer discovery failed (probing the last known ${this.#peers.length} peers): ${errorMessage(err)}`;
    }
  }
}

/** host:port → socket address; host names are resolved once per round, before any timing starts. */
async function resolveTargets(peers: readonly PeerCandidate[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const peer of peers) {
    const hp = parseHostPort(peer.probe, false);
    if (hp === null) continue;
    if (isIP(hp.host) !== 0) {
      out.push({ peer, address: hp });
      continue;
    }
    try {
      out.push({ peer, address: { host: (await lookup(hp.host)).address, port: hp.port } });
    } catch {
      // unresolvable: no samples this round, like an unanswered probe
    }
  }
  return out;
}
