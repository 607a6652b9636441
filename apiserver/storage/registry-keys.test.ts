import { collectionKey, objectKey, parseObjectKey } from './registry-keys.js';

describe('registry keys', () => {
  it.each([
    ['pods', 'default', 'web-1', '/registry/pods/default/web-1'],
    ['nodes', undefined, 'node-1', '/registry/nodes/node-1'],
    ['deployments', 'kube-system', 'dns', '/registry/deployments/kube-system/dns'],
  ])('%s %s/%s is stored at %s', (resource, namespace, name, key) => {
    expect(objectKey('/registry', resource, namespace, name)).toBe(key);
    expect(parseObjectKey('/registry', resource, key)).toEqual(namespace ? { namespace, name } : { name });
  });

  it('ends collection prefixes with a slash so namespaces do not prefix each other', () => {
    expect(collectionKey('/registry', 'pods', 'a')).toBe('/registry/pods/a/');
    expect(
      objectKey('/registry', 'pods', 'ab', 'x').startsWith(collectionKey('/registry', 'pods', 'a')),
    ).toBe(false);
  });

  it('rejects keys of other resources or with extra segments', () => {
    expect(parseObjectKey('/registry', 'pods', '/registry/services/default/x')).toBeUndefined();
    expect(parseObjectKey('/registry', 'pods', '/registry/pods/a/b/c')).toBeUndefined();
  });
});
