import type { KubeObject, ObjectMeta, OwnerReference } from '../apiserver/api-object.js';
import { ApiStatusError } from '../machinery/api-status-error.js';
import { IndexedStore } from '../machinery/indexed-store.js';
import {
  blockingDependents,
  decideForDependent,
  finalizersWithout,
  GarbageCollector,
  gcKey,
  ownerReferencesWithout,
  ownerState,
  parseGcKey,
} from './garbage-collector.js';
import type { GcDecision, GcInformer, OwnerState } from './garbage-collector.js';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: `rs-${uid}`,
  uid,
  ...extra,
});

describe('ownerState', () => {
  it.each<{ name: string; owner: ObjectMeta | undefined; want: OwnerState }>([
    { name: 'a missing owner is dangling', owner: undefined, want: 'dangling' },
    {
      name: 'an owner recreated under the same name with another uid is dangling',
      owner: { name: 'rs-a', uid: 'other' },
      want: 'dangling',
    },
    { name: 'an existing owner is solid', owner: { name: 'rs-a', uid: 'a' }, want: 'solid' },
    {
      name: 'an owner being deleted in the background is still solid',
      owner: { uid: 'a', deletionTimestamp: 't', finalizers: ['orphan'] },
      want: 'solid',
    },
    {
      name: 'an owner in foreground deletion waits for its dependents',
      owner: { uid: 'a', deletionTimestamp: 't', finalizers: ['foregroundDeletion'] },
      want: 'waitingForDependentsDeletion',
    },
    {
      name: 'a foregroundDeletion finalizer without deletion is not waiting',
      owner: { uid: 'a', finalizers: ['foregroundDeletion'] },
      want: 'solid',
    },
  ])('$name', ({ owner, want }) => {
    expect(ownerState(ref('a'), owner)).toBe(want);
  });
});

describe('decideForDependent', () => {
  it.each<{
    name: string;
    owners: { uid: string; state: OwnerState }[];
    finalizers?: string[];
    hasDependents?: boolean;
    want: GcDecision;
  }>([
    { name: 'no owners: not ours to judge', owners: [], want: { action: 'keep' } },
    { name: 'one solid owner keeps it', owners: [{ uid: 'a', state: 'solid' }], want: { action: 'keep' } },
    {
      name: 'its only owner gone: deleted in the background',
      owners: [{ uid: 'a', state: 'dangling' }],
      want: { action: 'delete', propagationPolicy: 'Background' },
    },
    {
      name: 'all owners gone: deleted',
      owners: [
        { uid: 'a', state: 'dangling' },
        { uid: 'b', state: 'dangling' },
      ],
      want: { action: 'delete', propagationPolicy: 'Background' },
    },
    {
      name: 'one owner gone, another alive: the dangling reference is removed, the object kept',
      owners: [
        { uid: 'a', state: 'dangling' },
        { uid: 'b', state: 'solid' },
      ],
      want: { action: 'removeOwnerReferences', uids: ['a'] },
    },
    {
      name: 'a waiting owner next to a solid one loses its reference so it does not wait forever',
      owners: [
        { uid: 'a', state: 'waitingForDependentsDeletion' },
        { uid: 'b', state: 'solid' },
        { uid: 'c', state: 'dangling' },
      ],
      want: { action: 'removeOwnerReferences', uids: ['a', 'c'] },
    },
    {
      name: 'a waiting owner and dependents of its own: deleted in the foreground',
      owners: [{ uid: 'a', state: 'waitingForDependentsDeletion' }],
      hasDependents: true,
      want: { action: 'delete', propagationPolicy: 'Foreground' },
    },
    {
      name: 'a waiting owner and no dependents: deleted in the background',
      owners: [{ uid: 'a', state: 'waitingForDependentsDeletion' }],
      want: { action: 'delete', propagationPolicy: 'Background' },
    },
    {
      name: 'an orphan finalizer already on the object is honoured',
      owners: [{ uid: 'a', state: 'dangling' }],
      finalizers: ['orphan'],
      want: { action: 'delete', propagationPolicy: 'Orphan' },
    },
    {
      name: 'a foreground finalizer already on the object is honoured',
      owners: [{ uid: 'a', state: 'dangling' }],
      finalizers: ['foregroundDeletion'],
      want: { action: 'delete', propagationPolicy: 'Foreground' },
    },
  ])('$name', ({ owners, finalizers, hasDependents = false, want }) => {
    expect(decideForDependent(owners, { finalizers, hasDependents })).toEqual(want);
  });
});

