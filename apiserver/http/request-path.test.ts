import { parseResourcePath } from './request-path.js';

describe('parseResourcePath', () => {
  it.each([
    ['/api/v1/pods', { group: '', version: 'v1', plural: 'pods' }],
    ['/api/v1/namespaces/default/pods', { group: '', version: 'v1', namespace: 'default', plural: 'pods' }],
    [
      '/api/v1/namespaces/default/pods/web',
      { group: '', version: 'v1', namespace: 'default', plural: 'pods', name: 'web' },
    ],
    [
      '/api/v1/namespaces/default/pods/web/log',
      { group: '', version: 'v1', namespace: 'default', plural: 'pods', name: 'web', subresource: 'log' },
    ],
    [
      '/api/v1/namespaces/kube-system',
      { group: '', version: 'v1', plural: 'namespaces', name: 'kube-system' },
    ],
    [
      '/api/v1/namespaces/kube-system/finalize',
      { group: '', version: 'v1', plural: 'namespaces', name: 'kube-system', subresource: 'finalize' },
    ],
    [
      '/api/v1/nodes/node-1/status',
      { group: '', version: 'v1', plural: 'nodes', name: 'node-1', subresource: 'status' },
    ],
    [
      '/apis/apps/v1/namespaces/a/deployments/web/scale',
      {
        group: 'apps',
        version: 'v1',
        namespace: 'a',
        plural: 'deployments',
        name: 'web',
        subresource: 'scale',
      },
    ],
  ])('%s', (path, expected) => {
    const parsed = parseResourcePath(path);
    expect(parsed.kind).toBe('resource');
    expect(parsed.kind === 'resource' && parsed.path).toEqual(expected);
  });

  it('recognises group-version roots and rejects other paths', () => {
    expect(parseResourcePath('/apis/apps/v1')).toEqual({
      kind: 'group-version',
      group: 'apps',
      version: 'v1',
    });
    expect(parseResourcePath('/api/v1/')).toEqual({ kind: 'group-version', group: '', version: 'v1' });
    expect(parseResourcePath('/healthz').kind).toBe('none');
    expect(parseResourcePath('/api/v1/namespaces/a/pods/b/log/extra').kind).toBe('none');
  });

  it.each(['/api/v1/namespaces/%ZZ/pods', '/api/v1/namespaces/default/configmaps/%', '/api/v1/nodes/a%E2'])(
    'answers a broken escape in %s with a 400 Status',
    (path) => {
      expect(() => parseResourcePath(path)).toThrow(
        expect.objectContaining({ code: 400, reason: 'BadRequest' }),
      );
    },
  );
});
