/**
 * Which peers this agent probes in one round. A full mesh costs O(N) probes per node per round and O(N²) in the
 * cluster, so each round probes a bounded sample instead:
 *
 *   - every same-zone peer, up to `zonePeers` (rotating through them when the zone is bigger), and
 *   - `otherPeers` peers from other zones (or with no zone), rotating so that every peer is visited once every
 *     ⌈others / otherPeers⌉ rounds.
 *
 * The per-node cost is therefore at most (zonePeers + otherPeers) × probes-per-peer per round, whatever the
 * cluster size. Each agent orders candidates by a hash of (its own name, peer name), so different agents walk
 * the cluster in different orders and the probes a node *receives* are spread evenly too. Pure and deterministic.
 */

export interface PeerCandidate {
  readonly node: string;
  readonly zone: string | null;
  readonly probe: string; // host:port of the peer's echo service
}

export interface PeerSampleLimits {
  readonly zonePeers: number;
  readonly otherPeers: number;
}

/** Candidates split by zone and put in this agent's probing order. Costs a hash and a sort: compute once per peer-list refresh. */
export interface OrderedPeers {
  readonly sameZone: readonly PeerCandidate[];
  readonly others: readonly PeerCandidate[];
}

export function orderPeers(
  candidates: readonly PeerCandidate[],
  self: { readonly node: string; readonly zone: string | null },
): OrderedPeers {
  const seen = new Set<string>([self.node]);
  const sameZone: PeerCandidate[] = [];
  const others: PeerCandidate[] = [];
  for (const c of candidates) {
    if (seen.has(c.node)) continue; // self, or a duplicate entry: first one wins
    seen.add(c.node);
    (self.zone !== null && c.zone === self.zone ? sameZone : others).push(c);
  }
  return { sameZone: order(sameZone, self.node), others: order(others, self.node) };
}

/** This round's sample from an ordered list: O(zonePeers + otherPeers). */
export function pickPeers(ordered: OrderedPeers, round: number, limits: PeerSampleLimits): PeerCandidate[] {
  return [
    ...rotatingWindow(ordered.sameZone, round, limits.zonePeers),
    ...rotatingWindow(ordered.others, round, limits.otherPeers),
  ];
}

export function samplePeers(
  candidates: readonly PeerCandidate[],
  self: { readonly node: string; readonly zone: string | null },
  round: number,
  limits: PeerSampleLimits,
): PeerCandidate[] {
  return pickPeers(orderPeers(candidates, self), round, limits);
}

function order(peers: PeerCandidate[], selfNode: string): PeerCandidate[] {
  const keyed = peers.map((p) => ({ p, h: fnv1a32(`${selfNode}\u0000${p.node}`) }));
  keyed.sort((a, b) => a.h - b.h || (a.p.node < b.p.node ? -1 : a.p.node > b.p.node ? 1 : 0));
  return keyed.map((k) => k.p);
}

/** `size` consecutive items starting at round·size, wrapping; everything when the list is small enough. */
export function rotatingWindow<T>(items: readonly T[], round: number, size: number): T[] {
  const n = items.length;
  if (size <= 0 || n === 0) return [];
  if (n <= size) return [...items];
  const start = (((Math.floor(round) * size) % n) + n) % n;
  const out: T[] = [];
  for (let i = 0; i < size; i++) {
    const item = items[(start + i) % n];
    if (item !== undefined) out.push(item);
  }
  return out;
}

/** FNV-1a over UTF-16 code units: tiny, fast, and good enough to shuffle a peer list. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
