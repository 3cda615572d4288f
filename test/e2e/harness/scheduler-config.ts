import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';

/** A KubeSchedulerConfiguration as YAML text, or the path of a file holding one. */
export type SchedulerConfigInput = string | { path: string };

/** The real scheduler with its default plugins and no extender. */
export const defaultSchedulerConfig = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns the configuration the harness actually starts kube-scheduler with: the test's own,
 * pointed at the harness-written kubeconfig (the harness owns the connection; a test cannot
 * know the port or token in advance) and, unless the test says otherwise, without leader
 * election, so that a restarted scheduler schedules at once instead of waiting up to 15 s
 * for the previous instance's lease to expire.
 */
export async function resolveSchedulerConfig(input: SchedulerConfigInput, kubeconfigPath: string): Promise<string> {
  const text = typeof input === 'string' ? input : await readFile(input.path, 'utf8');
  const where = typeof input === 'string' ? 'the scheduler configuration' : input.path;
  const config: unknown = parse(text);
  if (!isRecord(config) || config['kind'] !== 'KubeSchedulerConfiguration') {
    throw new Error(`${where} is not a KubeSchedulerConfiguration document`);
  }
  const clientConnection = isRecord(config['clientConnection']) ? config['clientConnection'] : {};
  config['clientConnection'] = { ...clientConnection, kubeconfig: kubeconfigPath };
  const leaderElection = isRecord(config['leaderElection']) ? config['leaderElection'] : {};
  if (leaderElection['leaderElect'] === undefined) {
    config['leaderElection'] = { ...leaderElection, leaderElect: false };
  }
  return stringify(config);
}
