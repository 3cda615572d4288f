/**
 * What `berth explain pod` reads, once, with the user's kubeconfig: the pod, the Nodes, the NodeReports, the
 * claims and StorageClasses, the pods of the pod's namespace (its peers), and the extender Deployment's flags. Lists
 * are paged (500 at a time) so a large cluster never arrives in one response. Only the pod is required: anything
 * else that cannot be read (RBAC, a missing CRD) becomes a warning saying what the answer lacks because of it.
 * Needs only the read rights of manifests/rbac/explain.yaml.
 */
import { BerthError } from '../../lib/core/errors.ts';
import { NODE_REPORT_GROUP, NODE_REPORT_PLURAL, NODE_REPORT_VERSION } from '../../lib/core/node-report-resource.ts';
import { errorText, type K8s, type KubeConfig } from '../common/client-node.ts';
import { withTimeout } from '../common/with-timeout.ts';
import type { ClusterSnapshot } from './engine.ts';

const PAGE = 500;
const CALL_TIMEOUT_MS = 30_000;

export interface Read {
  readonly snapshot: ClusterSnapshot;
  /** The extender's container args (without the leading "extender"), or null with the reason in warnings. */
  readonly extenderArgs: readonly string[] | null;
  readonly warnings: readonly string[];
}

interface Page<T> {
  readonly items: readonly T[];
  readonly metadata?: { readonly _continue?: string; readonly continue?: string };
}

/** Every page of a list, each item reduced by `keep` as its page arrives (a Node list keeps only names). */
async function listAll<T, K = T>(
  what: string,
  page: (cont: string | undefined) => Promise<Page<T>>,
  keep: (item: T) => K = (item) => item as unknown as K,
): Promise<K[]> {
  const out: K[] = [];
  let cont: string | undefined;
  do {
    const res = await withTimeout(page(cont), CALL_TIMEOUT_MS, `listing ${what}`);
    for (const item of res.items) out.push(keep(item));
    cont = res.metadata?._continue ?? res.metadata?.continue;
  } while (cont !== undefined && cont !== '');
  return out;
}

function nameOf(o: unknown): string {
  return (o as { metadata?: { name?: string } }).metadata?.name ?? '';
}

function status(err: unknown): number | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

function why(err: unknown): string {
  const code = status(err);
  if (code === 403) return 'forbidden (see manifests/rbac/explain.yaml for the read rights berth explain needs)';
  if (code === 404) return 'not found';
  // fetch's own error says only "fetch failed"; the reason (refused, DNS, TLS) is its cause.
  const cause = (err as { cause?: { message?: unknown } } | null)?.cause?.message;
  if (typeof cause === 'string') return `cannot reach the API server (${cause})`;
  return errorText(err);
}

function podNames(pod: unknown): string[] {
  const volumes = (pod as { spec?: { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } }).spec?.volumes;
  return (volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : [],
  );
}

export interface ReadOptions {
  readonly namespace: string;
  readonly name: string;
  /** namespace/name of the extender Deployment, or null to not read one. */
  readonly extender: { readonly namespace: string; readonly name: string } | null;
}

export async function readCluster(k8s: K8s, kc: KubeConfig, o: ReadOptions): Promise<Read> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const warnings: string[] = [];
  let pod: Record<string, unknown>;
  try {
    pod = (await withTimeout(
      core.readNamespacedPod({ namespace: o.namespace, name: o.name }),
      CALL_TIMEOUT_MS,
      'reading the pod',
    )) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new BerthError('BERTH_ERR_API', `cannot read pod ${o.namespace}/${o.name}: ${why(err)}`);
  }
  const optional = async <T>(what: string, consequence: string, read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      warnings.push(`cannot list ${what}: ${why(err)}; ${consequence}`);
      return fallback;
    }
  };
  const reports = await optional(
    'NodeReports',
    'every node counts as having no report',
    () =>
      listAll<unknown>('NodeReports', async (cont) => {
        const res = (await custom.listClusterCustomObject({
          group: NODE_REPORT_GROUP,
          version: NODE_REPORT_VERSION,
          plural: NODE_REPORT_PLURAL,
          limit: PAGE,
          ...(cont ? { _continue: cont } : {}),
        })) as Page<unknown>;
        return res;
      }),
    [],
  );
  const nodeObjects = await optional(
    'Nodes',
    'only nodes with a NodeReport are judged',
    () => listAll('Nodes', (cont) => core.listNode({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }), nameOf),
    null,
  );
  const nodeNames = nodeObjects ?? reports.map(nameOf);
  const claims = await optional(
    'PersistentVolumeClaims in all namespaces',
    "NVMe held for claims being provisioned elsewhere is not counted, and only the pod's own claims are read",
    () =>
      listAll('claims', (cont) =>
        core.listPersistentVolumeClaimForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
      ),
    null,
  );
  const ownClaims: unknown[] = claims ?? [];
  if (claims === null)
    for (const name of podNames(pod)) {
      try {
        ownClaims.push(await core.readNamespacedPersistentVolumeClaim({ namespace: o.namespace, name }));
      } catch (err) {
        warnings.push(`cannot read claim ${o.namespace}/${name}: ${why(err)}; its NVMe is not counted`);
      }
    }
  const classes = await optional(
    'StorageClasses',
    'claims match local NVMe by class name only (not by provisioner)',
    () =>
      listAll('StorageClasses', (cont) =>
        storage.listStorageClass({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
      ),
    [],
  );
  const pods = await optional(
    `pods in namespace ${o.namespace}`,
    'no peer is known, so the latency term is left out',
    () =>
      listAll('pods', (cont) =>
        core.listNamespacedPod({ namespace: o.namespace, limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
      ),
    [],
  );
  let extenderArgs: string[] | null = null;
  if (o.extender !== null) {
    const ref = `${o.extender.namespace}/${o.extender.name}`;
    try {
      const d = await withTimeout(apps.readNamespacedDeployment(o.extender), CALL_TIMEOUT_MS, 'reading the extender');
      const c = d.spec?.template.spec?.containers.find((x) => x.args?.[0] === 'extender');
      if (c?.args === undefined)
        warnings.push(`Deployment ${ref} runs no "berth extender" container; berth's defaults are used`);
      else extenderArgs = c.args.slice(1);
    } catch (err) {
      warnings.push(`cannot read Deployment ${ref}: ${why(err)}; berth's defaults and the flags given here are used`);
    }
  }
  return {
    snapshot: {
      pod,
      nodes: [...new Set(nodeNames)].filter((n) => n !== '').sort(),
      reports,
      claims: ownClaims,
      classes,
      pods,
    },
    extenderArgs,
    warnings,
  };
}
