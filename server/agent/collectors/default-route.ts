/**
 * The default-route interface from /proc/net/route (IPv4) or /proc/net/ipv6_route (IPv6-only nodes).
 * systeminformation's networkInterfaceDefault() runs `ip route | grep default` through execSync, which blocks
 * the event loop that also answers peers' latency probes (and would inflate their p99); these files are the
 * same kernel table, read without a process.
 */

interface RouteCandidate {
  readonly iface: string;
  readonly metric: number;
}

/** IPv4: Destination and Mask 00000000 with RTF_UP (0x1); the lowest metric wins. */
export function defaultRouteIfaceV4(text: string): string | null {
  const found: RouteCandidate[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface = '', dest, , flags = '0', , , metric = '0', mask] = f;
    if (dest === '00000000' && mask === '00000000' && (parseInt(flags, 16) & 1) === 1)
      found.push({ iface, metric: Number(metric) });
  }
  return lowestMetric(found);
}

/** IPv6: destination ::/0 with RTF_UP; the loopback rows the kernel lists for unreachable routes are skipped. */
export function defaultRouteIfaceV6(text: string): string | null {
  const found: RouteCandidate[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest = '', prefix, , , , metric = '0', , , flags = '0', iface = ''] = f;
    if (/^0{32}$/.test(dest) && prefix === '00' && iface !== 'lo' && (parseInt(flags, 16) & 1) === 1)
      found.push({ iface, metric: parseInt(metric, 16) });
  }
  return lowestMetric(found);
}

function lowestMetric(found: readonly RouteCandidate[]): string | null {
  let best: RouteCandidate | null = null;
  for (const c of found) if (best === null || c.metric < best.metric) best = c;
  return best?.iface ?? null;
}
