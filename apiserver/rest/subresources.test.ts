import type { KubeObject } from '../api-object.js';
import { evictionDeleteOptions, updateScale } from './subresources.js';
import type { ResourceStore, Scope } from './resource-store.js';

describe('evictionDeleteOptions', () => {
  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['an array', []],
    ['a number', 5],
    ['null', null],
    ['no name', { kind: 'Eviction' }],
    ['metadata of the wrong type', { metadata: 5 }],
    ['another pod', { metadata: { name: 'other' } }],
    ['deleteOptions of the wrong type', { metadata: { name: 'web' }, deleteOptions: 'x' }],
    ['a non-integer grace period', { metadata: { name: 'web' }, deleteOptions: { gracePeriodSeconds: 'x' } }],
    [
      'an unknown propagation policy',
      { metadata: { name: 'web' }, deleteOptions: { propagationPolicy: 'Sideways' } },
    ],
    ['an unknown dryRun value', { metadata: { name: 'web' }, deleteOptions: { dryRun: ['Nope'] } }],
    ['preconditions of the wrong type', { metadata: { name: 'web' }, deleteOptions: { preconditions: 5 } }],
  ])('refuses %s with 400 instead of deleting', (_what, body) => {
    expect(() => evictionDeleteOptions(body, 'web')).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('turns a well-formed Eviction into its delete', () => {
    expect(
      evictionDeleteOptions(
        {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'web', namespace: 'default' },
          deleteOptions: { gracePeriodSeconds: 5, preconditions: { uid: 'u1' }, dryRun: ['All'] },
        },
        'web',
      ),
    ).toEqual({
      gracePeriodSeconds: 5,
      preconditions: { uid: 'u1', resourceVersion: undefined },
      dryRun: true,
    });
    expect(evictionDeleteOptions({ metadata: { name: 'web' } }, 'web')).toEqual({
      gracePeriodSeconds: undefined,
      preconditions: { uid: undefined, resourceVersion: undefined },
      dryRun: false,
    });
  });
});

describe('updateScale', () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '7' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } } },
  };
  function fakeStore() {
    const updates: KubeObject[] = [];
    const store = {
      get: () => Promise.resolve(structuredClone(deployment)),
      update: (_scope: Scope, _name: string, obj: KubeObject) => {
        updates.push(obj);
        return Promise.resolve({ object: obj, created: false, warnings: [] });
      },
    } as unknown as ResourceStore;
    return { store, updates };
  }
  const scope = {
    resource: { plural: 'deployments', group: 'apps' },
    namespace: 'default',
  } as unknown as Scope;

  it.each<[string, unknown]>([
    ['metadata of the wrong type', { metadata: 5 }],
    ['spec of the wrong type', { spec: 5 }],
    ['another name', { metadata: { name: 'other' }, spec: { replicas: 1 } }],
    ['an array', []],
  ])('refuses a Scale with %s and scales nothing', async (_what, body) => {
    const { store, updates } = fakeStore();
    await expect(updateScale(store, scope, 'web', body, {})).rejects.toMatchObject({ code: 400 });
    expect(updates).toEqual([]);
  });

  it('scales to the replicas a well-formed Scale asks for', async () => {
    const { store, updates } = fakeStore();
    const scale = await updateScale(
      store,
      scope,
      'web',
      { metadata: { name: 'web' }, spec: { replicas: 5 } },
      {},
    );
    expect(scale.spec).toEqual({ replicas: 5 });
    expect(updates).toHaveLength(1);
  });
});
