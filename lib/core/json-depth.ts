/**
 * How deeply a JSON body nests, found while it arrives and before it is parsed: one pass over each chunk of
 * bytes that stops at the first level past the bound. A body of a million "[" would otherwise be parsed into a
 * million nested arrays, and anything that walks them recursively (serialising a Node object back in the filter
 * answer) would overflow the stack.
 *
 * Structural characters are ASCII and never occur inside a multi-byte UTF-8 sequence, so bytes need no decoding.
 * Malformed JSON is left for the parser to reject; the guard may over-count depth on it, never under-count.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** After this many plain bytes in a string, the rest of it is searched natively (annotations, long names). */
const PLAIN_RUN = 32;
const UNKNOWN = -2;
/** skipString's answers when the chunk ends inside the string, without and with a pending backslash. */
const OPEN = -1;
const OPEN_ESCAPED = -2;

export class JsonDepthGuard {
  readonly maxDepth: number;
  #depth = 0;
  #inString = false;
  #escaped = false;
  // Where the next quote and backslash of the current chunk are, once searched for: each search starts past the
  // last one found, so together they read the chunk once. -1: none in the rest of the chunk.
  #nextQuote = UNKNOWN;
  #nextBackslash = UNKNOWN;

  constructor(maxDepth: number) {
    this.maxDepth = maxDepth;
  }

  /** Reads the next chunk; false as soon as an array or object nests deeper than `maxDepth`. */
  feed(bytes: Uint8Array): boolean {
    this.#nextQuote = UNKNOWN;
    this.#nextBackslash = UNKNOWN;
    const n = bytes.length;
    let i = 0;
    if (this.#inString) {
      i = this.#skipString(bytes, 0, this.#escaped);
      if (i < 0) return this.#endInString(i);
    }
    let depth = this.#depth;
    while (i < n) {
      const b = bytes[i++];
      if (b === QUOTE) {
        i = this.#skipString(bytes, i, false);
        if (i < 0) {
          this.#depth = depth;
          return this.#endInString(i);
        }
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (++depth > this.maxDepth) return false;
      } else if ((b === CLOSE_ARRAY || b === CLOSE_OBJECT) && depth > 0) depth--;
    }
    this.#depth = depth;
    this.#inString = false;
    return true;
  }

  #endInString(state: number): boolean {
    this.#inString = true;
    this.#escaped = state === OPEN_ESCAPED;
    return true;
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

/** True when no array or object in `bytes` (one whole JSON text) nests deeper than `maxDepth`. */
export function withinDepth(bytes: Uint8Array, maxDepth: number): boolean {
  return new JsonDepthGuard(maxDepth).feed(bytes);
}
