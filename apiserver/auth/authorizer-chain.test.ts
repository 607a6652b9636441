import type { Authorizer, AuthorizerDecision } from './authorizer-chain.js';
import { authorizerChain, rbacAuthorizer } from './authorizer-chain.js';
import type { Attributes } from './request-attributes.js';

const attrs: Attributes = { kind: 'non-resource', verb: 'get', path: '/x', user: { name: 'u', groups: [] } };
const says =
  (verdict: AuthorizerDecision['verdict'], reason = ''): Authorizer =>
  () => ({ verdict, reason });

describe('authorizerChain', () => {
  it.each<[string, Authorizer[], { allowed: boolean; reason: string }]>([
    ['nobody asked', [], { allowed: false, reason: '' }],
    ['the first allows', [says('allow', 'a'), says('deny', 'b')], { allowed: true, reason: 'a' }],
    ['the first denies', [says('deny', 'no'), says('allow')], { allowed: false, reason: 'no' }],
    ['a later one allows', [says('no-opinion', 'x'), says('allow', 'ok')], { allowed: true, reason: 'ok' }],
    ['a later one denies', [says('no-opinion', 'x'), says('deny', 'no')], { allowed: false, reason: 'no' }],
    [
      'nobody has an opinion',
      [says('no-opinion', 'first'), says('no-opinion'), says('no-opinion', 'third')],
      { allowed: false, reason: 'first\nthird' },
    ],
  ])('%s', (_what, authorizers, expected) => {
    expect(authorizerChain(authorizers)(attrs)).toEqual(expected);
  });

  it('takes an RBAC denial as no opinion, so a later authorizer may still allow', () => {
    const empty = {
      clusterRoleBindings: () => [],
      roleBindings: () => [],
      clusterRole: () => undefined,
      role: () => undefined,
    };
    expect(rbacAuthorizer(empty)(attrs)).toEqual({ verdict: 'no-opinion', reason: '' });
    expect(authorizerChain([rbacAuthorizer(empty), says('allow')])(attrs).allowed).toBe(true);
    const masters = { ...attrs, user: { name: 'm', groups: ['system:masters'] } };
    expect(rbacAuthorizer(empty)(masters).verdict).toBe('allow');
  });
});