describe('metadata helpers', () => {
  const obj = (name: string, refs: OwnerReference[]): KubeObject => ({
    metadata: { name, ownerReferences: refs },
  });

  it('finds only dependents that block this owner', () => {
    const deps = [
      obj('blocks', [ref('a', { blockOwnerDeletion: true })]),
      obj('does-not-block', [ref('a')]),
      obj('blocks-another', [ref('b', { blockOwnerDeletion: true })]),
    ];
    expect(blockingDependents('a', deps).map((d) => d.metadata.name)).toEqual(['blocks']);
  });

  it.each<{ name: string; refs: OwnerReference[] | undefined; drop: string[]; want: unknown }>([
    { name: 'nothing to drop: no change', refs: [ref('a')], drop: ['z'], want: undefined },
    { name: 'no references at all: no change', refs: undefined, drop: ['a'], want: undefined },
    { name: 'dropping the last one removes the field', refs: [ref('a')], drop: ['a'], want: null },
    {
      name: 'others are kept in order',
      refs: [ref('a'), ref('b'), ref('c')],
      drop: ['b'],
      want: [ref('a'), ref('c')],
    },
  ])('ownerReferencesWithout: $name', ({ refs, drop, want }) => {
    expect(ownerReferencesWithout(refs, drop)).toEqual(want);
  });

  it.each<{ name: string; finalizers: string[] | undefined; want: unknown }>([
    { name: 'absent: no change', finalizers: ['x'], want: undefined },
    { name: 'none at all: no change', finalizers: undefined, want: undefined },
    { name: 'the last one: the field goes', finalizers: ['orphan'], want: null },
    { name: 'others stay', finalizers: ['x', 'orphan', 'y'], want: ['x', 'y'] },
  ])('finalizersWithout: $name', ({ finalizers, want }) => {
    expect(finalizersWithout(finalizers, 'orphan')).toEqual(want);
  });

  it('round-trips keys for namespaced and cluster-scoped objects', () => {
    for (const id of [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'ns', name: 'web' },
      { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'n1' },
    ]) {
      expect(parseGcKey(gcKey(id))).toEqual(id);
    }
    expect(() => parseGcKey('nonsense')).toThrow('unexpected key format');
  });
});

// --- sync against preloaded caches and a recording client -----------------------------------------

function fakeInformer(objects: KubeObject[]): GcInformer {
  const store = new IndexedStore<KubeObject>();
  return {
    store,
    addEventHandler: () => () => undefined,
    waitForSync: async () => true,
    addIndexers: (indexers) => {
      store.addIndexers(indexers);
      for (const obj of objects) store.upsert(structuredClone(obj));
    },
  };
}

function fixture(
  kinds: { kind: string; objects: KubeObject[] }[],
  live: Record<string, KubeObject> = {},
): { gc: GarbageCollector; actions: string[] } {
  const actions: string[] = [];
  const gc = new GarbageCollector({
    client: {
      get: async (_v, kind, ns, name) => {
        actions.push(`get ${kind} ${ns}/${name}`);
        const found = live[`${kind}/${name}`];
        if (!found) throw new ApiStatusError(404, 'NotFound', 'not found');
        return found as never;
      },
      patch: async (_v, kind, ns, name, patch) => {
        actions.push(`patch ${kind} ${ns}/${name} ${JSON.stringify(patch)}`);
        return {} as never;
      },
      delete: async (_v, kind, ns, name, opts) => {
        actions.push(
          `delete ${kind} ${ns}/${name} ${opts?.propagationPolicy} uid=${opts?.preconditions?.uid}`,
        );
        return {} as never;
      },
    },
    informers: kinds.map(({ kind, objects }) => ({
      apiVersion: 'v1',
      kind,
      informer: fakeInformer(objects),
    })),
    log: () => undefined,
  });
  return { gc, actions };
}

