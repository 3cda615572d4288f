import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BerthError } from '../../../lib/core/errors.ts';
import { errorText, loadClientNode, loadKubeConfig } from '../../../server/common/client-node.ts';

t.test('a kubeconfig that names no cluster is BERTH_ERR_CONFIG, named', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const k8s = await loadClientNode();
  t.throws(() => loadKubeConfig(k8s, path), {
    name: 'BerthError',
    code: 'BERTH_ERR_CONFIG',
    message: `invalid configuration: kubeconfig ${path} names no current cluster`,
  });
  try {
    loadKubeConfig(k8s, path);
  } catch (e) {
    t.equal(errorText(e), (e as BerthError).message, "berth's own errors are shown as their message");
  }
});
