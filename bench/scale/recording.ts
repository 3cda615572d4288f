/**
 * Records a real API server's collections for the replay server: every item of pods, claims and StorageClasses as
 * the protobuf bytes kube-apiserver sent, NodeReports as its JSON, each as [4-byte length][bytes] in one file per
 * collection. Read back by replay-server.ts, which can also multiply the pods (renamed copies) past what this
 * machine's API server can hold.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, PROTOBUF } from '../../server/kube/api-get.ts';
import { JsonListSplitter } from '../../server/kube/json-list.ts';
import { ProtoListSplitter } from '../../server/kube/proto-stream.ts';
import { lengthField, stringField, varint } from '../../test/server/kube/proto-encode.ts';
import { ProtoReader } from '../../server/kube/proto-wire.ts';

export const COLLECTIONS = [
  {
    name: 'storageclasses',
    path: '/apis/storage.k8s.io/v1/storageclasses',
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    proto: true,
  },
  {
    name: 'persistentvolumeclaims',
    path: '/api/v1/persistentvolumeclaims',
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    proto: true,
  },
  { name: 'pods', path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod', proto: true },
  {
    name: 'nodereports',
    path: '/apis/berth.io/v1alpha1/nodereports',
    apiVersion: 'berth.io/v1alpha1',
    kind: 'NodeReport',
    proto: false,
  },
] as const;

export async function recordCluster(kc: KubeConfig, dir: string): Promise<Record<string, number>> {
  const api = new ApiClient(kc);
  const counts: Record<string, number> = {};
  try {
    for (const c of COLLECTIONS) {
      const out = createWriteStream(join(dir, `${c.name}.bin`));
      let n = 0;
      let cont = '';
      do {
        const query: Record<string, string> = { limit: '500', ...(cont === '' ? {} : { continue: cont }) };
        const res = await api.get(c.path, query, c.proto ? PROTOBUF : 'application/json', new AbortController().signal);
        const splitter = c.proto ? new ProtoListSplitter(1 << 23) : new JsonListSplitter(1 << 23);
        for await (const chunk of res as AsyncIterable<Buffer>)
          for (const item of splitter.push(chunk)) {
            const length = Buffer.alloc(4);
            length.writeUInt32BE(item.length);
            if (!out.write(Buffer.concat([length, item])))
              await new Promise<void>((r) => {
                out.once('drain', () => {
                  r();
                });
              });
            n++;
          }
        cont = splitter.end().continue;
      } while (cont !== '');
      await new Promise<void>((resolve) => out.end(resolve));
      counts[c.name] = n;
    }
  } finally {
    api.close();
  }
  writeFileSync(join(dir, 'counts.json'), JSON.stringify(counts));
  return counts;
}

/** The items of one recorded collection, as slices of one buffer. */
export function readRecorded(dir: string, name: string): Buffer[] {
  const all = readFileSync(join(dir, `${name}.bin`));
  const items: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const length = all.readUInt32BE(at);
    items.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return items;
}

/**
 * A copy of a recorded Pod message with a new name and uid (ObjectMeta fields 1 and 5); every other byte is as
 * kube-apiserver sent it.
 */
export function renamedPod(pod: Buffer, suffix: string): Buffer {
  const r = new ProtoReader(pod);
  const parts: Buffer[] = [];
  while (r.next()) {
    const fieldStart = r.pos;
    if (r.field !== 1) {
      const start = fieldStart;
      r.skip();
      parts.push(Buffer.concat([varint((r.field << 3) | r.wire), pod.subarray(start, r.pos)]));
      continue;
    }
    const meta = r.sub();
    const fields: Buffer[] = [];
    while (meta.next()) {
      const tag = varint((meta.field << 3) | meta.wire);
      const start = meta.pos;
      if (meta.field === 1) fields.push(...stringField(1, `${meta.string()}-${suffix}`));
      else if (meta.field === 5) fields.push(...stringField(5, `${meta.string().slice(0, -suffix.length)}${suffix}`));
      else {
        meta.skip();
        fields.push(tag, pod.subarray(start, meta.pos));
      }
    }
    parts.push(...lengthField(1, fields));
  }
  return Buffer.concat(parts);
}
