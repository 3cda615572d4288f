/**
 * The protobuf envelopes a real API server wraps objects in, for the fake API server: a list page is the magic
 * "k8s\0" then runtime.Unknown{typeMeta, raw: XList{metadata: ListMeta, items}, contentEncoding, contentType}; a
 * watch stream is frames of a 4-byte big-endian length and a bare metav1.WatchEvent{type, object: RawExtension}
 * whose raw is again magic + Unknown around the object. Field numbers are k8s.io/apimachinery's generated.proto.
 * The objects themselves are bytes recorded from kube-apiserver; only envelopes are built here.
 */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

export function lengthField(field: number, parts: readonly Buffer[]): Buffer[] {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return [varint((field << 3) | 2), varint(length), ...parts];
}

export function stringField(field: number, text: string): Buffer[] {
  return lengthField(field, [Buffer.from(text)]);
}

function varintField(field: number, n: number): Buffer[] {
  return [varint(field << 3), varint(n)];
}

export interface TypeMeta {
  readonly apiVersion: string;
  readonly kind: string;
}

/** magic + runtime.Unknown around `raw`, with the empty contentEncoding and contentType kube-apiserver writes. */
function unknown(type: TypeMeta, raw: readonly Buffer[]): Buffer[] {
  const typeMeta = [...stringField(1, type.apiVersion), ...stringField(2, type.kind)];
  return [MAGIC, ...lengthField(1, typeMeta), ...lengthField(2, raw), ...stringField(3, ''), ...stringField(4, '')];
}

export function encodeListPage(
  type: TypeMeta,
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
  items: readonly Buffer[],
): Buffer[] {
  const listMeta = [
    ...stringField(2, meta.resourceVersion),
    ...(meta.continue === undefined ? [] : stringField(3, meta.continue)),
    ...(meta.remainingItemCount === undefined ? [] : varintField(4, meta.remainingItemCount)),
  ];
  const raw = [...lengthField(1, listMeta), ...items.flatMap((item) => lengthField(2, [item]))];
  return unknown(type, raw);
}

function encodeStatus(status: Record<string, unknown>): Buffer[] {
  const text = (k: string): string => (typeof status[k] === 'string' ? status[k] : '');
  return [
    ...lengthField(1, []),
    ...stringField(2, text('status')),
    ...stringField(3, text('message')),
    ...stringField(4, text('reason')),
    ...varintField(6, typeof status['code'] === 'number' ? status['code'] : 0),
  ];
}

/**
 * One watch frame. `object` is the object's message bytes; for ERROR events pass `status` (a Status object), for
 * BOOKMARK events pass `resourceVersion` (the object is then just metadata.resourceVersion).
 */
export function encodeWatchFrame(
  type: string,
  objectType: TypeMeta,
  object: Buffer | null,
  extra: { status?: Record<string, unknown>; resourceVersion?: string } = {},
): Buffer {
  let inner: Buffer[];
  if (extra.status !== undefined) inner = unknown({ apiVersion: 'v1', kind: 'Status' }, encodeStatus(extra.status));
  else if (extra.resourceVersion !== undefined)
    inner = unknown(objectType, lengthField(1, stringField(6, extra.resourceVersion)));
  else inner = unknown(objectType, [object ?? Buffer.alloc(0)]);
  const event = Buffer.concat([...stringField(1, type), ...lengthField(2, lengthField(1, inner))]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}
