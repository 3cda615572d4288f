/**
 * Records what kube-apiserver (the e2e harness's v1.36.3) sends for pods, claims and StorageClasses, in protobuf and
 * in JSON, into test/fixtures/kube-proto/: the LIST bodies of the objects in test/e2e/kube/projection-objects.ts,
 * and a pods WATCH (a pod created, bound, deleted) in both encodings. test/server/kube/proto-objects.test.ts reads
 * them. Run: node bench/scale/record-proto-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, PROTOBUF } from '../../server/kube/api-get.ts';
import { startControlPlane } from '../../test/e2e/harness/control-plane.ts';
import { kubernetesVersion } from '../../test/e2e/harness/binaries.ts';
import { readBoth, writeEdgeObjects, writePlanObjects } from '../../test/e2e/kube/projection-objects.ts';
import { ApiWriter, loadBasics } from '../../test/e2e/kube/scale-loader.ts';

const out = join(import.meta.dirname, '../../test/fixtures/kube-proto');
const teardowns: (() => unknown)[] = [];
const cp = await startControlPlane({ teardown: (f) => teardowns.push(f), passing: () => true });
try {
  const kc = cp.kubeConfig();
  const w = await ApiWriter.create(kc, 4);
  await loadBasics(w);
  await writePlanObjects(w, 100);
  await writeEdgeObjects(w);
  mkdirSync(out, { recursive: true });
  const recordedWith = `kube-apiserver ${kubernetesVersion()}`;
  for (const [name, path] of [
    ['pods', '/api/v1/pods'],
    ['persistentvolumeclaims', '/api/v1/persistentvolumeclaims'],
    ['storageclasses', '/apis/storage.k8s.io/v1/storageclasses'],
  ] as const) {
    const both = await readBoth(kc, path);
    writeFile(name, { recordedWith, protobuf: both.proto.toString('base64'), json: both.json.toString('utf8') });
  }
  const watches = await Promise.all([PROTOBUF, 'application/json'].map((accept) => recordWatch(kc, accept)));
  const pod = { metadata: { name: 'watched' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  await w.send('POST', '/api/v1/namespaces/team-1/pods', pod);
  await w.send('POST', '/api/v1/namespaces/team-1/pods/watched/binding', {
    metadata: { name: 'watched' },
    target: { kind: 'Node', name: 'n1' },
  });
  await w.send('DELETE', '/api/v1/namespaces/team-1/pods/watched', { gracePeriodSeconds: 0 });
  const [proto, json] = await Promise.all(watches.map((stop) => stop()));
  writeFile('pods-watch', {
    recordedWith,
    protobuf: proto?.toString('base64') ?? '',
    json: json?.toString('utf8') ?? '',
  });
  w.close();
  process.stdout.write(`fixtures written to ${out}\n`);
} finally {
  for (const f of teardowns.reverse()) await f();
}

function writeFile(name: string, content: unknown): void {
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(content, null, 1)}\n`);
}

/** Opens a pods watch from now; the returned function waits a moment, closes it and gives its bytes. */
async function recordWatch(kc: ReturnType<typeof cp.kubeConfig>, accept: string): Promise<() => Promise<Buffer>> {
  const api = new ApiClient(kc);
  const list = await api.get('/api/v1/pods', { limit: '1' }, 'application/json', new AbortController().signal);
  let text = '';
  for await (const c of list as AsyncIterable<Buffer>) text += c.toString();
  const rv = (JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const abort = new AbortController();
  const res = await api.get('/api/v1/pods', { watch: 'true', resourceVersion: rv }, accept, abort.signal);
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', () => undefined);
  return async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    abort.abort();
    api.close();
    return Buffer.concat(chunks);
  };
}
