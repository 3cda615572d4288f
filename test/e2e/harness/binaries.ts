import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const controlPlaneCommands = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'] as const;
export type ControlPlaneCommand = (typeof controlPlaneCommands)[number];

export type BinariesCheck = { ok: true; dir: string } | { ok: false; why: string };

const e2eDir = fileURLToPath(new URL('..', import.meta.url));

/** The k8s.io/kubernetes version pinned in test/e2e/k8s/go.mod; the cache is keyed by it. */
export function kubernetesVersion(): string {
  const goMod = readFileSync(join(e2eDir, 'k8s', 'go.mod'), 'utf8');
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod);
  if (match?.[1] === undefined) {
    throw new Error('test/e2e/k8s/go.mod does not require k8s.io/kubernetes');
  }
  return match[1];
}

/** Where scripts/build-control-plane.sh puts the binaries (same BERTH_E2E_CACHE_DIR override). */
export function cachedBinDir(): string {
  // Empty counts as unset, as in the build script's ${BERTH_E2E_CACHE_DIR:-…}.
  const override = process.env['BERTH_E2E_CACHE_DIR'] ?? '';
  const cacheRoot = override === '' ? join(e2eDir, '.cache') : override;
  return join(cacheRoot, kubernetesVersion(), 'bin');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the control-plane binaries: BERTH_E2E_BIN_DIR when set, else the build cache. */
export function binariesAvailable(): BinariesCheck {
  const fromEnv = process.env['BERTH_E2E_BIN_DIR'];
  const dir = fromEnv !== undefined && fromEnv !== '' ? fromEnv : cachedBinDir();
  const missing = controlPlaneCommands.filter((command) => !isExecutable(join(dir, command)));
  if (missing.length === 0) return { ok: true, dir };
  const source = fromEnv !== undefined && fromEnv !== '' ? `BERTH_E2E_BIN_DIR=${dir}` : dir;
  return {
    ok: false,
    why: `no executable ${missing.join(', ')} in ${source}; run scripts/build-control-plane.sh (or point BERTH_E2E_BIN_DIR at a directory holding them)`,
  };
}
