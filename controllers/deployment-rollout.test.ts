import {
  findActiveOrLatest,
  newReplicaSetReplicas,
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  replicaSetsToCleanUp,
  scaleSteps,
} from './deployment-rollout.js';
import type { ScaleStep } from './deployment-rollout.js';
import type { Deployment } from './workload-types.js';
import { newDeployment, newPod, replicaSetOf } from './testing/builders.js';

const rolling = (replicas: number, maxSurge: number | string, maxUnavailable: number | string): Deployment =>
  newDeployment('web', replicas, {
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
  });

const sizes = (steps: ScaleStep[]) => steps.map((s) => `${s.rs.metadata.name}=${s.replicas}`);

describe('reconcileNewReplicaSet', () => {
  it.each([
    {
      name: 'grows by maxSurge while the old pods still run',
      d: rolling(10, 1, 0),
      oldSize: 10,
      newSize: 0,
      want: 1,
    },
    {
      name: 'waits while the surge is used up',
      d: rolling(10, 1, 0),
      oldSize: 10,
      newSize: 1,
      want: undefined,
    },
    {
      name: 'grows into room left by scaled-down old pods',
      d: rolling(10, 1, 0),
      oldSize: 7,
      newSize: 3,
      want: 4,
    },
    {
      name: 'grows by percentages rounded up',
      d: rolling(10, '25%', '25%'),
      oldSize: 10,
      newSize: 0,
      want: 3,
    },
    { name: 'never grows past the replica count', d: rolling(4, 10, 0), oldSize: 1, newSize: 2, want: 4 },
    { name: 'shrinks when larger than the Deployment', d: rolling(3, 1, 0), oldSize: 0, newSize: 5, want: 3 },
    {
      name: 'leaves a finished ReplicaSet alone',
      d: rolling(3, 1, 0),
      oldSize: 0,
      newSize: 3,
      want: undefined,
    },
  ])('$name', ({ d, oldSize, newSize, want }) => {
    const old = replicaSetOf(d, 'old', oldSize, { image: 'nginx:0', available: oldSize });
    const fresh = replicaSetOf(d, 'new', newSize);
    expect(reconcileNewReplicaSet(d, [old, fresh], fresh)).toBe(want);
  });

  it('sizes a Recreate ReplicaSet at the full count at once', () => {
    const d = newDeployment('web', 5, { strategy: { type: 'Recreate' } });
    const fresh = replicaSetOf(d, 'new', 0);
    expect(newReplicaSetReplicas(d, [fresh], fresh)).toBe(5);
  });
});

describe('reconcileOldReplicaSets', () => {
  it.each([
    {
      name: 'keeps every old pod while the new one is not available (maxUnavailable 0)',
      d: rolling(10, 1, 0),
      old: { size: 10, available: 10 },
      fresh: { size: 1, available: 0 },
      want: [],
    },
    {
      name: 'removes one old pod per available new pod (maxUnavailable 0)',
      d: rolling(10, 1, 0),
      old: { size: 10, available: 10 },
      fresh: { size: 1, available: 1 },
      want: ['web-old=9'],
    },
    {
      name: 'may go maxUnavailable below the count',
      d: rolling(10, 0, 3),
      old: { size: 10, available: 10 },
      fresh: { size: 0, available: 0 },
      want: ['web-old=7'],
    },
    {
      name: 'removes unhealthy old pods first, within the budget',
      d: rolling(4, 1, 1),
      old: { size: 4, available: 2 },
      fresh: { size: 1, available: 0 },
      want: ['web-old=3'],
    },
    {
      name: 'does nothing when no old pods are left',
      d: rolling(4, 1, 1),
      old: { size: 0, available: 0 },
      fresh: { size: 4, available: 4 },
      want: [],
    },
  ])('$name', ({ d, old, fresh, want }) => {
    const oldRS = replicaSetOf(d, 'old', old.size, { image: 'nginx:0', available: old.available });
    const newRS = replicaSetOf(d, 'new', fresh.size, { available: fresh.available });
    const active = old.size > 0 ? [oldRS] : [];
    expect(sizes(reconcileOldReplicaSets(d, [oldRS, newRS], active, newRS))).toEqual(want);
  });

  it('shrinks the oldest ReplicaSets first', () => {
    const d = rolling(4, 0, 2);
    const older = replicaSetOf(d, 'a', 2, { image: 'v1', available: 2, createdAt: 0 });
    const newer = replicaSetOf(d, 'b', 2, { image: 'v2', available: 2, createdAt: 10 });
    const fresh = replicaSetOf(d, 'c', 0, { createdAt: 20 });
    expect(sizes(reconcileOldReplicaSets(d, [newer, older, fresh], [newer, older], fresh))).toEqual([
      'web-a=0',
    ]);
  });
});

