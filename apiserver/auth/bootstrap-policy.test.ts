import { DEFAULT_CLUSTER_ROLE_BINDINGS, DEFAULT_CLUSTER_ROLES } from './bootstrap-policy.js';
import type { BindingObject, RbacPolicy, RoleObject } from './rbac-authorizer.js';
import { authorize } from './rbac-authorizer.js';

const policy: RbacPolicy = {
  clusterRoleBindings: () => DEFAULT_CLUSTER_ROLE_BINDINGS as unknown as BindingObject[],
  roleBindings: () => [],
  clusterRole: (name) =>
    (DEFAULT_CLUSTER_ROLES as unknown as RoleObject[]).find((role) => role.metadata.name === name),
  role: () => undefined,
};

const CM = 'system:kube-controller-manager';
const SCHED = 'system:kube-scheduler';
const PROXY = 'system:kube-proxy';
const DNS = 'system:kubicle-dns';

/** [user, verb, "group/resource[/subresource]", namespace, name, allowed] */
type Case = [string, string, string, string, string, boolean];

function may([user, verb, what, namespace, name]: Case): boolean {
  const [apiGroup, resource, subresource = ''] = what.split('/');
  return authorize(
    {
      kind: 'resource',
      verb,
      apiGroup,
      apiVersion: 'v1',
      resource,
      subresource,
      namespace,
      name,
      user: { name: user, groups: ['system:authenticated'] },
    },
    policy,
  ).allowed;
}

describe('the components’ bootstrap roles', () => {
  it.each<Case>([
    // controller manager: informers, the garbage collector, namespace deletion, each controller's writes
    [CM, 'list', '/pods', '', '', true],
    [CM, 'watch', 'apps/deployments', '', '', true],
    [CM, 'list', '/secrets', 'team', '', true],
    [CM, 'delete', '/configmaps', 'team', 'x', true],
    [CM, 'patch', 'apps/replicasets', 'team', 'x', true],
    [CM, 'create', '/pods', 'team', '', true],
    [CM, 'create', 'apps/replicasets', 'team', '', true],
    [CM, 'update', 'apps/deployments/status', 'team', 'd', true],
    [CM, 'create', '/endpoints', 'team', '', true],
    [CM, 'update', '/nodes/status', '', 'n1', true],
    [CM, 'patch', '/pods/status', 'team', 'p', true],
    [CM, 'update', '/namespaces/finalize', 'team', 'team', true],
    [CM, 'create', '/events', 'team', '', true],
    [CM, 'get', 'coordination.k8s.io/leases', 'kube-system', 'kube-controller-manager', true],
    [CM, 'create', 'coordination.k8s.io/leases', 'kube-system', '', true],
    [CM, 'create', '/secrets', 'team', '', false],
    [CM, 'create', 'rbac.authorization.k8s.io/clusterrolebindings', '', '', false],
    [CM, 'deletecollection', '/pods', 'team', '', false],
    [CM, 'create', '/pods/exec', 'team', 'p', false],
    // scheduler
    [SCHED, 'list', '/nodes', '', '', true],
    [SCHED, 'watch', '/pods', '', '', true],
    [SCHED, 'watch', '/namespaces', '', '', true],
    [SCHED, 'create', '/pods/binding', 'team', 'p', true],
    [SCHED, 'patch', '/pods/status', 'team', 'p', true],
    [SCHED, 'create', '/events', 'team', '', true],
    [SCHED, 'patch', '/events', 'team', 'e', true],
    [SCHED, 'create', 'coordination.k8s.io/leases', 'kube-system', '', true],
    [SCHED, 'update', 'coordination.k8s.io/leases', 'kube-system', 'kube-scheduler', true],
    [SCHED, 'update', 'coordination.k8s.io/leases', 'kube-system', 'kube-controller-manager', false],
    [SCHED, 'create', '/secrets', 'team', '', false],
    [SCHED, 'get', '/secrets', 'team', 's', false],
    [SCHED, 'update', '/pods', 'team', 'p', false],
    [SCHED, 'delete', '/pods', 'team', 'p', false],
    // proxy
    [PROXY, 'list', '/services', '', '', true],
    [PROXY, 'watch', '/endpoints', '', '', true],
    [PROXY, 'watch', '/nodes', '', '', true],
    [PROXY, 'update', '/services/status', 'team', 'lb', true],
    [PROXY, 'delete', '/pods', 'team', 'p', false],
    [PROXY, 'update', '/services', 'team', 'lb', false],
    [PROXY, 'list', '/secrets', '', '', false],
    // DNS
    [DNS, 'list', '/services', '', '', true],
    [DNS, 'watch', '/endpoints', '', '', true],
    [DNS, 'get', '/services', 'kube-system', 'kube-dns', true],
    [DNS, 'create', '/services', 'kube-system', '', true],
    [DNS, 'update', '/endpoints', 'kube-system', 'kube-dns', true],
    [DNS, 'delete', '/services', 'kube-system', 'kube-dns', true],
    [DNS, 'update', '/services', 'default', 'kubernetes', false],
    [DNS, 'delete', '/services', 'default', 'web', false],
    [DNS, 'list', '/pods', '', '', false],
    [DNS, 'get', '/secrets', 'kube-system', 's', false],
  ])('%s %s %s in %j named %j: %s', (...c) => {
    expect(may(c)).toBe(c[5]);
  });
});
