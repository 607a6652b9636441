import type { KubeObject } from '../apiserver/api-object.js';
import { CONTROLLER_UID_INDEX, IndexedStore, NAMESPACE_INDEX, NODE_NAME_INDEX } from './indexed-store.js';

function pod(namespace: string, name: string, extra: { owner?: string; node?: string; rv?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      name,
      resourceVersion: extra.rv ?? '1',
      ...(extra.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'not-the-controller' },
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: extra.owner, controller: true },
            ],
          }
        : {}),
    },
    spec: extra.node ? { nodeName: extra.node } : {},
  } as KubeObject;
}

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();

describe('IndexedStore', () => {
  it('stores objects under their namespace/name key', () => {
    const store = new IndexedStore();
    store.upsert(pod('default', 'a'));
    store.upsert({ metadata: { name: 'node-1' } });
    expect(store.get('default/a')?.metadata.name).toBe('a');
    expect(store.get('node-1')?.metadata.name).toBe('node-1');
    expect(store.listKeys().sort()).toEqual(['default/a', 'node-1']);
    expect(store.size).toBe(2);
  });

  it.each([
    [NAMESPACE_INDEX, 'default', ['a', 'b']],
    [NAMESPACE_INDEX, 'other', ['c']],
    [CONTROLLER_UID_INDEX, 'rs-uid', ['a', 'c']],
    [CONTROLLER_UID_INDEX, 'not-the-controller', []],
    [NODE_NAME_INDEX, 'node-1', ['b', 'c']],
    [NODE_NAME_INDEX, '', []],
  ])('indexes by %s: %j holds %j', (index, value, expected) => {
    const store = new IndexedStore();
    store.upsert(pod('default', 'a', { owner: 'rs-uid' }));
    store.upsert(pod('default', 'b', { node: 'node-1' }));
    store.upsert(pod('other', 'c', { owner: 'rs-uid', node: 'node-1' }));
    expect(names(store.byIndex(index, value))).toEqual(expected);
  });

  it('moves an object between index values when it changes, and drops it on delete', () => {
    const store = new IndexedStore();
    store.upsert(pod('default', 'a', { node: 'node-1' }));
    store.upsert(pod('default', 'a', { node: 'node-2', rv: '2' }));
    expect(store.byIndex(NODE_NAME_INDEX, 'node-1')).toEqual([]);
    expect(names(store.byIndex(NODE_NAME_INDEX, 'node-2'))).toEqual(['a']);
    expect(store.delete('default/a')?.metadata.resourceVersion).toBe('2');
    expect(store.byIndex(NODE_NAME_INDEX, 'node-2')).toEqual([]);
    expect(store.delete('default/a')).toBeUndefined();
  });

  it.each([
    ['keeps the same values', ['x', 'y'], ['x', 'y'], { x: ['a'], y: ['a'], z: [] }],
    ['drops a value', ['x', 'y'], ['x'], { x: ['a'], y: [], z: [] }],
    ['gains a value', ['x'], ['x', 'z'], { x: ['a'], y: [], z: ['a'] }],
    ['reorders its values', ['x', 'y'], ['y', 'x'], { x: ['a'], y: ['a'], z: [] }],
    ['loses every value', ['x'], [], { x: [], y: [], z: [] }],
  ])('an update that %s leaves the index exact', (_what, before, after, expected) => {
    const store = new IndexedStore<KubeObject & { tags?: string[] }>({ tags: (obj) => obj.tags ?? [] });
    store.upsert({ ...pod('default', 'a'), tags: before });
    store.upsert({ ...pod('default', 'b'), tags: ['other'] });
    store.upsert({ ...pod('default', 'a', { rv: '2' }), tags: after });
    for (const [value, holders] of Object.entries(expected)) {
      expect(names(store.byIndex('tags', value))).toEqual(holders);
    }
    expect(names(store.byIndex('tags', 'other'))).toEqual(['b']);
    expect(store.get('default/a')?.metadata.resourceVersion).toBe('2');
  });

  it('builds an index added later from what is already stored', () => {
    const store = new IndexedStore();
    store.upsert(pod('default', 'a'));
    store.upsert(pod('default', 'b'));
    store.addIndexers({ byFirstLetter: (obj) => [obj.metadata.name!.slice(0, 1)] });
    expect(names(store.byIndex('byFirstLetter', 'b'))).toEqual(['b']);
    expect(() => store.addIndexers({ byFirstLetter: () => [] })).toThrow('already exists');
  });

  it('refuses an index that does not exist', () => {
    expect(() => new IndexedStore().byIndex('nope', 'x')).toThrow('index nope does not exist');
  });

  it('freezes what it stores, all the way down', () => {
    const store = new IndexedStore();
    store.upsert(pod('default', 'a', { node: 'node-1' }));
    const cached = store.get('default/a')!;
    expect(() => {
      (cached.metadata as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (cached.spec as { nodeName: string }).nodeName = 'elsewhere';
    }).toThrow(TypeError);
    const copy = structuredClone(cached);
    copy.metadata.name = 'fine';
    expect(copy.metadata.name).toBe('fine');
  });
});
