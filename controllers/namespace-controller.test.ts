import type { KubeObject } from '../apiserver/api-object.js';
import { RESOURCES } from '../apiserver/resource-registry.js';
import { FakeClock } from '../machinery/clock.js';
import { IndexedStore } from '../machinery/indexed-store.js';
import {
  CONTENT_REMAINING,
  deletionConditions,
  FINALIZERS_REMAINING,
  namespacedContentKinds,
  NamespaceController,
  needsContentDeletion,
  recheckDelayMs,
  summarizeRemaining,
} from './namespace-controller.js';
import type { ContentKind, Namespace, NamespaceCondition } from './namespace-controller.js';

describe('namespacedContentKinds', () => {
  const kinds = namespacedContentKinds(RESOURCES);
  const names = kinds.map((k) => k.kind);

  it('covers every served namespaced kind and nothing cluster-scoped', () => {
    const expected = RESOURCES.filter((r) => r.namespaced).map((r) => r.kind);
    expect([...names].sort()).toEqual([...expected].sort());
    expect(names).not.toContain('Namespace');
    expect(names).not.toContain('Node');
  });

  it.each([
    ['Deployment', 'ReplicaSet'],
    ['Deployment', 'Pod'],
    ['ReplicaSet', 'Pod'],
    ['DaemonSet', 'Pod'],
    ['Service', 'Endpoints'],
    ['Pod', 'ConfigMap'],
    ['ConfigMap', 'Event'],
    ['Endpoints', 'Event'],
  ])('deletes %s before %s', (first, later) => {
    expect(names.indexOf(first)).toBeLessThan(names.indexOf(later));
  });

  it('names resources as upstream prints them in conditions', () => {
    expect(kinds.find((k) => k.kind === 'Pod')).toEqual({ apiVersion: 'v1', kind: 'Pod', resource: 'pods' });
    expect(kinds.find((k) => k.kind === 'Deployment')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      resource: 'deployments.apps',
    });
  });
});

describe('needsContentDeletion', () => {
  it.each<{ name: string; ns: Namespace; want: boolean }>([
    {
      name: 'an active namespace',
      ns: { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] } },
      want: false,
    },
    {
      name: 'a terminating namespace holding our finalizer',
      ns: { metadata: { name: 'a', deletionTimestamp: 't' }, spec: { finalizers: ['kubernetes'] } },
      want: true,
    },
    {
      name: 'a terminating namespace already finalized by us',
      ns: { metadata: { name: 'a', deletionTimestamp: 't' }, spec: { finalizers: ['other.io/x'] } },
      want: false,
    },
  ])('$name: $want', ({ ns, want }) => {
    expect(needsContentDeletion(ns)).toBe(want);
  });
});

const POD: ContentKind = { apiVersion: 'v1', kind: 'Pod', resource: 'pods' };
const CM: ContentKind = { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps' };

describe('summarizeRemaining and recheckDelayMs', () => {
  it('counts resources and finalizers and estimates from the slowest live pod', () => {
    const summary = summarizeRemaining([
      {
        kind: POD,
        items: [
          { metadata: { name: 'a' }, spec: { terminationGracePeriodSeconds: 10 } },
          { metadata: { name: 'b' } }, // the default 30 s
          {
            metadata: { name: 'c' },
            spec: { terminationGracePeriodSeconds: 600 },
            status: { phase: 'Failed' },
          },
        ],
      },
      { kind: CM, items: [{ metadata: { name: 'x', finalizers: ['example.com/hold'] } }] },
    ]);
    expect(summary.resources).toEqual(
      new Map([
        ['pods', 3],
        ['configmaps', 1],
      ]),
    );
    expect(summary.finalizers).toEqual(new Map([['example.com/hold', 1]]));
    expect(summary.estimateSeconds).toBe(30);
    expect(recheckDelayMs(summary, 60_000)).toBe(16_000);
    expect(recheckDelayMs(summary, 2_000)).toBe(2_000);
  });

  it('an empty namespace needs a second at most', () => {
    const summary = summarizeRemaining([{ kind: CM, items: [{ metadata: { name: 'x' } }] }]);
    expect(summary.estimateSeconds).toBe(0);
    expect(recheckDelayMs(summary, 60_000)).toBe(1_000);
  });
});

describe('deletionConditions', () => {
  const NOW = '2024-01-01T00:00:10Z';
  const byType = (cs: NamespaceCondition[]) => Object.fromEntries(cs.map((c) => [c.type, c]));

  it('reports remaining resources and finalizers with upstream messages', () => {
    const remaining = summarizeRemaining([
      { kind: CM, items: [{ metadata: { name: 'x', finalizers: ['example.com/hold'] } }] },
      { kind: POD, items: [{ metadata: { name: 'p' } }, { metadata: { name: 'q' } }] },
    ]);
    const got = byType(deletionConditions([], remaining, [], NOW));
    expect(got[CONTENT_REMAINING]).toEqual({
      type: CONTENT_REMAINING,
      status: 'True',
      reason: 'SomeResourcesRemain',
      message:
        'Some resources are remaining: configmaps has 1 resource instances, pods has 2 resource instances',
      lastTransitionTime: NOW,
    });
    expect(got[FINALIZERS_REMAINING]).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    });
    expect(got.NamespaceDeletionContentFailure).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
  });

  it('keeps the transition time of a condition that did not flip and others untouched', () => {
    const existing: NamespaceCondition[] = [
      { type: CONTENT_REMAINING, status: 'False', reason: 'ContentRemoved', lastTransitionTime: 'earlier' },
      { type: 'SomethingElse', status: 'True', lastTransitionTime: 'long ago' },
    ];
    const got = byType(deletionConditions(existing, summarizeRemaining([]), ['pods: boom'], NOW));
    expect(got[CONTENT_REMAINING].lastTransitionTime).toBe('earlier');
    expect(got.SomethingElse).toEqual(existing[1]);
    expect(got.NamespaceDeletionContentFailure).toMatchObject({
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: 'Failed to delete all resource types, 1 remaining: pods: boom',
      lastTransitionTime: NOW,
    });
  });
});

