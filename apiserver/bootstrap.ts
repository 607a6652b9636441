/**
 * What a fresh cluster holds before anyone asks: the four system namespaces and the `kubernetes`
 * Service with the first service IP, as upstream's bootstrap controller creates them, and the default
 * RBAC roles and bindings (auth/bootstrap-policy.ts) that are missing. Idempotent: a restart on the
 * same data finds them and changes nothing, not even roles an administrator edited.
 */
import { ApiError } from './api-error.js';
import { DEFAULT_CLUSTER_ROLE_BINDINGS, DEFAULT_CLUSTER_ROLES } from './auth/bootstrap-policy.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { ResourceStore } from './rest/resource-store.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}

export async function bootstrapCluster(
  store: ResourceStore,
  registry: ResourceRegistry,
  kubernetesService: { clusterIp: string; port: number },
): Promise<void> {
  const namespaces = registry.lookup('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(() => store.create({ resource: namespaces }, { metadata: { name } }));
  }
  const services = registry.lookup('', 'v1', 'services')!;
  await ensure(() =>
    store.create(
      { resource: services, namespace: 'default' },
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: kubernetesService.clusterIp,
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: kubernetesService.port }],
        },
      },
    ),
  );
  const clusterRoles = registry.lookup('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  for (const role of DEFAULT_CLUSTER_ROLES) {
    await ensure(() => store.create({ resource: clusterRoles }, structuredClone(role)));
  }
  const clusterRoleBindings = registry.lookup('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  for (const binding of DEFAULT_CLUSTER_ROLE_BINDINGS) {
    await ensure(() => store.create({ resource: clusterRoleBindings }, structuredClone(binding)));
  }
}
