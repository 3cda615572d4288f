/**
 * The real Helm, built from its Go module by scripts/build-helm.sh (test/e2e/helm pins the version), run against
 * charts/berth. Without the binary the chart tests skip with one line saying how to build it, except under
 * BERTH_E2E_REQUIRED=1 (CI), where a missing Helm is a failure.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { isRecord, REPO, type KubeObject } from './render.ts';

const run = promisify(execFile);
export const CHART = join(REPO, 'charts', 'berth');

function helmVersion(): string {
  const goMod = readFileSync(join(REPO, 'test', 'e2e', 'helm', 'go.mod'), 'utf8');
  const m = /^require helm\.sh\/helm\/v4 (v\S+)$/m.exec(goMod);
  if (!m?.[1]) throw new Error('test/e2e/helm/go.mod does not require helm.sh/helm/v4');
  return m[1];
}

export type HelmGate = { skip: false; helm: string } | { skip: string };

export function helmGate(t: { fail(message: string): unknown }): HelmGate {
  // An empty variable counts as unset, as in scripts/build-helm.sh.
  const set = [process.env['BERTH_HELM_CACHE_DIR'], process.env['BERTH_E2E_CACHE_DIR']].find(
    (v) => v !== undefined && v !== '',
  );
  const cache = set ?? join(REPO, 'test/e2e/.cache');
  const helm = join(cache, `helm-${helmVersion()}`, 'bin', 'helm');
  try {
    accessSync(helm, constants.X_OK);
    return { skip: false, helm };
  } catch {
    const why = `no Helm at ${helm}: run bash scripts/build-helm.sh`;
    if (process.env['BERTH_E2E_REQUIRED'] === '1') {
      t.fail(`Helm is required (BERTH_E2E_REQUIRED=1) but missing: ${why}`);
      return { skip: 'Helm missing, reported as a failure above' };
    }
    return { skip: `chart tests skipped: ${why}` };
  }
}

export interface HelmRun {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm; its INFO lines about the files/manifests link are dropped from stderr. */
export async function helm(bin: string, args: readonly string[]): Promise<HelmRun> {
  const { stdout, stderr } = await run(bin, [...args], {
    maxBuffer: 32 * 2 ** 20,
    env: { ...process.env, HELM_DEBUG: '' },
  });
  return {
    stdout,
    stderr: stderr
      .split('\n')
      .filter((l) => l !== '' && !l.includes('found symbolic link'))
      .join('\n'),
  };
}

/** `helm template berth charts/berth` with `values` (a values file written for the call), as objects. */
export async function renderChart(
  bin: string,
  dir: string,
  values: Record<string, unknown> = {},
  extraArgs: readonly string[] = [],
): Promise<KubeObject[]> {
  const file = join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(values));
  const { stdout } = await helm(bin, ['template', 'berth', CHART, '--values', file, ...extraArgs]);
  return parseAllDocuments(stdout)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`helm template output: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as unknown;
    })
    .filter((o): o is KubeObject => isRecord(o));
}
