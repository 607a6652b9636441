import {
  breakdownRule,
  compactRules,
  compactString,
  escalationMessage,
  missingRules,
  ruleCovers,
  userRules,
} from './escalation-check.js';
import type { BindingObject, PolicyRule, RbacPolicy, RoleObject } from './rbac-authorizer.js';
import type { UserInfo } from './user-info.js';

const pods = (verbs: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  verbs,
  apiGroups: [''],
  resources: ['pods'],
  ...extra,
});

describe('breakdownRule', () => {
  it('splits a rule into one piece per group, resource, verb and name', () => {
    expect(
      breakdownRule({
        verbs: ['get', 'list'],
        apiGroups: ['', 'apps'],
        resources: ['pods'],
        resourceNames: ['a'],
      }),
    ).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'], resourceNames: ['a'] },
      { verbs: ['list'], apiGroups: ['apps'], resources: ['pods'], resourceNames: ['a'] },
    ]);
  });

  it('pairs non-resource URLs with verbs only', () => {
    expect(breakdownRule({ verbs: ['get', 'post'], nonResourceURLs: ['/healthz'] })).toEqual([
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      { verbs: ['post'], nonResourceURLs: ['/healthz'] },
    ]);
  });

  it('yields nothing for a rule without groups or URLs', () => {
    expect(breakdownRule({ verbs: ['get'], resources: ['pods'] })).toEqual([]);
  });
});

describe('ruleCovers', () => {
  it.each<[string, PolicyRule, PolicyRule, boolean]>([
    ['the same rule', pods(['get']), pods(['get']), true],
    ['a verb not held', pods(['get']), pods(['delete']), false],
    ['a held * verb', pods(['*']), pods(['delete']), true],
    ['a requested * verb needs a held *', pods(['get', 'list', 'delete']), pods(['*']), false],
    ['a held * group', pods(['get'], { apiGroups: ['*'] }), pods(['get'], { apiGroups: ['apps'] }), true],
    ['another group', pods(['get']), pods(['get'], { apiGroups: ['apps'] }), false],
    ['a requested * group needs a held *', pods(['get']), pods(['get'], { apiGroups: ['*'] }), false],
    [
      'a held * resource',
      pods(['get'], { resources: ['*'] }),
      pods(['get'], { resources: ['secrets'] }),
      true,
    ],
    ['a requested * resource needs a held *', pods(['get']), pods(['get'], { resources: ['*'] }), false],
    [
      'a held */subresource',
      pods(['get'], { resources: ['*/status'] }),
      pods(['get'], { resources: ['pods/status'] }),
      true,
    ],
    [
      'a resource does not cover its subresources',
      pods(['get']),
      pods(['get'], { resources: ['pods/log'] }),
      false,
    ],
    ['unrestricted names cover one name', pods(['get']), pods(['get'], { resourceNames: ['a'] }), true],
    [
      'a held name covers that name',
      pods(['get'], { resourceNames: ['a', 'b'] }),
      pods(['get'], { resourceNames: ['a'] }),
      true,
    ],
    [
      'a held name does not cover another',
      pods(['get'], { resourceNames: ['a'] }),
      pods(['get'], { resourceNames: ['c'] }),
      false,
    ],
    ['held names do not cover every name', pods(['get'], { resourceNames: ['a'] }), pods(['get']), false],
    [
      'the same URL',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      true,
    ],
    [
      'a held URL prefix',
      { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
      { verbs: ['get'], nonResourceURLs: ['/apis/apps'] },
      true,
    ],
    [
      'a held * URL',
      { verbs: ['get'], nonResourceURLs: ['*'] },
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
      true,
    ],
    [
      'another URL',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
      false,
    ],
    [
      'a resource rule does not cover a URL',
      pods(['*'], { apiGroups: ['*'], resources: ['*'] }),
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
      false,
    ],
  ])('%s', (_case, held, wanted, covered) => {
    expect(ruleCovers(held, wanted)).toBe(covered);
  });
});

describe('missingRules', () => {
  const clusterAdmin: PolicyRule[] = [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ];

  it.each<[string, PolicyRule[], PolicyRule[], PolicyRule[]]>([
    ['nothing requested', [], [], []],
    ['everything held', clusterAdmin, clusterAdmin, []],
    ['held across two rules', [pods(['get']), pods(['list'])], [pods(['get', 'list'])], []],
    ['one verb missing', [pods(['get'])], [pods(['get', 'delete'])], [pods(['delete'])]],
    [
      '* on * from a namespace admin',
      [pods(['get', 'list', 'create']), { verbs: ['*'], apiGroups: ['apps'], resources: ['*'] }],
      [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    ],
    [
      'a URL not held',
      [{ verbs: ['get'], nonResourceURLs: ['/api/*'] }],
      [{ verbs: ['get'], nonResourceURLs: ['/api/v1', '/metrics'] }],
      [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }],
    ],
    [
      'a name not held',
      [pods(['get'], { resourceNames: ['a'] })],
      [pods(['get'], { resourceNames: ['a', 'b'] })],
      [pods(['get'], { resourceNames: ['b'] })],
    ],
  ])('%s', (_case, held, requested, missing) => {
    expect(missingRules(held, requested)).toEqual(missing);
  });
});

describe('compactRules and compactString', () => {
  it('merges single-resource pieces that differ only in verbs', () => {
    expect(
      compactRules([
        pods(['get']),
        pods(['list']),
        pods(['get']),
        { verbs: ['get'], nonResourceURLs: ['/x'] },
      ]),
    ).toEqual([{ verbs: ['get'], nonResourceURLs: ['/x'] }, pods(['get', 'list'])]);
  });

  it('keeps pieces for different names apart', () => {
    expect(
      compactRules([pods(['get'], { resourceNames: ['a'] }), pods(['list'], { resourceNames: ['b'] })]),
    ).toHaveLength(2);
  });

  it.each<[PolicyRule, string]>([
    [pods(['get', 'list']), '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}'],
    [
      pods(['get'], { resourceNames: ['web'] }),
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["web"], Verbs:["get"]}',
    ],
    [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }, '{NonResourceURLs:["/metrics"], Verbs:["get"]}'],
  ])('prints %j as upstream', (rule, text) => {
    expect(compactString(rule)).toBe(text);
  });
});

