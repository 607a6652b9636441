import type { KubeObject } from '../api-object.js';
import { ApiError } from '../api-error.js';
import type { BindingObject, PolicyRule, RbacPolicy, RoleObject } from '../auth/rbac-authorizer.js';
import type { UserInfo } from '../auth/user-info.js';
import { admitRbacWrite, guardsEscalation } from './rbac-escalation.js';
import type { RbacWrite } from './rbac-escalation.js';

const RBAC = 'rbac.authorization.k8s.io';
const ALL_RULES: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];
const NS_ADMIN_RULES: PolicyRule[] = [
  {
    verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
    apiGroups: [RBAC],
    resources: ['roles', 'rolebindings'],
  },
  { verbs: ['get', 'list', 'watch', 'create', 'delete'], apiGroups: [''], resources: ['pods', 'configmaps'] },
];

const clusterRoles: Record<string, RoleObject> = {
  'cluster-admin': { metadata: { name: 'cluster-admin' }, rules: ALL_RULES },
  'ns-admin': { metadata: { name: 'ns-admin' }, rules: NS_ADMIN_RULES },
  view: {
    metadata: { name: 'view' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
  },
  binder: {
    metadata: { name: 'binder' },
    rules: [
      { verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['cluster-admin'] },
    ],
  },
  escalator: {
    metadata: { name: 'escalator' },
    rules: [{ verbs: ['escalate'], apiGroups: [RBAC], resources: ['roles'] }],
  },
};

const binding = (name: string, namespace: string, user: string, role: string): BindingObject => ({
  metadata: { name, namespace },
  subjects: [{ kind: 'User', name: user }],
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
});

const roleBindings: Record<string, BindingObject[]> = {
  a: [
    binding('admin', 'a', 'alice', 'ns-admin'),
    binding('bind', 'a', 'binder', 'ns-admin'),
    binding('bind2', 'a', 'binder', 'binder'),
    binding('esc', 'a', 'esc', 'escalator'),
  ],
};

const policy: RbacPolicy = {
  clusterRoleBindings: () => [],
  roleBindings: (ns) => roleBindings[ns] ?? [],
  clusterRole: (name) => clusterRoles[name],
  role: (ns, name) =>
    ns === 'a' && name === 'pods-reader'
      ? {
          metadata: { name, namespace: ns },
          rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
        }
      : undefined,
};

const user = (name: string, groups: string[] = []): UserInfo => ({ name, groups });

function roleBindingWrite(who: UserInfo, kind: string, roleName: string, namespace = 'a'): RbacWrite {
  return {
    resource: 'rolebindings',
    namespace,
    requestName: '',
    user: who,
    object: {
      metadata: { name: 'rb' },
      roleRef: { apiGroup: RBAC, kind, name: roleName },
      subjects: [{ kind: 'User', name: who.name }],
    } as KubeObject,
  };
}

function roleWrite(who: UserInfo, rules: PolicyRule[], namespace = 'a'): RbacWrite {
  return {
    resource: 'roles',
    namespace,
    requestName: '',
    user: who,
    object: { metadata: { name: 'r' }, rules } as KubeObject,
  };
}

function refusal(fn: () => void): ApiError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
}

describe('guardsEscalation', () => {
  it.each([
    [RBAC, 'roles', true],
    [RBAC, 'clusterrolebindings', true],
    ['', 'pods', false],
    ['other.io', 'roles', false],
  ])('%s %s → %s', (group, plural, guarded) => {
    expect(guardsEscalation(group, plural)).toBe(guarded);
  });
});

describe('admitRbacWrite', () => {
  it.each<[string, RbacWrite, number | undefined]>([
    [
      'system:masters binds anything',
      roleBindingWrite(user('root', ['system:masters']), 'ClusterRole', 'cluster-admin'),
      undefined,
    ],
    ['a namespace admin binds view', roleBindingWrite(user('alice'), 'ClusterRole', 'view'), undefined],
    [
      'a namespace admin binds a Role they hold',
      roleBindingWrite(user('alice'), 'Role', 'pods-reader'),
      undefined,
    ],
    [
      'a namespace admin cannot bind cluster-admin',
      roleBindingWrite(user('alice'), 'ClusterRole', 'cluster-admin'),
      403,
    ],
    [
      'a namespace admin cannot bind view elsewhere',
      roleBindingWrite(user('alice'), 'ClusterRole', 'view', 'b'),
      403,
    ],
    [
      'bind on the role by name allows it',
      roleBindingWrite(user('binder'), 'ClusterRole', 'cluster-admin'),
      undefined,
    ],
    [
      'bind by name covers only that role',
      roleBindingWrite(user('binder'), 'ClusterRole', 'binder-less'),
      404,
    ],
    ['a missing role is a 404', roleBindingWrite(user('alice'), 'Role', 'nope'), 404],
    ['a malformed roleRef is left to validation', roleBindingWrite(user('nobody'), 'Thing', 'x'), undefined],
    [
      'a Role within held rules',
      roleWrite(user('alice'), [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
      undefined,
    ],
    ['a Role with * on *', roleWrite(user('alice'), ALL_RULES.slice(0, 1)), 403],
    [
      'a Role with a verb not held',
      roleWrite(user('alice'), [{ verbs: ['update'], apiGroups: [''], resources: ['pods'] }]),
      403,
    ],
    [
      'a Role outside the bound namespace',
      roleWrite(user('alice'), [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], 'b'),
      403,
    ],
    ['escalate allows any Role', roleWrite(user('esc'), ALL_RULES), undefined],
  ])('%s', (_case, write, code) => {
    expect(refusal(() => admitRbacWrite(write, policy))?.code).toBe(code);
  });

  it('words the refusal as upstream', () => {
    const err = refusal(() =>
      admitRbacWrite(
        roleBindingWrite(user('alice', ['system:authenticated']), 'ClusterRole', 'cluster-admin'),
        policy,
      ),
    );
    expect(err?.toStatus()).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      message:
        'rolebindings.rbac.authorization.k8s.io "rb" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n' +
        '{NonResourceURLs:["*"], Verbs:["*"]}',
      details: { name: 'rb', group: RBAC, kind: 'rolebindings' },
    });
  });

  it('checks ClusterRoles against cluster-wide rules only', () => {
    const write: RbacWrite = {
      resource: 'clusterroles',
      namespace: '',
      requestName: '',
      user: user('alice'),
      object: {
        metadata: { name: 'cr' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      } as KubeObject,
    };
    expect(refusal(() => admitRbacWrite(write, policy))?.code).toBe(403);
  });

  it('requires every permission for an aggregationRule', () => {
    const write: RbacWrite = {
      resource: 'clusterroles',
      namespace: '',
      requestName: '',
      user: user('alice'),
      object: { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } } as KubeObject,
    };
    expect(refusal(() => admitRbacWrite(write, policy))?.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
  });
});
