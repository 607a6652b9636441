import { metaNamespaceKey, splitMetaNamespaceKey } from './keys.js';

describe('metaNamespaceKey', () => {
  it.each([
    ['a namespaced object', { metadata: { namespace: 'default', name: 'web' } }, 'default/web'],
    ['a cluster-scoped object', { metadata: { name: 'node-1' } }, 'node-1'],
    ['an empty namespace as cluster-scoped', { metadata: { namespace: '', name: 'node-1' } }, 'node-1'],
  ])('keys %s', (_what, obj, key) => {
    expect(metaNamespaceKey(obj)).toBe(key);
  });

  it('refuses an object without a name', () => {
    expect(() => metaNamespaceKey({ metadata: { namespace: 'default' } })).toThrow('metadata.name');
  });
});

describe('splitMetaNamespaceKey', () => {
  it.each([
    ['default/web', { namespace: 'default', name: 'web' }],
    ['node-1', { namespace: '', name: 'node-1' }],
  ])('splits %s', (key, parts) => {
    expect(splitMetaNamespaceKey(key)).toEqual(parts);
  });

  it.each(['a/b/c', '', 'ns/'])('refuses %j', (key) => {
    expect(() => splitMetaNamespaceKey(key)).toThrow('unexpected key format');
  });

  it('round-trips with metaNamespaceKey', () => {
    const obj = { metadata: { namespace: 'kube-system', name: 'coredns' } };
    expect(splitMetaNamespaceKey(metaNamespaceKey(obj))).toEqual(obj.metadata);
  });
});
