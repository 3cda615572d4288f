/**
 * How deeply a JSON body nests, how many values it holds and how long its arrays are, found while it arrives and
 * before it is parsed: one pass over each chunk of bytes that stops at the first level, value or item past its
 * bound. A body of a million "[" would otherwise be parsed into a million nested arrays, and anything that walks
 * them recursively (serialising a Node object back in the filter answer) would overflow the stack; a body of
 * 300,000 "[]," costs JSON.parse milliseconds of allocation in one block while its size is within the limit; and
 * a list of 20,000 node names would be parsed whole only to be refused for its length.
 *
 * Structural characters are ASCII and never occur inside a multi-byte UTF-8 sequence, so bytes need no decoding.
 * Malformed JSON is left for the parser to reject; the guard may over-count depth on it, never under-count.
 */
import * as JSON_BYTES from './json-bytes.ts';

// Local copies: an imported binding is read through its module cell on every use, which cost the byte loop below
// about 15 %; a module-level const is folded into the compiled loop.
const QUOTE = JSON_BYTES.QUOTE;
const BACKSLASH = JSON_BYTES.BACKSLASH;
const OPEN_ARRAY = JSON_BYTES.OPEN_ARRAY;
const CLOSE_ARRAY = JSON_BYTES.CLOSE_ARRAY;
const OPEN_OBJECT = JSON_BYTES.OPEN_OBJECT;
const CLOSE_OBJECT = JSON_BYTES.CLOSE_OBJECT;
const COMMA = JSON_BYTES.COMMA;

/** An array's entry in the per-depth counts; an object's is OBJECT. */
const OBJECT = -1;
const MAX_KEY = 64;
const UTF8 = new TextDecoder();
/** After this many plain bytes in a string, the rest of it is searched natively (annotations, long names). */
const PLAIN_RUN = 32;
const UNKNOWN = -2;
/** skipString's answers when the chunk ends inside the string, without and with a pending backslash. */
const OPEN = -1;
const OPEN_ESCAPED = -2;

/** What a chunk broke, if anything. */
export type JsonExcess = 'depth' | 'values' | 'items' | null;

export interface JsonBounds {
  readonly maxDepth: number;
  readonly maxValues?: number;
  readonly maxArrayItems?: number;
}

export class JsonGuard {
  readonly maxDepth: number;
  readonly maxValues: number;
  readonly maxArrayItems: number;
  /** After 'items': the key of the top-level member holding the long array, and how deep the array was. */
  longArray: { readonly key: string | null; readonly depth: number } | null = null;
  #depth = 0;
  /** Arrays and objects opened plus commas outside strings: every value and member but the first of each. */
  #values = 0;
  /** Per depth: the commas seen in the array open there, or OBJECT. */
  readonly #commas: number[] = [0];
  /** The key of the current member of the top-level object (null when unknown or not an object). */
  #topKey: string | null = null;
  #expectTopKey = false;
  /** The bytes of a top-level key read so far, when it runs past the end of a chunk. */
  #keyPart: Uint8Array | null = null;
  #inString = false;
  #escaped = false;
  // Where the next quote and backslash of the current chunk are, once searched for: each search starts past the
  // last one found, so together they read the chunk once. -1: none in the rest of the chunk.
  #nextQuote = UNKNOWN;
  #nextBackslash = UNKNOWN;

  constructor(bounds: JsonBounds) {
    this.maxDepth = bounds.maxDepth;
    this.maxValues = bounds.maxValues ?? Number.POSITIVE_INFINITY;
    this.maxArrayItems = bounds.maxArrayItems ?? Number.POSITIVE_INFINITY;
  }

