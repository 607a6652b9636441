import { RESOURCES } from '../resource-registry.js';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validation.js';

const rbac = (kind: string) =>
  RESOURCES.find((r) => r.group === 'rbac.authorization.k8s.io' && r.kind === kind)!;

function causesOf(kind: string, body: Record<string, unknown>, old?: Record<string, unknown>) {
  const resource = rbac(kind);
  const namespace = resource.namespaced ? { namespace: 'default' } : {};
  const obj = applyDefaults(resource, { metadata: { name: 'x', ...namespace }, ...body });
  const previous = old
    ? applyDefaults(resource, { metadata: { name: 'x', ...namespace }, ...old })
    : undefined;
  return validateObject(resource, obj, previous).map((c) => `${c.field}: ${c.message}`);
}

const ref = (kind: string, name = 'view') => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });

describe('Role and ClusterRole validation', () => {
  it.each<[string, string, Record<string, unknown>, string[]]>([
    ['a valid Role', 'Role', { rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }, []],
    ['a Role without rules', 'Role', {}, []],
    [
      'a rule without verbs, groups or resources',
      'Role',
      { rules: [{}] },
      [
        'rules[0].verbs: Required value: verbs must contain at least one value',
        'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
        'rules[0].resources: Required value: resource rules must supply at least one resource',
      ],
    ],
    [
      'non-resource URLs in a Role',
      'Role',
      { rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
      [
        'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
      ],
    ],
    [
      'non-resource URLs in a ClusterRole',
      'ClusterRole',
      { rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
      [],
    ],
    [
      'a rule with both resources and URLs',
      'ClusterRole',
      { rules: [{ verbs: ['get'], resources: ['pods'], nonResourceURLs: ['/x'] }] },
      [
        'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
      ],
    ],
  ])('%s', (_name, kind, body, expected) => {
    expect(causesOf(kind, body)).toEqual(expected);
  });
});

describe('RoleBinding and ClusterRoleBinding validation', () => {
  it.each<[string, string, Record<string, unknown>, string[]]>([
    [
      'a valid RoleBinding',
      'RoleBinding',
      { roleRef: ref('Role'), subjects: [{ kind: 'User', name: 'jane' }] },
      [],
    ],
    [
      'a RoleBinding without roleRef',
      'RoleBinding',
      {},
      [
        'roleRef.apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
        'roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"',
        'roleRef.name: Required value',
      ],
    ],
    [
      'a ClusterRoleBinding to a Role',
      'ClusterRoleBinding',
      { roleRef: ref('Role') },
      ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'],
    ],
    [
      'subjects of every kind, some broken',
      'ClusterRoleBinding',
      {
        roleRef: ref('ClusterRole'),
        subjects: [
          { kind: 'Group', name: 'devs' },
          { kind: 'ServiceAccount', name: 'builder' },
          { kind: 'ServiceAccount', name: 'Bad_Name', namespace: 'a', apiGroup: 'x' },
          { kind: 'User', name: 'jane', apiGroup: 'other' },
          { kind: 'Robot' },
        ],
      },
      [
        'subjects[1].namespace: Required value',
        "subjects[2].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'subjects[2].apiGroup: Unsupported value: "x": supported values: ""',
        'subjects[3].apiGroup: Unsupported value: "other": supported values: "rbac.authorization.k8s.io"',
        'subjects[4].name: Required value',
        'subjects[4].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      ],
    ],
    [
      'a service account of the binding namespace',
      'RoleBinding',
      { roleRef: ref('ClusterRole'), subjects: [{ kind: 'ServiceAccount', name: 'builder' }] },
      [],
    ],
  ])('%s', (_name, kind, body, expected) => {
    expect(causesOf(kind, body)).toEqual(expected);
  });

  it('defaults the apiGroup of User and Group subjects only', () => {
    const obj = applyDefaults(rbac('RoleBinding'), {
      metadata: { name: 'x' },
      subjects: [
        { kind: 'User', name: 'a' },
        { kind: 'Group', name: 'b' },
        { kind: 'ServiceAccount', name: 'c' },
      ],
    });
    expect((obj.subjects as { apiGroup?: string }[]).map((s) => s.apiGroup)).toEqual([
      'rbac.authorization.k8s.io',
      'rbac.authorization.k8s.io',
      undefined,
    ]);
  });

  it('refuses a change of roleRef with upstream’s message', () => {
    expect(
      causesOf('RoleBinding', { roleRef: ref('ClusterRole', 'edit') }, { roleRef: ref('ClusterRole') }),
    ).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    ]);
    expect(causesOf('RoleBinding', { roleRef: ref('ClusterRole') }, { roleRef: ref('ClusterRole') })).toEqual(
      [],
    );
  });
});
