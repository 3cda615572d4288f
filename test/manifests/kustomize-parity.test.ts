/**
 * The in-test renderer (test/helpers/manifests/render.ts) against the real kustomize built into kubectl, when
 * kubectl is on PATH: both kustomizations must render to the same objects, so what the other tests check is what
 * `kubectl apply -k` applies. kubectl is not something CI installs; without it this file says so in one line.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { describe, MANIFESTS, renderKustomization, type KubeObject } from '../helpers/manifests/render.ts';

const run = promisify(execFile);
const kubectl = await run('kubectl', ['version', '--client']).then(
  () => true,
  () => false,
);

const byKey = (objects: readonly KubeObject[]): Map<string, KubeObject> =>
  new Map(objects.map((o) => [describe(o), o]));

for (const dir of ['', 'monitoring']) {
  t.test(
    `kubectl kustomize manifests/${dir} renders what the tests check`,
    { skip: kubectl ? false : 'no kubectl on PATH: the renderer is not cross-checked against real kustomize here' },
    async (t) => {
      const { stdout } = await run('kubectl', ['kustomize', join(MANIFESTS, dir)], { maxBuffer: 16 * 2 ** 20 });
      const real = byKey(parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject));
      const ours = byKey((await renderKustomization(join(MANIFESTS, dir))).objects.map((o) => o.object));
      t.same([...ours.keys()].sort(), [...real.keys()].sort(), 'the same objects');
      for (const [key, object] of ours) t.same(object, real.get(key), `${key} is identical`);
    },
  );
}
