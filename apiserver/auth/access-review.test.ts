import { ApiError } from '../api-error.js';
import { reviewSelfAccess } from './access-review.js';
import { authorizerChain, rbacAuthorizer } from './authorizer-chain.js';
import { NodeGraph } from './node-graph.js';
import { nodeAuthorizer } from './node-authorizer.js';
import type { RbacPolicy } from './rbac-authorizer.js';

const policy: RbacPolicy = {
  clusterRoleBindings: () => [
    {
      metadata: { name: 'viewers' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }],
    },
  ],
  roleBindings: () => [],
  clusterRole: (name) =>
    name === 'view'
      ? {
          metadata: { name },
          rules: [
            { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
            { verbs: ['get'], nonResourceURLs: ['/version'] },
          ],
        }
      : undefined,
  role: () => undefined,
};
const jane = { name: 'jane', groups: ['system:authenticated'] };

function review(spec: Record<string, unknown>) {
  return reviewSelfAccess(
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec },
    jane,
    authorizerChain([rbacAuthorizer(policy)]),
  );
}

describe('reviewSelfAccess', () => {
  it('allows what the user may do, saying which binding allows it', () => {
    const result = review({ resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } });
    expect(result.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "viewers" of ClusterRole "view" to User "jane"',
    });
    expect(result.spec).toEqual({
      resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' },
    });
    expect(result.metadata).toEqual({ creationTimestamp: null });
  });

  it.each([
    [{ resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } }, false],
    [{ resourceAttributes: { verb: 'list', resource: 'pods', group: 'apps' } }, false],
    [{ nonResourceAttributes: { verb: 'get', path: '/version' } }, true],
    [{ nonResourceAttributes: { verb: 'get', path: '/metrics' } }, false],
  ])('decides %j → %p', (spec, allowed) => {
    expect((review(spec).status as { allowed: boolean }).allowed).toBe(allowed);
  });

  it.each([
    [
      {},
      'spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    ],
    [
      { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { verb: 'get', path: '/x' } },
      'spec.nonResourceAttributes: Invalid value: &authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    ],
  ])('refuses the spec %j with upstream’s 422', (spec, message) => {
    let error: unknown;
    try {
      review(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(422);
    expect((error as ApiError).message).toBe(
      `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: ${message}`,
    );
  });

  it.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['no field selector', undefined, false],
    ['a raw selector on its node', { rawSelector: 'spec.nodeName=n1' }, true],
    ['a raw selector on another node', { rawSelector: 'spec.nodeName=n2' }, false],
    ['a malformed raw selector', { rawSelector: 'spec.nodeName' }, false],
    [
      'an In requirement on its node',
      { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }] },
      true,
    ],
    [
      'an In requirement with two values',
      { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1', 'n2'] }] },
      false,
    ],
    [
      'a NotIn requirement',
      { requirements: [{ key: 'spec.nodeName', operator: 'NotIn', values: ['n2'] }] },
      false,
    ],
  ])('decides a node listing pods with %s by the chain', (_what, fieldSelector, allowed) => {
    const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
    const chain = authorizerChain([nodeAuthorizer(new NodeGraph()), rbacAuthorizer(policy)]);
    const result = reviewSelfAccess(
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: {
          resourceAttributes: { verb: 'list', resource: 'pods', ...(fieldSelector ? { fieldSelector } : {}) },
        },
      },
      node,
      chain,
    );
    expect((result.status as { allowed: boolean }).allowed).toBe(allowed);
  });
});
