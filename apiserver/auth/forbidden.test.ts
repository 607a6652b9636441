import { forbidden } from './forbidden.js';
import type { Attributes } from './request-attributes.js';

const user = { name: 'jane', groups: [] };

function resource(over: Partial<Attributes & { kind: 'resource' }>): Attributes {
  return {
    kind: 'resource',
    verb: 'get',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    namespace: '',
    name: '',
    user,
    ...over,
  };
}

describe('forbidden', () => {
  it.each<[string, Attributes, string, string]>([
    [
      'a named object in a namespace',
      resource({ verb: 'delete', namespace: 'default', name: 'web' }),
      '',
      'pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'a collection in a namespace',
      resource({ verb: 'create', namespace: 'default' }),
      '',
      'pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'a cluster-scoped resource of a group',
      resource({ verb: 'list', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles' }),
      '',
      'clusterroles.rbac.authorization.k8s.io is forbidden: User "jane" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    ],
    [
      'a subresource',
      resource({ namespace: 'a', name: 'web', subresource: 'log' }),
      '',
      'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "a"',
    ],
    [
      'a reason',
      resource({ namespace: 'a' }),
      'RBAC: role.rbac.authorization.k8s.io "x" not found',
      'pods is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "a": RBAC: role.rbac.authorization.k8s.io "x" not found',
    ],
    [
      'a non-resource URL',
      { kind: 'non-resource', verb: 'get', path: '/metrics', user },
      '',
      'forbidden: User "jane" cannot get path "/metrics"',
    ],
  ])('words %s as upstream', (_name, attrs, reason, message) => {
    const err = forbidden(attrs, reason);
    expect(err.code).toBe(403);
    expect(err.reason).toBe('Forbidden');
    expect(err.message).toBe(message);
  });

  it('names the resource in the details as upstream', () => {
    const status = forbidden(
      resource({
        apiGroup: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        namespace: 'a',
        name: 'web',
      }),
      '',
    ).toStatus();
    expect(status.details).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
  });
});