// --- sync against a fake API ------------------------------------------------------------------------

function fixture(
  ns: Namespace,
  content: Record<string, KubeObject[]>,
  stays: (obj: KubeObject) => boolean = () => false,
) {
  const store = new IndexedStore<Namespace>();
  store.upsert(structuredClone(ns));
  const actions: string[] = [];
  const clock = new FakeClock();
  const controller = new NamespaceController({
    client: {
      list: async (_v, kind) =>
        ({
          apiVersion: 'v1',
          kind: 'List',
          metadata: { resourceVersion: '1' },
          items: content[kind] ?? [],
        }) as never,
      delete: async (_v, kind, namespace, name, opts) => {
        actions.push(`delete ${kind} ${namespace}/${name} ${opts?.propagationPolicy}`);
        content[kind] = (content[kind] ?? []).filter((o) => o.metadata.name !== name || stays(o));
        return {} as never;
      },
      update: async (_v, kind, _ns, obj, opts) => {
        actions.push(`update ${kind}/${opts?.subresource} ${JSON.stringify((obj as Namespace).spec)}`);
        return obj as never;
      },
      updateStatus: async (_v, kind) => {
        actions.push(`status ${kind}`);
        return {} as never;
      },
    },
    namespaces: { store, addEventHandler: () => () => undefined, waitForSync: async () => true },
    kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments.apps' }, POD, CM],
    maxRecheckMs: 5_000,
    clock,
    log: () => undefined,
  });
  return { controller, actions, content, clock };
}

const terminating: Namespace = {
  metadata: { name: 'team', deletionTimestamp: '2024-01-01T00:00:00Z' },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Terminating' },
};

describe('NamespaceController.sync', () => {
  it('deletes all content in order, then finalizes the namespace', async () => {
    const f = fixture(terminating, {
      Pod: [{ metadata: { name: 'p1' } }],
      Deployment: [{ metadata: { name: 'web' } }],
      ConfigMap: [{ metadata: { name: 'cm' } }],
    });
    await f.controller.sync('team');
    expect(f.actions).toEqual([
      'delete Deployment team/web Background',
      'delete Pod team/p1 Background',
      'delete ConfigMap team/cm Background',
      'status Namespace',
      'update Namespace/finalize {"finalizers":[]}',
    ]);
  });

  it('does not finalize while content remains, and looks again later', async () => {
    const f = fixture(
      terminating,
      { ConfigMap: [{ metadata: { name: 'held', finalizers: ['example.com/hold'] } }] },
      (o) => Boolean(o.metadata.finalizers?.length),
    );
    await f.controller.sync('team');
    expect(f.actions).toEqual(['delete ConfigMap team/held Background', 'status Namespace']);
    expect(f.controller.queue.len()).toBe(0);
    await f.clock.advance(1_000);
    expect(f.controller.queue.len()).toBe(1);
  });

  it('does not delete again what is already being deleted, and waits for it', async () => {
    const f = fixture(terminating, {
      Pod: [{ metadata: { name: 'p1', deletionTimestamp: 't' }, spec: { terminationGracePeriodSeconds: 4 } }],
    });
    await f.controller.sync('team');
    expect(f.actions).toEqual(['status Namespace']);
    await f.clock.advance(2_999);
    expect(f.controller.queue.len()).toBe(0);
    await f.clock.advance(1);
    expect(f.controller.queue.len()).toBe(1);
  });

  it('leaves active namespaces and namespaces without our finalizer alone', async () => {
    for (const ns of [
      { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] } },
      { metadata: { name: 'team', deletionTimestamp: 't' }, spec: { finalizers: [] } },
    ]) {
      const f = fixture(ns, { Pod: [{ metadata: { name: 'p1' } }] });
      await f.controller.sync('team');
      expect(f.actions).toEqual([]);
    }
  });

  it('keeps other finalizers when finalizing', async () => {
    const f = fixture({ ...terminating, spec: { finalizers: ['example.com/x', 'kubernetes'] } }, {});
    await f.controller.sync('team');
    expect(f.actions).toContain('update Namespace/finalize {"finalizers":["example.com/x"]}');
  });
});
