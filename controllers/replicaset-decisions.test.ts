import type { Pod } from './workload-types.js';
import {
  calculateReplicaSetStatus,
  comparePodsForDeletion,
  manageReplicasDiff,
  podFromTemplate,
  podsToDelete,
  replicaSetStatusChanged,
} from './replicaset-decisions.js';
import { T0 } from './testing/fixture.js';
import { at, newPod, newReplicaSet } from './testing/builders.js';
import type { PodShape } from './testing/builders.js';

const NOW = T0 + 3600_000;

describe('manageReplicasDiff', () => {
  it.each([
    { active: 0, desired: 3, want: { create: 3, delete: 0 } },
    { active: 3, desired: 3, want: { create: 0, delete: 0 } },
    { active: 5, desired: 2, want: { create: 0, delete: 3 } },
    { active: 0, desired: 1000, want: { create: 500, delete: 0 } },
    { active: 900, desired: 0, want: { create: 0, delete: 500 } },
  ])('goes from $active to $desired pods with $want', ({ active, desired, want }) => {
    expect(manageReplicasDiff(active, desired)).toEqual(want);
  });
});

describe('comparePodsForDeletion', () => {
  const ranked = (shape: PodShape, rank = 0, name = 'p') => ({ pod: newPod(name, shape), rank });
  const running = { phase: 'Running' as const, node: 'n1' };

  it.each([
    {
      name: 'an unscheduled pod goes before a scheduled one',
      first: ranked({}),
      second: ranked({ node: 'n1' }),
    },
    {
      name: 'a pending pod goes before an unknown one',
      first: ranked({ phase: 'Pending', node: 'n1' }),
      second: ranked({ phase: 'Unknown', node: 'n1' }),
    },
    {
      name: 'an unknown pod goes before a running one',
      first: ranked({ phase: 'Unknown', node: 'n1' }),
      second: ranked(running),
    },
    {
      name: 'a pod that is not ready goes before a ready one',
      first: ranked(running),
      second: ranked({ ...running, readyAt: 10 }),
    },
    {
      name: 'a lower pod-deletion-cost goes first',
      first: ranked({
        ...running,
        readyAt: 10,
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-5' },
      }),
      second: ranked({ ...running, readyAt: 10 }),
    },
    {
      name: 'a pod on a node crowded with related pods goes first',
      first: ranked({ ...running, readyAt: 10 }, 3),
      second: ranked({ ...running, readyAt: 10 }, 1),
    },
    {
      name: 'a pod ready for a shorter time goes first (in another power-of-two bucket)',
      first: ranked({ ...running, readyAt: 3000 }),
      second: ranked({ ...running, readyAt: 10 }),
    },
    {
      name: 'a pod with more restarts goes first',
      first: ranked({ ...running, readyAt: 10, restarts: 4 }),
      second: ranked({ ...running, readyAt: 10, restarts: 1 }),
    },
    {
      name: 'a newer pod goes first',
      first: ranked({ ...running, readyAt: 10, createdAt: 3000 }),
      second: ranked({ ...running, readyAt: 10, createdAt: 0 }),
    },
  ])('$name', ({ first, second }) => {
    expect(comparePodsForDeletion(first, second, NOW)).toBeLessThan(0);
    expect(comparePodsForDeletion(second, first, NOW)).toBeGreaterThan(0);
  });

  it('orders pods of about the same age by uid instead of by exact age', () => {
    const a = { pod: newPod('a', { ...running, createdAt: 0 }), rank: 0 };
    const b = { pod: newPod('b', { ...running, createdAt: 1 }), rank: 0 };
    // b is a second newer, but both are about an hour old: same log2 bucket, so uid decides.
    expect(comparePodsForDeletion(a, b, NOW)).toBeLessThan(0);
  });
});

describe('podsToDelete', () => {
  it('picks the least valuable pods', () => {
    const pods = [
      newPod('ready-old', { phase: 'Running', node: 'n1', readyAt: 10 }),
      newPod('pending', { node: 'n1' }),
      newPod('unscheduled'),
      newPod('not-ready', { phase: 'Running', node: 'n2' }),
    ];
    expect(podsToDelete(pods, pods, 3, NOW).map((p) => p.metadata.name)).toEqual([
      'unscheduled',
      'pending',
      'not-ready',
    ]);
  });

  it('prefers pods on nodes running more related pods', () => {
    const pods = ['a', 'b', 'c'].map((n, i) =>
      newPod(n, { phase: 'Running', node: i === 2 ? 'busy' : `n${i}`, readyAt: 10 }),
    );
    const related = [...pods, newPod('sibling', { phase: 'Running', node: 'busy', readyAt: 10 })];
    expect(podsToDelete(pods, related, 1, NOW).map((p) => p.metadata.name)).toEqual(['c']);
  });

  it('returns every pod when asked for as many or more', () => {
    const pods = [newPod('a'), newPod('b')];
    expect(podsToDelete(pods, pods, 5, NOW)).toHaveLength(2);
  });
});

