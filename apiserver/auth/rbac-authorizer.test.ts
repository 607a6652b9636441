import { authorize, ruleAllows, subjectMatches } from './rbac-authorizer.js';
import type { BindingObject, PolicyRule, RbacPolicy, RoleObject, Subject } from './rbac-authorizer.js';
import type { Attributes, NonResourceAttributes, ResourceAttributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';

function res(
  verb: string,
  resource: string,
  opts: Partial<Omit<ResourceAttributes, 'kind' | 'verb' | 'resource'>> = {},
): ResourceAttributes {
  return {
    kind: 'resource',
    verb,
    apiGroup: '',
    apiVersion: 'v1',
    resource,
    subresource: '',
    namespace: '',
    name: '',
    ...opts,
  };
}

function url(verb: string, path: string): NonResourceAttributes {
  return { kind: 'non-resource', verb, path };
}

describe('ruleAllows', () => {
  const pods: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
  it.each<[string, PolicyRule, ResourceAttributes | NonResourceAttributes, boolean]>([
    ['a listed verb', pods, res('get', 'pods'), true],
    ['an unlisted verb', pods, res('delete', 'pods'), false],
    ['the * verb', { ...pods, verbs: ['*'] }, res('delete', 'pods'), true],
    ['another API group', pods, res('get', 'pods', { apiGroup: 'apps' }), false],
    ['the * API group', { ...pods, apiGroups: ['*'] }, res('get', 'pods', { apiGroup: 'apps' }), true],
    ['another resource', pods, res('get', 'secrets'), false],
    ['the * resource', { ...pods, resources: ['*'] }, res('get', 'secrets'), true],
    [
      '* also covers subresources',
      { ...pods, resources: ['*'] },
      res('get', 'pods', { subresource: 'log' }),
      true,
    ],
    ['a subresource of a listed resource', pods, res('get', 'pods', { subresource: 'log' }), false],
    [
      'a listed subresource',
      { ...pods, resources: ['pods/log'] },
      res('get', 'pods', { subresource: 'log' }),
      true,
    ],
    ['a listed subresource, not its parent', { ...pods, resources: ['pods/log'] }, res('get', 'pods'), false],
    [
      '*/subresource',
      { ...pods, resources: ['*/status'] },
      res('get', 'deployments', { subresource: 'status' }),
      true,
    ],
    ['*/subresource, not the parent', { ...pods, resources: ['*/status'] }, res('get', 'deployments'), false],
    [
      'a listed resource name',
      { ...pods, resourceNames: ['web'] },
      res('get', 'pods', { name: 'web' }),
      true,
    ],
    ['another resource name', { ...pods, resourceNames: ['web'] }, res('get', 'pods', { name: 'db' }), false],
    ['resource names and a nameless list', { ...pods, resourceNames: ['web'] }, res('list', 'pods'), false],
    ['a resource rule on a URL', pods, url('get', '/healthz'), false],
    ['an exact URL', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, url('get', '/healthz'), true],
    [
      'a URL below an exact one',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      url('get', '/healthz/etcd'),
      false,
    ],
    ['a URL prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis/apps/v1'), true],
    ['a URL outside the prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/api'), false],
    ['the * URL', { verbs: ['*'], nonResourceURLs: ['*'] }, url('post', '/anything'), true],
    ['a URL rule on a resource', { verbs: ['*'], nonResourceURLs: ['*'] }, res('get', 'pods'), false],
    [
      'a URL with another verb',
      { verbs: ['get'], nonResourceURLs: ['/version'] },
      url('post', '/version'),
      false,
    ],
  ])('%s → %p', (_name, rule, attrs, expected) => {
    expect(ruleAllows(rule, attrs)).toBe(expected);
  });
});

describe('subjectMatches', () => {
  const jane: UserInfo = { name: 'jane', groups: ['devs', 'system:authenticated'] };
  const sa: UserInfo = { name: 'system:serviceaccount:team:builder', groups: [] };
  it.each<[string, Subject, UserInfo, string, boolean]>([
    ['the user', { kind: 'User', name: 'jane' }, jane, '', true],
    ['another user', { kind: 'User', name: 'bob' }, jane, '', false],
    ['a group of the user', { kind: 'Group', name: 'devs' }, jane, '', true],
    ['a group the user is not in', { kind: 'Group', name: 'ops' }, jane, '', false],
    ['a group named like the user', { kind: 'Group', name: 'jane' }, jane, '', false],
    ['a service account', { kind: 'ServiceAccount', name: 'builder', namespace: 'team' }, sa, '', true],
    [
      'a service account in the binding namespace',
      { kind: 'ServiceAccount', name: 'builder' },
      sa,
      'team',
      true,
    ],
    [
      'a service account elsewhere',
      { kind: 'ServiceAccount', name: 'builder', namespace: 'x' },
      sa,
      'team',
      false,
    ],
    ['a service account without any namespace', { kind: 'ServiceAccount', name: 'builder' }, sa, '', false],
    ['an unknown kind', { kind: 'Robot', name: 'jane' }, jane, '', false],
  ])('%s → %p', (_name, subject, user, namespace, expected) => {
    expect(subjectMatches(subject, user, namespace)).toBe(expected);
  });
});

