import { requestAttributes } from './request-attributes.js';

describe('requestAttributes', () => {
  it.each<[string, string, Record<string, string>, Record<string, string>]>([
    [
      'GET',
      '/api/v1/namespaces/default/pods/web',
      {},
      { verb: 'get', resource: 'pods', namespace: 'default', name: 'web' },
    ],
    ['HEAD', '/api/v1/namespaces/default/pods/web', {}, { verb: 'get' }],
    ['GET', '/api/v1/namespaces/default/pods', {}, { verb: 'list', namespace: 'default', name: '' }],
    ['GET', '/api/v1/pods', { watch: 'true' }, { verb: 'watch', namespace: '' }],
    ['GET', '/api/v1/pods', { watch: '1' }, { verb: 'watch' }],
    ['GET', '/api/v1/pods', { watch: 'false' }, { verb: 'list' }],
    [
      'GET',
      '/api/v1/namespaces/a/pods',
      { fieldSelector: 'metadata.name=web' },
      { verb: 'list', name: 'web' },
    ],
    ['GET', '/api/v1/namespaces/a/pods', { fieldSelector: 'spec.nodeName=n1' }, { name: '' }],
    ['POST', '/apis/apps/v1/namespaces/a/deployments', {}, { verb: 'create', apiGroup: 'apps', name: '' }],
    ['PUT', '/apis/apps/v1/namespaces/a/deployments/web/scale', {}, { verb: 'update', subresource: 'scale' }],
    ['PATCH', '/api/v1/nodes/n1/status', {}, { verb: 'patch', resource: 'nodes', subresource: 'status' }],
    ['DELETE', '/api/v1/namespaces/a/pods/web', {}, { verb: 'delete' }],
    ['DELETE', '/api/v1/namespaces/a/pods', {}, { verb: 'deletecollection' }],
    ['GET', '/api/v1/namespaces/a/pods/web/log', {}, { verb: 'get', subresource: 'log', name: 'web' }],
    ['GET', '/api/v1/namespaces/team', {}, { resource: 'namespaces', name: 'team', namespace: 'team' }],
    ['PUT', '/api/v1/namespaces/team/finalize', {}, { subresource: 'finalize', namespace: 'team' }],
    ['POST', '/api/v1/namespaces', {}, { verb: 'create', resource: 'namespaces', namespace: '' }],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {}, { apiGroup: 'rbac.authorization.k8s.io' }],
  ])('%s %s %j', (method, path, query, expected) => {
    const attrs = requestAttributes(method, path, query);
    expect(attrs.kind).toBe('resource');
    expect(attrs).toMatchObject(expected);
  });

  it.each<[string, string, Record<string, string>, unknown]>([
    [
      'GET',
      '/api/v1/pods',
      { fieldSelector: 'spec.nodeName=n1' },
      [{ field: 'spec.nodeName', operator: '=', value: 'n1' }],
    ],
    [
      'GET',
      '/api/v1/pods',
      { watch: 'true', fieldSelector: 'spec.nodeName!=n1,metadata.name==a' },
      [
        { field: 'metadata.name', operator: '=', value: 'a' },
        { field: 'spec.nodeName', operator: '!=', value: 'n1' },
      ],
    ],
    ['GET', '/api/v1/pods', { fieldSelector: 'spec.nodeName' }, undefined],
    ['GET', '/api/v1/pods', {}, undefined],
    ['GET', '/api/v1/namespaces/a/pods/web', { fieldSelector: 'spec.nodeName=n1' }, undefined],
    ['POST', '/api/v1/namespaces/a/pods', { fieldSelector: 'spec.nodeName=n1' }, undefined],
  ])('%s %s %j carries the field selector %j', (method, path, query, expected) => {
    const attrs = requestAttributes(method, path, query);
    expect(attrs.kind === 'resource' ? attrs.fieldSelector : 'non-resource').toEqual(expected);
  });

  it.each([
    ['GET', '/healthz', 'get'],
    ['GET', '/apis', 'get'],
    ['GET', '/apis/apps/v1', 'get'],
    ['GET', '/openapi/v3', 'get'],
    ['POST', '/version', 'post'],
    ['OPTIONS', '/api/v1/pods', 'options'],
  ])('%s %s is a non-resource request with verb %s', (method, path, verb) => {
    expect(requestAttributes(method, path, {})).toEqual({ kind: 'non-resource', verb, path });
  });
});
