/**
 * Kubernetes quantities and Go-style durations, parsed into plain numbers.
 * Quantity grammar: https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go
 */

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** Parses a Kubernetes quantity ("200Gi", "10G", "1.5e3") into a number, or returns null. */
export function parseQuantity(text: string): number | null {
  const m = QUANTITY.exec(text.trim());
  if (!m) return null;
  const [, num = '', exp, suffix = ''] = m;
  const base = Number(num);
  const scale = exp !== undefined ? 10 ** Number(exp.slice(1)) : (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
  const value = base * scale;
  return Number.isFinite(value) ? value : null;
}

const DURATION_UNIT: Readonly<Record<string, number>> = {
  ns: 1e-3,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
};
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration ("500us", "1.5ms", "1m30s") into microseconds, or returns null. */
export function parseDurationUs(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  if (s === '0') return 0;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const at = DURATION_PART.lastIndex;
    const m = DURATION_PART.exec(s);
    if (!m || m.index !== at) return null;
    total += Number(m[1]) * (DURATION_UNIT[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : null;
}

function trimmed(n: number): string {
  return n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : String(Number(n.toFixed(1)));
}

/** Bytes in binary units the way Kubernetes users write them: 200Gi, 1.5Ti. */
export function formatBytes(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trimmed(v)}${units[i] ?? ''}`;
}

/** Bits per second in decimal units: 10Gbit/s, 950Mbit/s. */
export function formatBitRate(bps: number): string {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;
  let v = Math.max(0, bps);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${trimmed(v)}${units[i] ?? ''}`;
}

/** Microseconds as a Go-style duration: 850us, 1.2ms, 2s. */
export function formatDurationUs(us: number): string {
  if (us < 1000) return `${trimmed(us)}us`;
  if (us < 1e6) return `${trimmed(us / 1000)}ms`;
  return `${trimmed(us / 1e6)}s`;
}
