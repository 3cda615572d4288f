/**
 * The one door to @kubernetes/client-node. It costs ~400 ms to import, so it is loaded only when
 * --kube is on: standalone mode never pays for it. Everything in server/kube takes the loaded module as a value.
 */
import type * as ClientNode from '@kubernetes/client-node';
import { BerthError, isBerthError } from '../../lib/core/errors.ts';

export type K8s = typeof ClientNode;
export type KubeConfig = ClientNode.KubeConfig;

export async function loadClientNode(): Promise<K8s> {
  return import('@kubernetes/client-node');
}

/** --kubeconfig when given; otherwise $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
export function loadKubeConfig(k8s: K8s, path: string | null): KubeConfig {
  const kc = new k8s.KubeConfig();
  if (path === null) kc.loadFromDefault();
  else kc.loadFromFile(path);
  if (kc.getCurrentCluster() === null)
    throw new BerthError(
      'BERTH_ERR_CONFIG',
      path === null
        ? 'no Kubernetes cluster configured (no kubeconfig and not in a cluster)'
        : `kubeconfig ${path} names no current cluster`,
    );
  return kc;
}

export function errorText(err: unknown): string {
  if (isBerthError(err)) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' || typeof code === 'string'
      ? `${err.name} ${String(code)}: ${err.message.split('\n')[0] ?? ''}`
      : `${err.name}: ${err.message.split('\n')[0] ?? ''}`;
  }
  return String(err);
}