  /** Reads the next chunk; names the first bound it breaks (nesting, values or the items of one array). */
  feed(bytes: Uint8Array): JsonExcess {
    this.#nextQuote = UNKNOWN;
    this.#nextBackslash = UNKNOWN;
    const n = bytes.length;
    let i = 0;
    if (this.#inString) {
      i = this.#skipString(bytes, 0, this.#escaped);
      if (this.#keyPart !== null) this.#readTopKey(bytes, 0, i);
      if (i < 0) return this.#endInString(i);
    }
    let depth = this.#depth;
    let values = this.#values;
    while (i < n) {
      const b = bytes[i++];
      if (b === QUOTE) {
        const start = i;
        i = this.#skipString(bytes, i, false);
        if (depth === 1 && this.#expectTopKey) this.#readTopKey(bytes, start, i);
        if (i < 0) {
          this.#depth = depth;
          this.#values = values;
          return this.#endInString(i);
        }
      } else if (b === COMMA) {
        if (++values > this.maxValues) return 'values';
        const commas = this.#commas[depth] ?? OBJECT;
        if (commas !== OBJECT) {
          this.#commas[depth] = commas + 1;
          if (commas + 1 >= this.maxArrayItems) return this.#tooLong(depth);
        } else if (depth === 1) this.#expectTopKey = true;
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (++depth > this.maxDepth) return 'depth';
        if (++values > this.maxValues) return 'values';
        this.#commas[depth] = b === OPEN_ARRAY ? 0 : OBJECT;
        if (depth === 1) this.#expectTopKey = b === OPEN_OBJECT;
      } else if ((b === CLOSE_ARRAY || b === CLOSE_OBJECT) && depth > 0) depth--;
    }
    this.#depth = depth;
    this.#values = values;
    this.#inString = false;
    return null;
  }

  /**
   * A key of the top-level object, from `start` to just before `end` (past its closing quote), or to the end of
   * the chunk when `end` is negative; kept for messages when it is at most MAX_KEY bytes.
   */
  #readTopKey(bytes: Uint8Array, start: number, end: number): void {
    this.#expectTopKey = false;
    const piece = bytes.subarray(start, end < 0 ? bytes.length : end - 1);
    const before = this.#keyPart ?? new Uint8Array(0);
    const whole = before.length + piece.length <= MAX_KEY ? joined(before, piece) : null;
    this.#keyPart = end < 0 && whole !== null ? whole : null;
    this.#topKey = end >= 0 && whole !== null ? UTF8.decode(whole) : null;
  }

  #tooLong(depth: number): 'items' {
    this.longArray = { key: this.#topKey, depth };
    return 'items';
  }

  #endInString(state: number): null {
    this.#inString = true;
    this.#escaped = state === OPEN_ESCAPED;
    return null;
  }

  /** From inside a string at `from`: the index just past its closing quote, or OPEN / OPEN_ESCAPED. */
  #skipString(bytes: Uint8Array, from: number, escaped: boolean): number {
    const n = bytes.length;
    let i = escaped ? from + 1 : from;
    let plain = 0;
    while (i < n) {
      const c = bytes[i];
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) {
        i += 2;
        plain = 0;
      } else if (++plain < PLAIN_RUN) i++;
      else {
        i = this.#nextSpecial(bytes, i);
        plain = 0;
      }
    }
    return i > n ? OPEN_ESCAPED : OPEN;
  }

  /** The next quote or backslash at or after `from`, or the chunk's length. */
  #nextSpecial(bytes: Uint8Array, from: number): number {
    if (this.#nextQuote !== -1 && this.#nextQuote < from) this.#nextQuote = bytes.indexOf(QUOTE, from);
    if (this.#nextBackslash !== -1 && this.#nextBackslash < from) this.#nextBackslash = bytes.indexOf(BACKSLASH, from);
    const q = this.#nextQuote;
    const b = this.#nextBackslash;
    const next = q < 0 ? b : b < 0 ? q : Math.min(q, b);
    return next < 0 ? bytes.length : next;
  }
}

/** `a` then `b`, copied (a key piece must not keep a whole chunk alive). */
function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** True when no array or object in `bytes` (one whole JSON text) nests deeper than `maxDepth`. */
export function withinDepth(bytes: Uint8Array, maxDepth: number): boolean {
  return new JsonGuard({ maxDepth }).feed(bytes) === null;
}