describe('podFromTemplate', () => {
  it('builds the pod from the template, named after and controlled by the ReplicaSet', () => {
    const rs = newReplicaSet('web', 1);
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web',
      uid: 'uid-web',
      controller: true,
      blockOwnerDeletion: true,
    };
    expect(podFromTemplate(rs, ref)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'web-',
        namespace: 'default',
        labels: { app: 'web', tier: 'front' },
        annotations: { note: 'x' },
        ownerReferences: [ref],
      },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
  });
});

describe('calculateReplicaSetStatus', () => {
  const rs = newReplicaSet('web', 3, { minReadySeconds: 30, generation: 4 });
  const pods: Pod[] = [
    newPod('available', { phase: 'Running', node: 'n', readyAt: 0 }),
    newPod('just-ready', { phase: 'Running', node: 'n', readyAt: 3590 }),
    newPod('partly-labelled', { labels: { app: 'web' } }),
  ];

  it.each([
    {
      name: 'counts replicas, fully labelled, ready and available (minReadySeconds) pods',
      pods,
      error: undefined,
      want: {
        replicas: 3,
        fullyLabeledReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 1,
        observedGeneration: 4,
      },
    },
    {
      name: 'leaves zero counts out',
      pods: [],
      error: undefined,
      want: { replicas: 0, observedGeneration: 4 },
    },
    {
      name: 'raises ReplicaFailure/FailedCreate when creating failed',
      pods: pods.slice(0, 1),
      error: new Error('quota exceeded'),
      want: {
        replicas: 1,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'quota exceeded',
            lastTransitionTime: at(3600),
          },
        ],
      },
    },
  ])('$name', ({ pods: input, error, want }) => {
    expect(calculateReplicaSetStatus(rs, input, error, NOW)).toMatchObject(want);
    if (!('conditions' in want))
      expect(calculateReplicaSetStatus(rs, input, error, NOW).conditions).toBeUndefined();
  });

  it('clears ReplicaFailure after a clean sync', () => {
    const failing = newReplicaSet('web', 1, {
      status: {
        replicas: 0,
        conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }],
      },
    });
    expect(calculateReplicaSetStatus(failing, [], undefined, NOW).conditions).toBeUndefined();
  });

  it('keeps an existing ReplicaFailure as it was while creating still fails', () => {
    const condition = {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: 'old',
      lastTransitionTime: at(0),
    };
    const failing = newReplicaSet('web', 1, { status: { replicas: 0, conditions: [condition] } });
    expect(calculateReplicaSetStatus(failing, [], new Error('new'), NOW).conditions).toEqual([condition]);
  });
});

describe('replicaSetStatusChanged', () => {
  it.each([
    {
      name: 'nothing changed',
      status: { replicas: 2, readyReplicas: 1, observedGeneration: 3 },
      want: false,
    },
    {
      name: 'the ready count changed',
      status: { replicas: 2, readyReplicas: 2, observedGeneration: 3 },
      want: true,
    },
    {
      name: 'a condition appeared',
      status: {
        replicas: 2,
        readyReplicas: 1,
        observedGeneration: 3,
        conditions: [{ type: 'ReplicaFailure', status: 'True' }],
      },
      want: true,
    },
  ])('is $want when $name', ({ status, want }) => {
    const rs = newReplicaSet('web', 2, {
      generation: 3,
      status: { replicas: 2, readyReplicas: 1, observedGeneration: 3 },
    });
    expect(replicaSetStatusChanged(rs, status)).toBe(want);
  });

  it('is true when the generation moved on', () => {
    const rs = newReplicaSet('web', 2, { generation: 4, status: { replicas: 2, observedGeneration: 3 } });
    expect(replicaSetStatusChanged(rs, { replicas: 2, observedGeneration: 4 })).toBe(true);
  });
});
