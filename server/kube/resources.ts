/**
 * The four collections the extender watches, with their LIST calls. Cluster-wide LIST and WATCH are all the
 * extender's RBAC allows (manifests/rbac/extender.yaml). PersistentVolumes are not watched: a claim's own
 * spec.volumeName says it is bound, and bound local volumes already pin pods through VolumeBinding.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { NODE_REPORT_GROUP, NODE_REPORT_PLURAL, NODE_REPORT_VERSION } from '../../lib/core/node-report-resource.ts';
import type { K8s, KubeConfig } from '../common/client-node.ts';

export type ResourceName = 'nodereports' | 'pods' | 'persistentvolumeclaims' | 'storageclasses';

export interface ResourceDef {
  readonly resource: ResourceName;
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<KubernetesObject>>;
}

export function resourceDefs(k8s: K8s, kc: KubeConfig): readonly ResourceDef[] {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return [
    // StorageClasses first: claims are judged by their class, so the classes should be known when claims arrive.
    {
      resource: 'storageclasses',
      path: '/apis/storage.k8s.io/v1/storageclasses',
      list: () => storage.listStorageClass(),
    },
    {
      resource: 'persistentvolumeclaims',
      path: '/api/v1/persistentvolumeclaims',
      list: () => core.listPersistentVolumeClaimForAllNamespaces(),
    },
    { resource: 'pods', path: '/api/v1/pods', list: () => core.listPodForAllNamespaces() },
    {
      resource: 'nodereports',
      path: `/apis/${NODE_REPORT_GROUP}/${NODE_REPORT_VERSION}/${NODE_REPORT_PLURAL}`,
      list: async () =>
        (await custom.listClusterCustomObject({
          group: NODE_REPORT_GROUP,
          version: NODE_REPORT_VERSION,
          plural: NODE_REPORT_PLURAL,
        })) as KubernetesListObject<KubernetesObject>,
    },
  ];
}
