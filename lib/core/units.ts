/**
 * Kubernetes quantities and Go-style durations, parsed into plain numbers. Both parsers read their input once,
 * left to right, and refuse anything longer than MAX_UNIT_TEXT before looking at it: the text comes from pod
 * annotations and query strings, so its cost must not grow with what a user chose to write.
 * Quantity grammar: https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go
 */

/** Longest quantity or duration accepted ("1.5Ti", "1m30s" are a few characters; Kubernetes' own are short). */
export const MAX_UNIT_TEXT = 64;

const SUFFIX_SCALE: ReadonlyMap<string, number> = new Map([
  ['Ki', 2 ** 10],
  ['Mi', 2 ** 20],
  ['Gi', 2 ** 30],
  ['Ti', 2 ** 40],
  ['Pi', 2 ** 50],
  ['Ei', 2 ** 60],
  ['n', 1e-9],
  ['u', 1e-6],
  ['m', 1e-3],
  ['', 1],
  ['k', 1e3],
  ['M', 1e6],
  ['G', 1e9],
  ['T', 1e12],
  ['P', 1e15],
  ['E', 1e18],
]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipDigits(s: string, from: number): number {
  let i = from;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past a decimal number at `from` (digits, digits. , digits.digits or .digits), or -1. */
function numberEnd(s: string, from: number): number {
  const intEnd = skipDigits(s, from);
  if (s.charCodeAt(intEnd) !== 46 /* . */) return intEnd > from ? intEnd : -1;
  const fracEnd = skipDigits(s, intEnd + 1);
  return intEnd > from || fracEnd > intEnd + 1 ? fracEnd : -1;
}

/** An exponent suffix: e or E, an optional sign, at least one digit, and nothing after. */
function exponent(rest: string): number | null {
  if (rest.length < 2 || (rest[0] !== 'e' && rest[0] !== 'E')) return null;
  const digitsFrom = rest[1] === '+' || rest[1] === '-' ? 2 : 1;
  if (digitsFrom >= rest.length || skipDigits(rest, digitsFrom) !== rest.length) return null;
  return Number(rest.slice(1));
}

/** Parses a Kubernetes quantity ("200Gi", "10G", "1.5e3") into a number, or returns null. */
export function parseQuantity(text: string): number | null {
  if (text.length > MAX_UNIT_TEXT) return null;
  const s = text.trim();
  const signed = s[0] === '+' || s[0] === '-' ? 1 : 0;
  const end = numberEnd(s, signed);
  if (end < 0) return null;
  const rest = s.slice(end);
  const exp = exponent(rest);
  const scale = exp !== null ? 10 ** exp : SUFFIX_SCALE.get(rest);
  if (scale === undefined) return null;
  const value = Number(s.slice(0, end)) * scale;
  return Number.isFinite(value) ? value : null;
}

const DURATION_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-3],
  ['us', 1],
  ['µs', 1],
  ['μs', 1],
  ['ms', 1e3],
  ['s', 1e6],
  ['m', 60e6],
  ['h', 3600e6],
]);

/** Parses a Go duration ("500us", "1.5ms", "1m30s") into microseconds, or returns null. */
export function parseDurationUs(text: string): number | null {
  if (text.length > MAX_UNIT_TEXT) return null;
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return null;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    const end = numberEnd(s, i);
    if (end < 0) return null;
    // As in Go's time.ParseDuration, the unit is everything up to the next digit or dot.
    let unitEnd = end;
    while (unitEnd < s.length && !isDigit(s.charCodeAt(unitEnd)) && s[unitEnd] !== '.') unitEnd++;
    const unit = DURATION_UNIT.get(s.slice(end, unitEnd));
    if (unit === undefined) return null;
    total += Number(s.slice(i, end)) * unit;
    i = unitEnd;
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
