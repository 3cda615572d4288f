/**
 * Projects one LIST body (or one watch stream) through berth's own readers, as the informer would: the protobuf
 * and JSON splitters, fed in chunks of random sizes, then the resource codec. Used to compare the two encodings
 * of the same objects, recorded (test/fixtures/kube-proto) or live (test/e2e/kube/projection.test.ts).
 */
import { seededRandom } from '../../helpers/builders.ts';
import { JsonListSplitter, LineSplitter } from '../../../server/kube/json-list.ts';
import { FrameSplitter, ProtoListSplitter } from '../../../server/kube/proto-stream.ts';
import { unwrap, watchEvent } from '../../../server/kube/proto-wire.ts';
import type { Projected, ResourceCodec } from '../../../server/kube/resources.ts';

function chunks(body: Buffer, seed: number): Buffer[] {
  const rnd = seededRandom(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    const size = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 16 : 4096));
    out.push(body.subarray(at, at + size));
    at += size;
  }
  return out;
}

export interface ProjectedList<T> {
  readonly items: Projected<T>[];
  readonly resourceVersion: string;
}

export function projectList<T>(codec: ResourceCodec<T>, body: Buffer, proto: boolean, seed = 1): ProjectedList<T> {
  const splitter = proto ? new ProtoListSplitter(1 << 23) : new JsonListSplitter(1 << 23);
  const items: Projected<T>[] = [];
  for (const c of chunks(body, seed))
    for (const item of splitter.push(c)) {
      const p = proto ? codec.fromProto(item) : codec.fromJson(JSON.parse(item.toString('utf8')));
      if (p !== null) items.push(p);
    }
  return { items, resourceVersion: splitter.end().resourceVersion };
}

/** A watch body's events as [type, key, resourceVersion]. */
export function projectWatch<T>(codec: ResourceCodec<T>, body: Buffer, proto: boolean, seed = 1): string[][] {
  const splitter = proto ? new FrameSplitter(1 << 23) : new LineSplitter(1 << 23);
  const out: string[][] = [];
  for (const c of chunks(body, seed))
    for (const frame of splitter.push(c)) {
      if (proto) {
        const e = watchEvent(frame);
        const p = e.type === 'BOOKMARK' || e.type === 'ERROR' ? null : codec.fromProto(unwrap(e.object).raw);
        out.push([e.type, p?.key ?? '', p?.resourceVersion ?? '']);
      } else {
        const e = JSON.parse(frame.toString('utf8')) as { type: string; object: unknown };
        const p = e.type === 'BOOKMARK' || e.type === 'ERROR' ? null : codec.fromJson(e.object);
        out.push([e.type, p?.key ?? '', p?.resourceVersion ?? '']);
      }
    }
  return out;
}
