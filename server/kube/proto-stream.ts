/**
 * Protobuf LIST and WATCH bodies as they stream in. A list's items are length-prefixed, so each is cut out as soon
 * as its last byte arrives, without scanning it; a watch is frames of a 4-byte length. Both are bounded: an item
 * or a frame larger than the limit is an error, never a buffer that grows without end. See proto-wire.ts for the
 * envelopes.
 */
import { listMeta, MAGIC, protoError, ProtoReader, WIRE, type ListMeta } from './proto-wire.ts';

/** Chunks not yet consumed; copies only when a read spans two chunks. */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  byteAt(offset: number): number {
    let at = this.#head + offset;
    for (const c of this.#chunks) {
      if (at < c.length) return c[at] ?? 0;
      at -= c.length;
    }
    throw new RangeError('past the end of the queue');
  }

  /** A varint at `offset`: its value and size, or null when not all of it has arrived. */
  varintAt(offset: number): { value: number; size: number } | null {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (offset + i >= this.#length) return null;
      const b = this.byteAt(offset + i);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return { value, size: i + 1 };
      scale *= 128;
    }
    throw protoError('varint longer than 10 bytes');
  }

  take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && this.#head + n <= first.length) {
      const out = first.subarray(this.#head, this.#head + n);
      this.drop(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const c = this.#chunks[0];
      if (c === undefined) throw new RangeError('past the end of the queue');
      const count = Math.min(n - written, c.length - this.#head);
      c.copy(out, written, this.#head, this.#head + count);
      written += count;
      this.drop(count);
    }
    return out;
  }

  /** Drops up to n bytes; returns how many were dropped. */
  drop(n: number): number {
    let left = Math.min(n, this.#length);
    const dropped = left;
    while (left > 0) {
      const c = this.#chunks[0];
      if (c === undefined) break;
      const here = Math.min(left, c.length - this.#head);
      this.#head += here;
      left -= here;
      if (this.#head === c.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#length -= dropped;
    return dropped;
  }
}

type State = 'magic' | 'envelope' | 'list';

export class ProtoListSplitter {
  readonly #q = new ByteQueue();
  readonly #maxItemBytes: number;
  #state: State = 'magic';
  /** Bytes of the list message (Unknown.raw) not yet consumed. */
  #listLeft = 0;
  /** Bytes still to skip of a field nobody reads. */
  #skipLeft = 0;
  #meta: ListMeta | null = null;

  constructor(maxItemBytes: number) {
    this.#maxItemBytes = maxItemBytes;
  }

  /** Each item's message bytes (a Pod, a PersistentVolumeClaim…) completed by this chunk. */
  push(chunk: Buffer): Buffer[] {
    this.#q.push(chunk);
    const out: Buffer[] = [];
    for (;;) {
      if (this.#skipLeft > 0) {
        const dropped = this.#q.drop(this.#skipLeft);
        this.#skipLeft -= dropped;
        if (this.#skipLeft > 0) return out;
      }
      if (this.#state === 'magic') {
        if (this.#q.length < 4) return out;
        const head = this.#q.take(4);
        if (!MAGIC.every((b, i) => head[i] === b)) throw protoError('not a Kubernetes protobuf list (no k8s\\0)');
        this.#state = 'envelope';
        continue;
      }
      if (this.#state === 'list' && this.#listLeft === 0) {
        this.#state = 'envelope';
        continue;
      }
      const field = this.#field();
      if (field === null) return out;
      const item = this.#consume(field);
      if (item === 'more') return out;
      if (item !== null) out.push(item);
    }
  }

  end(): ListMeta {
    if (this.#state === 'magic' || this.#state === 'list' || this.#skipLeft > 0 || this.#q.length > 0)
      throw protoError('the list body ended early');
    return this.#meta ?? { resourceVersion: '', continue: '', remainingItemCount: null };
  }

  /** The next field's header, or null until it has all arrived (with its whole value for what is read). */
  #field(): { field: number; wire: number; header: number; length: number } | null {
    const tag = this.#q.varintAt(0);
    if (tag === null) return null;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value & 7;
    if (wire === WIRE.varint) {
      const v = this.#q.varintAt(tag.size);
      return v === null ? null : { field, wire, header: tag.size + v.size, length: 0 };
    }
    if (wire === WIRE.fixed64 || wire === WIRE.fixed32)
      return { field, wire, header: tag.size, length: wire === WIRE.fixed64 ? 8 : 4 };
    if (wire !== WIRE.bytes) throw protoError(`unsupported wire type ${wire}`);
    const len = this.#q.varintAt(tag.size);
    return len === null ? null : { field, wire, header: tag.size + len.size, length: len.value };
  }

  /** The item this field is, null for any other field, 'more' when the field has not all arrived yet. */
  #consume(f: { field: number; wire: number; header: number; length: number }): Buffer | null | 'more' {
    const inList = this.#state === 'list';
    if (inList && f.header + f.length > this.#listLeft) throw protoError('a list field runs past the list');
    const enterList = !inList && f.field === 2 && f.wire === WIRE.bytes;
    const wanted = inList && f.wire === WIRE.bytes && (f.field === 1 || f.field === 2);
    if (wanted && f.length > this.#maxItemBytes)
      throw protoError(`a list item is larger than ${this.#maxItemBytes} bytes`);
    if (wanted && this.#q.length < f.header + f.length) return 'more';
    this.#q.drop(f.header);
    if (inList) this.#listLeft -= f.header + f.length;
    if (enterList) {
      this.#state = 'list';
      this.#listLeft = f.length;
      return null;
    }
    if (!wanted) {
      this.#skipLeft = f.length;
      return null;
    }
    const bytes = this.#q.take(f.length);
    if (f.field === 2) return bytes;
    this.#meta = listMeta(new ProtoReader(bytes));
    return null;
  }
}

/** A protobuf watch body: frames of a 4-byte big-endian length and the frame. */
export class FrameSplitter {
  readonly #q = new ByteQueue();
  readonly #maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.#q.push(chunk);
    const out: Buffer[] = [];
    while (this.#q.length >= 4) {
      const length =
        this.#q.byteAt(0) * 2 ** 24 + (this.#q.byteAt(1) << 16) + (this.#q.byteAt(2) << 8) + this.#q.byteAt(3);
      if (length > this.#maxFrameBytes) throw protoError(`a watch frame is larger than ${this.#maxFrameBytes} bytes`);
      if (this.#q.length < 4 + length) break;
      this.#q.drop(4);
      out.push(this.#q.take(length));
    }
    return out;
  }
}
