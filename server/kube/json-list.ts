/**
 * Splits a JSON list body ({"kind":…,"metadata":{…},"items":[{…},{…}]}) into its items as they stream in, so
 * that no body is ever held whole (one string of a 150,000-pod list is past V8's string limit) and each item is
 * parsed on its own, between which the caller can yield. One pass over the bytes, tracking only string and
 * nesting state: linear in the input. Top-level "metadata" is kept (bounded) for resourceVersion and continue.
 */
import { BerthError } from '../../lib/core/errors.ts';
import * as JSON_BYTES from '../../lib/core/json-bytes.ts';

// Local copies, as in json-guard.ts: a module-level const is folded into the byte loop, an imported binding is not.
const QUOTE = JSON_BYTES.QUOTE;
const BACKSLASH = JSON_BYTES.BACKSLASH;
const OPEN_ARRAY = JSON_BYTES.OPEN_ARRAY;
const CLOSE_ARRAY = JSON_BYTES.CLOSE_ARRAY;
const OPEN_OBJECT = JSON_BYTES.OPEN_OBJECT;
const CLOSE_OBJECT = JSON_BYTES.CLOSE_OBJECT;
const COLON = JSON_BYTES.COLON;
const COMMA = JSON_BYTES.COMMA;

/** Malformed or oversized JSON from the API server. */
export function jsonListError(detail: string): BerthError {
  return new BerthError('BERTH_ERR_API', `JSON from the API server: ${detail}`);
}

const MAX_METADATA_BYTES = 1 << 20;
const MAX_KEY_BYTES = 256;

export class JsonListSplitter {
  readonly #maxItemBytes: number;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** At depth 1: collecting a key's bytes (between its quotes), and the last key seen. */
  #expectKey = false;
  #keyParts: number[] | null = null;
  #key = '';
  #items = false;
  /** What is being captured: an item (depth 2 → 3 in "items"), or the top-level metadata object. */
  #capture: 'item' | 'metadata' | null = null;
  #pieces: Buffer[] = [];
  #captured = 0;
  #metadata: Buffer | null = null;
  #ended = false;

  constructor(maxItemBytes: number) {
    this.#maxItemBytes = maxItemBytes;
  }

  /** Items completed in this chunk, as their JSON bytes. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let captureFrom = this.#capture === null ? -1 : 0;
    // Hot loop: state in locals, written back at the end.
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] ?? 0;
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) {
          inString = false;
          if (this.#keyParts !== null) this.#endKey();
        } else if (this.#keyParts !== null && this.#keyParts.length < MAX_KEY_BYTES) this.#keyParts.push(c);
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1 && this.#expectKey) this.#startKey();
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
        if (depth === 1) {
          if (c !== OPEN_OBJECT) throw jsonListError('a list body must be a JSON object');
          this.#expectKey = true;
        } else if (depth === 2 && c === OPEN_ARRAY && this.#key === 'items') this.#items = true;
        else if ((depth === 2 && c === OPEN_OBJECT && this.#key === 'metadata') || (depth === 3 && this.#items)) {
          captureFrom = i;
          this.#start(depth === 2 ? 'metadata' : 'item');
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth < 0) throw jsonListError('unbalanced brackets');
        if (depth === 2 && this.#capture === 'item') out.push(this.#finish(chunk, captureFrom, i + 1));
        else if (depth === 1 && this.#capture === 'metadata') this.#metadata = this.#finish(chunk, captureFrom, i + 1);
        else if (depth === 1 && this.#items) this.#items = false;
        else if (depth === 0) this.#ended = true;
        if (this.#capture === null) captureFrom = -1;
      } else if (depth === 1 && c === COMMA) this.#expectKey = true;
      else if (depth === 1 && c === COLON) this.#expectKey = false;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escape = escape;
    if (this.#capture !== null && captureFrom >= 0) this.#keep(chunk.subarray(captureFrom));
    return out;
  }

  /** The list's top-level metadata, parsed; throws if the body did not end as a complete object. */
  end(): { resourceVersion: string; continue: string; remainingItemCount: number | null } {
    if (!this.#ended || this.#inString) throw jsonListError('the list body ended early');
    const meta =
      this.#metadata === null ? {} : (JSON.parse(this.#metadata.toString('utf8')) as Record<string, unknown>);
    const text = (k: string): string => (typeof meta[k] === 'string' ? meta[k] : '');
    const remaining = meta['remainingItemCount'];
    return {
      resourceVersion: text('resourceVersion'),
      continue: text('continue'),
      remainingItemCount: typeof remaining === 'number' ? remaining : null,
    };
  }

  #startKey(): void {
    this.#keyParts = [];
    this.#expectKey = false;
  }

  #endKey(): void {
    this.#key = String.fromCharCode(...(this.#keyParts ?? []));
    this.#keyParts = null;
  }

  #start(what: 'item' | 'metadata'): void {
    this.#capture = what;
    this.#pieces = [];
    this.#captured = 0;
  }

  #keep(piece: Buffer): void {
    this.#captured += piece.length;
    const max = this.#capture === 'metadata' ? MAX_METADATA_BYTES : this.#maxItemBytes;
    if (this.#captured > max) throw jsonListError(`a list ${this.#capture ?? 'item'} is larger than ${max} bytes`);
    this.#pieces.push(piece);
  }

  #finish(chunk: Buffer, from: number, to: number): Buffer {
    this.#keep(chunk.subarray(from, to));
    const whole = this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces);
    this.#capture = null;
    this.#pieces = [];
    return whole;
  }
}

/** Splits a newline-delimited stream (a JSON watch) into lines, each bounded in length. */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pieces: Buffer[] = [];
  #pending = 0;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) break;
      const piece = chunk.subarray(from, nl);
      if (this.#pending + piece.length > this.#maxLineBytes)
        throw jsonListError(`a watch event is longer than ${this.#maxLineBytes} bytes`);
      const line = this.#pieces.length === 0 ? piece : Buffer.concat([...this.#pieces, piece]);
      this.#pieces = [];
      this.#pending = 0;
      if (line.length > 0) out.push(line);
      from = nl + 1;
    }
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      this.#pending += rest.length;
      if (this.#pending > this.#maxLineBytes)
        throw jsonListError(`a watch event is longer than ${this.#maxLineBytes} bytes`);
      this.#pieces.push(rest);
    }
    return out;
  }
}
