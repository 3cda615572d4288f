/**
 * Where an agent learns whom to probe. Kept deliberately small so that the Kubernetes source (NodeReport objects)
 * can be added beside these two: list() returns every known peer with its zone and echo address; sampling,
 * self-exclusion and de-duplication happen in lib/agent/peer-sample.ts.
 */
import { describeProblems, Reader } from '../../../lib/core/check.ts';
import { BerthError } from '../../../lib/core/errors.ts';
import type { PeerCandidate } from '../../../lib/agent/peer-sample.ts';
import { isNodeName } from '../../../lib/core/report.ts';
import { parseHostPort } from '../../../lib/core/host-port.ts';
import { type BearerTokenFile, extenderHeaders } from '../bearer-token.ts';

export interface PeerSource {
  list(signal: AbortSignal): Promise<readonly PeerCandidate[]>;
}

export class StaticPeerSource implements PeerSource {
  readonly #peers: readonly PeerCandidate[];

  constructor(peers: readonly PeerCandidate[]) {
    this.#peers = Object.freeze([...peers]);
  }

  list(): Promise<readonly PeerCandidate[]> {
    return Promise.resolve(this.#peers);
  }
}

const MAX_PEERS = 100_000;

/**
 * `{"peers":[{"node":"n1","zone":"z1","probe":"10.0.0.1:7070"}]}`. Entries whose probe is null (probing off on
 * that node) are skipped silently; malformed entries are skipped and counted, so one bad report in the extender
 * cannot stop every agent from probing. A body that is not this shape at all is an error.
 */
export function parsePeersResponse(body: unknown): { peers: PeerCandidate[]; skipped: number } {
  const r = new Reader();
  const o = r.record(body, '');
  const arr = o ? r.array(o['peers'], 'peers', MAX_PEERS) : null;
  if (!arr) throw new BerthError('BERTH_ERR_PEERS', `bad /v1/peers body: ${describeProblems(r.problems)}`);
  const peers: PeerCandidate[] = [];
  let skipped = 0;
  for (const entry of arr) {
    const e = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const { node, zone, probe } = e;
    if (probe === null) continue;
    const ok =
      typeof node === 'string' &&
      isNodeName(node) &&
      (zone === null || zone === undefined || typeof zone === 'string') &&
      typeof probe === 'string' &&
      parseHostPort(probe, false) !== null;
    if (ok) peers.push({ node, zone: typeof zone === 'string' && zone !== '' ? zone : null, probe });
    else skipped++;
  }
  return { peers, skipped };
}

export interface HttpPeerSourceOptions {
  readonly extender: string;
  readonly token: BearerTokenFile | null;
  readonly timeoutMs: number;
}

/**
 * GET <extender>/v1/peers: the extender answers from the reports it holds. At 10k nodes the list is ~700 KB, so
 * the source sends If-None-Match with the last ETag and keeps its list on 304; the list changes only when nodes
 * come, go or move, so an extender that sets ETag turns nearly every refresh into a few hundred bytes.
 */
export class HttpPeerSource implements PeerSource {
  readonly #opts: HttpPeerSourceOptions;
  #etag: string | null = null;
  #peers: readonly PeerCandidate[] = [];
  lastSkipped = 0;

  constructor(opts: HttpPeerSourceOptions) {
    this.#opts = opts;
  }

  async list(signal: AbortSignal): Promise<readonly PeerCandidate[]> {
    const headers = await extenderHeaders(this.#opts.token, false);
    if (this.#etag !== null) headers['if-none-match'] = this.#etag;
    const res = await fetch(`${this.#opts.extender}/v1/peers`, {
      headers,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.#opts.timeoutMs)]),
    });
    if (res.status === 304 && this.#etag !== null) {
      await res.body?.cancel();
      return this.#peers;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new BerthError('BERTH_ERR_PEERS', `GET /v1/peers: HTTP ${res.status}`, {
        upstream: { status: res.status, code: null },
      });
    }
    const { peers, skipped } = parsePeersResponse(await res.json());
    this.lastSkipped = skipped;
    this.#peers = peers;
    this.#etag = res.headers.get('etag');
    return peers;
  }
}