function policy(objects: {
  clusterRoles?: Record<string, PolicyRule[]>;
  roles?: Record<string, PolicyRule[]>;
  clusterRoleBindings?: BindingObject[];
  roleBindings?: BindingObject[];
}): RbacPolicy {
  const role = (name: string, namespace: string | undefined, rules: PolicyRule[]): RoleObject => ({
    metadata: { name, namespace },
    rules,
  });
  return {
    clusterRoleBindings: () => objects.clusterRoleBindings ?? [],
    roleBindings: (ns) => (objects.roleBindings ?? []).filter((b) => b.metadata.namespace === ns),
    clusterRole: (name) => {
      const rules = objects.clusterRoles?.[name];
      return rules ? role(name, undefined, rules) : undefined;
    },
    role: (ns, name) => {
      const rules = objects.roles?.[`${ns}/${name}`];
      return rules ? role(name, ns, rules) : undefined;
    },
  };
}

function binding(
  name: string,
  roleKind: string,
  roleName: string,
  subjects: Subject[],
  namespace?: string,
): BindingObject {
  return {
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
    subjects,
  };
}

const READ_PODS: PolicyRule[] = [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }];
const WRITE_PODS: PolicyRule[] = [{ verbs: ['create', 'delete'], apiGroups: [''], resources: ['pods'] }];
const jane: UserInfo = { name: 'jane', groups: ['devs', 'system:authenticated'] };

describe('authorize', () => {
  const cluster = policy({
    clusterRoles: {
      'pod-reader': READ_PODS,
      'pod-writer': WRITE_PODS,
      discovery: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] }],
    },
    roles: { 'team/writer': WRITE_PODS, 'other/writer': WRITE_PODS },
    clusterRoleBindings: [
      binding('readers', 'ClusterRole', 'pod-reader', [{ kind: 'Group', name: 'devs' }]),
      binding('discovery', 'ClusterRole', 'discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
    ],
    roleBindings: [
      binding('jane-writes', 'Role', 'writer', [{ kind: 'User', name: 'jane' }], 'team'),
      binding('jane-cluster-writes', 'ClusterRole', 'pod-writer', [{ kind: 'User', name: 'jane' }], 'dev'),
      binding('ghost', 'Role', 'missing', [{ kind: 'User', name: 'jane' }], 'ghosts'),
      binding('not-jane', 'Role', 'writer', [{ kind: 'User', name: 'bob' }], 'other'),
    ],
  });
  const as = (attrs: ResourceAttributes | NonResourceAttributes, user = jane): Attributes => ({
    ...attrs,
    user,
  });

  it.each<[string, Attributes, boolean]>([
    ['a ClusterRoleBinding to a group, in any namespace', as(res('list', 'pods', { namespace: 'x' })), true],
    ['a ClusterRoleBinding to a group, cluster-wide', as(res('list', 'pods')), true],
    ['a verb no binding grants', as(res('create', 'pods', { namespace: 'x' })), false],
    ['a Role bound in its namespace', as(res('create', 'pods', { namespace: 'team' })), true],
    ['a Role bound in one namespace, used in another', as(res('create', 'pods', { namespace: 'x' })), false],
    ['a Role bound in one namespace, used cluster-wide', as(res('create', 'pods')), false],
    [
      'a ClusterRole bound by a RoleBinding, in that namespace',
      as(res('delete', 'pods', { namespace: 'dev' })),
      true,
    ],
    [
      'a ClusterRole bound by a RoleBinding, elsewhere',
      as(res('delete', 'pods', { namespace: 'team2' })),
      false,
    ],
    ['a binding to somebody else', as(res('create', 'pods', { namespace: 'other' })), false],
    ['a non-resource URL through a ClusterRoleBinding', as(url('get', '/api/v1')), true],
    ['a non-resource URL nobody granted', as(url('get', '/metrics')), false],
    [
      'a user in no bound group',
      as(res('get', 'pods', { namespace: 'x' }), { name: 'bob', groups: [] }),
      false,
    ],
    [
      'system:masters, with no binding at all',
      as(res('delete', 'nodes'), { name: 'root', groups: ['system:masters'] }),
      true,
    ],
  ])('%s → %p', (_name, attrs, expected) => {
    expect(authorize(attrs, cluster).allowed).toBe(expected);
  });

  it.each<[string, Attributes, string]>([
    [
      'a ClusterRoleBinding',
      as(res('get', 'pods', { namespace: 'x' })),
      'RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "devs"',
    ],
    [
      'a RoleBinding',
      as(res('create', 'pods', { namespace: 'team' })),
      'RBAC: allowed by RoleBinding "jane-writes/team" of Role "writer" to User "jane"',
    ],
    ['system:masters', as(res('get', 'pods'), { name: 'root', groups: ['system:masters'] }), ''],
    ['a plain denial', as(res('create', 'pods', { namespace: 'x' })), ''],
    [
      'a denial where a binding names a missing role',
      as(res('create', 'pods', { namespace: 'ghosts' })),
      'RBAC: role.rbac.authorization.k8s.io "missing" not found',
    ],
  ])('gives upstream’s reason for %s', (_name, attrs, reason) => {
    expect(authorize(attrs, cluster).reason).toBe(reason);
  });

  it('aggregates several missing roles as Go does', () => {
    const broken = policy({
      clusterRoleBindings: [
        binding('a', 'ClusterRole', 'gone', [{ kind: 'User', name: 'jane' }]),
        binding('b', 'ClusterRole', 'lost', [{ kind: 'Group', name: 'devs' }]),
        binding('c', 'ClusterRole', 'ignored', [{ kind: 'User', name: 'bob' }]),
      ],
    });
    expect(authorize(as(res('get', 'pods')), broken)).toEqual({
      allowed: false,
      reason:
        'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, clusterrole.rbac.authorization.k8s.io "lost" not found]',
    });
  });
});