describe('scaleSteps', () => {
  const withMax = (rs: ReturnType<typeof replicaSetOf>, max: number) => {
    rs.metadata.annotations = {
      ...rs.metadata.annotations,
      'deployment.kubernetes.io/max-replicas': String(max),
    };
    return rs;
  };

  it('resizes the only active ReplicaSet', () => {
    const d = rolling(8, 1, 0);
    const only = replicaSetOf(d, 'a', 4);
    expect(sizes(scaleSteps(d, only, [replicaSetOf(d, 'b', 0, { image: 'old' })]))).toEqual(['web-a=8']);
  });

  it('grows the newest ReplicaSet when none is active', () => {
    const d = rolling(2, 1, 0);
    const older = replicaSetOf(d, 'a', 0, { image: 'old', createdAt: 0 });
    const newer = replicaSetOf(d, 'b', 0, { image: 'older', createdAt: 10 });
    expect(sizes(scaleSteps(d, undefined, [older, newer]))).toEqual(['web-b=2']);
  });

  it('empties the old ReplicaSets once the new one is saturated', () => {
    const d = rolling(3, 1, 0);
    const fresh = replicaSetOf(d, 'new', 3, {
      available: 3,
      annotations: { 'deployment.kubernetes.io/desired-replicas': '3' },
    });
    const old = replicaSetOf(d, 'old', 1, { image: 'old', available: 1 });
    expect(sizes(scaleSteps(d, fresh, [old]))).toEqual(['web-old=0']);
  });

  it.each([
    {
      name: 'spreads a scale-up in proportion (10 → 15, 19 with its surge)',
      replicas: 15,
      want: ['web-old=12', 'web-new=7'],
    },
    {
      name: 'spreads a scale-down in proportion (10 → 5, 7 with its surge)',
      replicas: 5,
      want: ['web-old=4', 'web-new=3'],
    },
    { name: 'empties everything when scaled to zero', replicas: 0, want: ['web-old=0', 'web-new=0'] },
  ])('$name mid rollout', ({ replicas, want }) => {
    // Mid rollout of 10 replicas with maxSurge 25% (3): 8 old + 5 new = 13 = 10 + 3.
    const d = rolling(replicas, '25%', '25%');
    const old = withMax(replicaSetOf(d, 'old', 8, { image: 'old', available: 8 }), 13);
    const fresh = withMax(replicaSetOf(d, 'new', 5, { available: 2 }), 13);
    const steps = scaleSteps(d, fresh, [old]);
    expect(sizes(steps)).toEqual(want);
    expect(steps.every((s) => s.syncAnnotations)).toBe(true);
  });
});

describe('findActiveOrLatest', () => {
  it('is undefined while two ReplicaSets are active', () => {
    const d = rolling(2, 1, 0);
    expect(
      findActiveOrLatest(replicaSetOf(d, 'a', 1), [replicaSetOf(d, 'b', 1, { image: 'x' })]),
    ).toBeUndefined();
  });
});

describe('oldPodsRunning', () => {
  const d = newDeployment('web', 1, { strategy: { type: 'Recreate' } });
  const old = replicaSetOf(d, 'old', 0, { image: 'old', current: 0 });
  const fresh = replicaSetOf(d, 'new', 1);
  it.each([
    { name: 'no old pods', pods: [], want: false },
    { name: 'a finished old pod', pods: [newPod('p', { phase: 'Succeeded' })], want: false },
    { name: 'a pending old pod', pods: [newPod('p', { phase: 'Pending' })], want: true },
    { name: 'an old pod in an unknown state', pods: [newPod('p', { phase: 'Unknown' })], want: true },
  ])('is $want with $name', ({ pods, want }) => {
    const byRS = new Map([
      [old.metadata.uid!, pods],
      [fresh.metadata.uid!, [newPod('n', { phase: 'Running' })]],
    ]);
    expect(oldPodsRunning(fresh, [old], byRS)).toBe(want);
  });

  it('is true while an old ReplicaSet still reports pods', () => {
    expect(oldPodsRunning(fresh, [replicaSetOf(d, 'x', 0, { image: 'x', current: 1 })], new Map())).toBe(
      true,
    );
  });
});

describe('replicaSetsToCleanUp', () => {
  it('deletes the lowest revisions beyond the limit, skipping any not yet empty', () => {
    const d = newDeployment('web', 1, { revisionHistoryLimit: 1 });
    const r1 = replicaSetOf(d, 'r1', 0, { image: '1', revision: 1 });
    const r2 = replicaSetOf(d, 'r2', 0, { image: '2', revision: 2, current: 1 });
    const r3 = replicaSetOf(d, 'r3', 0, { image: '3', revision: 3 });
    const r4 = replicaSetOf(d, 'r4', 0, { image: '4', revision: 4 });
    expect(replicaSetsToCleanUp(d, [r4, r3, r2, r1]).map((rs) => rs.metadata.name)).toEqual([
      'web-r1',
      'web-r3',
    ]);
  });

  it('keeps everything without a limit', () => {
    const d = newDeployment('web', 1);
    d.spec!.revisionHistoryLimit = undefined;
    expect(replicaSetsToCleanUp(d, [replicaSetOf(d, 'a', 0, { image: 'x' })])).toEqual([]);
  });
});
