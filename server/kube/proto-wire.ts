/**
 * Just enough of the protobuf wire format to read what kube-apiserver sends for built-in types
 * (Accept: application/vnd.kubernetes.protobuf), and only the fields berth reads. Every other field is skipped by
 * its length without being looked at, which is the point: a pod's managedFields, containers and conditions (most
 * of its bytes) cost nothing. Field numbers are those of k8s.io/api and k8s.io/apimachinery generated.proto.
 *
 * Envelopes: a LIST body is the magic "k8s\0" then runtime.Unknown{1 typeMeta, 2 raw, 3 contentEncoding,
 * 4 contentType} whose raw is the XList{1 metadata: ListMeta, 2 items}; a WATCH body is frames of a 4-byte
 * big-endian length and a bare metav1.WatchEvent{1 type, 2 object: RawExtension{1 raw}}, the raw again
 * magic + Unknown around the object. Errors come as metav1.Status in the same envelope.
 */
import { BerthError } from '../../lib/core/errors.ts';

/** Malformed protobuf from the API server: never a crash, a stall or a wrong object, always this. */
export function protoError(detail: string): BerthError {
  return new BerthError('BERTH_ERR_API', `protobuf from the API server: ${detail}`);
}

export const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** Reads fields of one message in buf[pos, end). */
export class ProtoReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  field = 0;
  wire = 0;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Moves to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag & 7;
    if (this.field === 0) throw protoError('field number 0');
    return true;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw protoError('truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw protoError('varint longer than 10 bytes');
  }

  /** The current length-delimited field as [start, end) in buf; the reader moves past it. */
  span(): [number, number] {
    if (this.wire !== WIRE.bytes) throw protoError(`field ${this.field}: expected bytes, wire type ${this.wire}`);
    const length = this.varint();
    const start = this.pos;
    if (length > this.end - start) throw protoError(`field ${this.field}: length ${length} past the message end`);
    this.pos = start + length;
    return [start, this.pos];
  }

  sub(): ProtoReader {
    const [start, end] = this.span();
    return new ProtoReader(this.buf, start, end);
  }

  string(): string {
    const [start, end] = this.span();
    return this.buf.toString('utf8', start, end);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  skip(): void {
    switch (this.wire) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
        this.#advance(8);
        return;
      case WIRE.bytes:
        this.span();
        return;
      case WIRE.fixed32:
        this.#advance(4);
        return;
      default:
        throw protoError(`field ${this.field}: unsupported wire type ${this.wire}`);
    }
  }

  #advance(n: number): void {
    if (this.pos + n > this.end) throw protoError(`field ${this.field}: truncated`);
    this.pos += n;
  }
}

export function hasMagic(buf: Buffer, at = 0): boolean {
  return buf.length >= at + 4 && MAGIC.every((b, i) => buf[at + i] === b);
}

export interface UnknownEnvelope {
  readonly kind: string;
  readonly apiVersion: string;
  /** The wrapped message's bytes. */
  readonly raw: Buffer;
}

/** magic + runtime.Unknown → the wrapped message. */
export function unwrap(buf: Buffer): UnknownEnvelope {
  if (!hasMagic(buf)) throw protoError('not a Kubernetes protobuf object (no k8s\\0 prefix)');
  const r = new ProtoReader(buf, 4);
  let kind = '';
  let apiVersion = '';
  let raw: Buffer = Buffer.alloc(0);
  while (r.next()) {
    if (r.field === 1) {
      const t = r.sub();
      while (t.next()) {
        if (t.field === 1) apiVersion = t.string();
        else if (t.field === 2) kind = t.string();
        else t.skip();
      }
    } else if (r.field === 2) {
      const [start, end] = r.span();
      raw = buf.subarray(start, end);
    } else r.skip();
  }
  return { kind, apiVersion, raw };
}

export interface ListMeta {
  readonly resourceVersion: string;
  readonly continue: string;
  readonly remainingItemCount: number | null;
}

export function listMeta(r: ProtoReader): ListMeta {
  let resourceVersion = '';
  let cont = '';
  let remaining: number | null = null;
  while (r.next()) {
    if (r.field === 2) resourceVersion = r.string();
    else if (r.field === 3) cont = r.string();
    else if (r.field === 4) remaining = r.varint();
    else r.skip();
  }
  return { resourceVersion, continue: cont, remainingItemCount: remaining };
}

export interface StatusFields {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

/** metav1.Status: {2 status, 3 message, 4 reason, 6 code}. */
export function status(r: ProtoReader): StatusFields {
  let code = 0;
  let reason = '';
  let message = '';
  while (r.next()) {
    if (r.field === 3) message = r.string();
    else if (r.field === 4) reason = r.string();
    else if (r.field === 6) code = r.varint();
    else r.skip();
  }
  return { code, reason, message };
}

export interface WatchEventFrame {
  readonly type: string;
  /** The object inside the event, still enveloped (magic + Unknown). */
  readonly object: Buffer;
}

/** One watch frame's metav1.WatchEvent. */
export function watchEvent(frame: Buffer): WatchEventFrame {
  const r = new ProtoReader(frame);
  let type = '';
  let object: Buffer = Buffer.alloc(0);
  while (r.next()) {
    if (r.field === 1) type = r.string();
    else if (r.field === 2) {
      const ext = r.sub();
      while (ext.next()) {
        if (ext.field === 1) {
          const [start, end] = ext.span();
          object = frame.subarray(start, end);
        } else ext.skip();
      }
    } else r.skip();
  }
  return { type, object };
}
