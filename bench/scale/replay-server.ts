/**
 * The replay server: serves LIST (paginated) and WATCH for a recording (recording.ts) over HTTPS, with the pods
 * multiplied `copies` times (renamed copies of the recorded pods) to reach sizes this machine's kube-apiserver
 * cannot hold. It is the fake API server of the unit tests (test/server/kube/fake-api-server.ts) loaded with bytes
 * kube-apiserver sent. Run as its own process by the benchmark:
 *
 *   node bench/scale/replay-server.ts <recording dir> <copies>
 *
 * prints {"url", "kubeconfig"} as one line, then reads commands from stdin: "gone" ends every watch with 410
 * Gone (berth relists), "quit" stops.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generatePki } from '../../test/e2e/harness/pki.ts';
import { kubeconfigFile } from '../../test/e2e/harness/users.ts';
import { FakeApiServer } from '../../test/server/kube/fake-api-server.ts';
import { podFields } from '../../server/kube/proto-objects.ts';
import { claimFields, classFields } from '../../server/kube/proto-objects.ts';
import { COLLECTIONS, readRecorded, renamedPod } from './recording.ts';

const [dir, copiesText] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: replay-server.ts <recording dir> <copies>');
const copies = Number(copiesText ?? 1);
const pkiDir = mkdtempSync(join(tmpdir(), 'berth-replay-'));
const pki = await generatePki(pkiDir);
const fake = await FakeApiServer.start({
  tls: { key: readFileSync(pki.servingKeyPath), cert: readFileSync(pki.servingCertPath) },
});
let pods = 0;
for (const c of COLLECTIONS) {
  fake.collection(c.path, { apiVersion: c.apiVersion, kind: c.kind });
  const items = readRecorded(dir, c.name);
  for (let copy = 0; copy < (c.name === 'pods' ? copies : 1); copy++)
    for (const recorded of items) {
      if (!c.proto) {
        const obj = JSON.parse(recorded.toString('utf8')) as { metadata: { name: string } };
        fake.load(c.path, { key: `/${obj.metadata.name}`, json: recorded, proto: null, phase: null });
        continue;
      }
      const bytes = copy === 0 ? recorded : renamedPod(recorded, `r${copy}`);
      const { key, phase } = keyOf(c.name, bytes);
      fake.load(c.path, { key, json: Buffer.alloc(0), proto: bytes, phase });
      if (c.name === 'pods') pods++;
    }
}

function keyOf(name: string, bytes: Buffer): { key: string; phase: string | null } {
  if (name === 'pods') {
    const f = podFields(bytes, () => false).fields;
    return { key: `${f.namespace}/${f.name}`, phase: f.phase };
  }
  if (name === 'persistentvolumeclaims') {
    const f = claimFields(bytes).fields;
    return { key: `${f.namespace}/${f.name}`, phase: null };
  }
  return { key: `/${classFields(bytes).name}`, phase: null };
}

const kubeconfig = join(pkiDir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  kubeconfigFile({ server: fake.url, caPem: pki.caPem }, { name: 'replay', groups: [], token: 'replay' }),
);
process.stdout.write(`${JSON.stringify({ url: fake.url, kubeconfig, pods })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'gone') fake.goneWatches();
  if (line === 'quit') void fake.close().then(() => process.exit(0));
});
