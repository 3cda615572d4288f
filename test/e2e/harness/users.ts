import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';

/** A static-token identity (--token-auth-file). Groups decide what RBAC lets it do. */
export interface TokenUser {
  name: string;
  groups: string[];
  token: string;
}

export interface TokenUserSpec {
  name: string;
  /** Defaults to none: the user then only has what RBAC bindings grant it by name. */
  groups?: string[];
}

/*
 * The components authenticate as the users kubeadm gives them, so the bootstrap RBAC roles
 * (system:kube-scheduler, system:kube-controller-manager) apply exactly as in a real cluster.
 */
export const adminUserName = 'berth-e2e-admin';
export const schedulerUserName = 'system:kube-scheduler';
export const controllerManagerUserName = 'system:kube-controller-manager';

export function makeTokenUsers(extra: readonly TokenUserSpec[]): Map<string, TokenUser> {
  const specs: TokenUserSpec[] = [
    { name: adminUserName, groups: ['system:masters'] },
    { name: schedulerUserName },
    { name: controllerManagerUserName },
    ...extra,
  ];
  const users = new Map<string, TokenUser>();
  for (const spec of specs) {
    if (users.has(spec.name)) throw new Error(`token user ${spec.name} is defined twice`);
    if (/[",\n]/.test(spec.name) || (spec.groups ?? []).some((group) => /[",\n]/.test(group))) {
      throw new Error(`token user ${spec.name}: names and groups must not contain commas, quotes or newlines`);
    }
    users.set(spec.name, { name: spec.name, groups: spec.groups ?? [], token: randomBytes(24).toString('hex') });
  }
  return users;
}

/** The --token-auth-file format: token,user,uid,"group1,group2". */
export function tokenAuthFile(users: Iterable<TokenUser>): string {
  const lines: string[] = [];
  for (const user of users) {
    lines.push(`${user.token},${user.name},${user.name},"${user.groups.join(',')}"`);
  }
  return lines.join('\n') + '\n';
}

export interface ClusterEndpoint {
  server: string;
  caPem: string;
}

const clusterName = 'berth-e2e';

/** kubeconfig file contents for a component process; JSON is valid kubeconfig YAML. */
export function kubeconfigFile(endpoint: ClusterEndpoint, user: TokenUser): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: clusterName,
          cluster: {
            server: endpoint.server,
            'certificate-authority-data': Buffer.from(endpoint.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: user.name, user: { token: user.token } }],
      contexts: [{ name: clusterName, context: { cluster: clusterName, user: user.name } }],
      'current-context': clusterName,
    },
    null,
    2,
  );
}

/** A client-node KubeConfig acting as `user`, verifying the apiserver against the test CA. */
export function clientKubeConfig(endpoint: ClusterEndpoint, user: TokenUser): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: clusterName,
        server: endpoint.server,
        caData: Buffer.from(endpoint.caPem).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: user.name, token: user.token }],
    contexts: [{ name: clusterName, cluster: clusterName, user: user.name }],
    currentContext: clusterName,
  });
  return kc;
}