describe('escalationMessage', () => {
  it('names the user, their groups and the sorted, compacted missing rules', () => {
    const user: UserInfo = { name: 'alice', groups: ['devs', 'system:authenticated'] };
    expect(
      escalationMessage(user, [
        pods(['list']),
        { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] },
        pods(['get']),
      ]),
    ).toBe(
      'user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["list" "get"]}\n' +
        '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}',
    );
  });

  it('prints no groups as []', () => {
    expect(escalationMessage({ name: 'bob', groups: [] }, [pods(['get'])])).toContain('(groups=[])');
  });
});

describe('userRules', () => {
  const roles: Record<string, RoleObject> = {
    '/reader': { metadata: { name: 'reader' }, rules: [pods(['get'])] },
    '/writer': { metadata: { name: 'writer' }, rules: [pods(['create'])] },
    'team/local': { metadata: { name: 'local', namespace: 'team' }, rules: [pods(['delete'])] },
  };
  const crbs: BindingObject[] = [
    {
      metadata: { name: 'all-read' },
      subjects: [{ kind: 'Group', name: 'devs' }],
      roleRef: { kind: 'ClusterRole', name: 'reader' },
    },
    {
      metadata: { name: 'other' },
      subjects: [{ kind: 'User', name: 'someone-else' }],
      roleRef: { kind: 'ClusterRole', name: 'writer' },
    },
  ];
  const rbs: Record<string, BindingObject[]> = {
    team: [
      {
        metadata: { name: 'w', namespace: 'team' },
        subjects: [{ kind: 'User', name: 'alice' }],
        roleRef: { kind: 'ClusterRole', name: 'writer' },
      },
      {
        metadata: { name: 'l', namespace: 'team' },
        subjects: [{ kind: 'User', name: 'alice' }],
        roleRef: { kind: 'Role', name: 'local' },
      },
      {
        metadata: { name: 'gone', namespace: 'team' },
        subjects: [{ kind: 'User', name: 'alice' }],
        roleRef: { kind: 'Role', name: 'missing' },
      },
    ],
  };
  const policy: RbacPolicy = {
    clusterRoleBindings: () => crbs,
    roleBindings: (ns) => rbs[ns] ?? [],
    clusterRole: (name) => roles[`/${name}`],
    role: (ns, name) => roles[`${ns}/${name}`],
  };
  const alice: UserInfo = { name: 'alice', groups: ['devs'] };

  it.each<[string, string, PolicyRule[]]>([
    ['cluster-wide only', '', [pods(['get'])]],
    ['in a namespace with bindings', 'team', [pods(['get']), pods(['create']), pods(['delete'])]],
    ['in a namespace without bindings', 'other', [pods(['get'])]],
  ])('%s', (_case, namespace, rules) => {
    expect(userRules(alice, namespace, policy)).toEqual(rules);
  });
});