const rsRef = (uid: string, block = true): OwnerReference => ({
  apiVersion: 'v1',
  kind: 'Owner',
  name: 'owner',
  uid,
  controller: true,
  blockOwnerDeletion: block,
});

describe('GarbageCollector.sync', () => {
  it('deletes a pod whose owner is gone (checked on the server), with a uid precondition', async () => {
    const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'p1', ownerReferences: [rsRef('o1')] } };
    const f = fixture([
      { kind: 'Owner', objects: [] },
      { kind: 'Pod', objects: [pod] },
    ]);
    await f.gc.sync('v1|Pod|ns|p');
    expect(f.actions).toEqual(['get Owner ns/owner', 'delete Pod ns/p Background uid=p1']);
  });

  it('treats a recreated owner with another uid as gone', async () => {
    const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'p1', ownerReferences: [rsRef('o1')] } };
    const f = fixture([{ kind: 'Pod', objects: [pod] }], {
      'Owner/owner': { metadata: { name: 'owner', uid: 'o2' } },
    });
    await f.gc.sync('v1|Pod|ns|p');
    expect(f.actions).toEqual(['get Owner ns/owner', 'delete Pod ns/p Background uid=p1']);
  });

  it('keeps a pod whose owner is cached, without asking the server', async () => {
    const owner = { metadata: { name: 'owner', namespace: 'ns', uid: 'o1' } };
    const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'p1', ownerReferences: [rsRef('o1')] } };
    const f = fixture([
      { kind: 'Owner', objects: [owner] },
      { kind: 'Pod', objects: [pod] },
    ]);
    await f.gc.sync('v1|Pod|ns|p');
    expect(f.actions).toEqual([]);
  });

  it('orphans: strips the owner reference from dependents, then removes the finalizer', async () => {
    const owner = {
      metadata: { name: 'owner', namespace: 'ns', uid: 'o1', deletionTimestamp: 't', finalizers: ['orphan'] },
    };
    const pod = {
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'p1',
        resourceVersion: '7',
        ownerReferences: [rsRef('o1')],
      },
    };
    const f = fixture(
      [
        { kind: 'Owner', objects: [owner] },
        { kind: 'Pod', objects: [pod] },
      ],
      { 'Pod/p': pod, 'Owner/owner': { metadata: { ...owner.metadata, resourceVersion: '9' } } },
    );
    await f.gc.sync('v1|Owner|ns|owner');
    expect(f.actions).toEqual([
      'get Pod ns/p',
      'patch Pod ns/p {"metadata":{"ownerReferences":null,"resourceVersion":"7"}}',
      'get Owner ns/owner',
      'patch Owner ns/owner {"metadata":{"finalizers":null,"resourceVersion":"9"}}',
    ]);
  });

  it('foreground: waits while a blocking dependent exists, then removes the finalizer', async () => {
    const owner = {
      metadata: {
        name: 'owner',
        namespace: 'ns',
        uid: 'o1',
        deletionTimestamp: 't',
        finalizers: ['foregroundDeletion'],
      },
    };
    const blocking = { metadata: { name: 'p', namespace: 'ns', uid: 'p1', ownerReferences: [rsRef('o1')] } };
    const waiting = fixture([
      { kind: 'Owner', objects: [owner] },
      { kind: 'Pod', objects: [blocking] },
    ]);
    await waiting.gc.sync('v1|Owner|ns|owner');
    expect(waiting.actions).toEqual([]);
    expect(waiting.gc.queue.len()).toBe(1); // the dependent, to be deleted by its own sync

    await waiting.gc.sync('v1|Pod|ns|p');
    expect(waiting.actions).toEqual(['delete Pod ns/p Background uid=p1']);

    const nonBlocking = { metadata: { ...blocking.metadata, ownerReferences: [rsRef('o1', false)] } };
    const done = fixture(
      [
        { kind: 'Owner', objects: [owner] },
        { kind: 'Pod', objects: [nonBlocking] },
      ],
      { 'Owner/owner': { metadata: { ...owner.metadata, resourceVersion: '3' } } },
    );
    await done.gc.sync('v1|Owner|ns|owner');
    expect(done.actions).toEqual([
      'get Owner ns/owner',
      'patch Owner ns/owner {"metadata":{"finalizers":null,"resourceVersion":"3"}}',
    ]);
  });
});
