import {
  calculateDeploymentStatus,
  deploymentStatusChanged,
  progressCheckDelay,
  rolloutStatus,
  setCondition,
} from './deployment-status.js';
import type { Deployment, DeploymentCondition, DeploymentStatus } from './workload-types.js';
import { T0 } from './testing/fixture.js';
import { at, newDeployment, replicaSetOf } from './testing/builders.js';

const NOW = T0 + 1000_000;
const nowText = at(1000);

function progressing(
  reason: string,
  lastUpdate: number,
  status: 'True' | 'False' | 'Unknown' = 'True',
): DeploymentCondition {
  return {
    type: 'Progressing',
    status,
    reason,
    message: '',
    lastUpdateTime: at(lastUpdate),
    lastTransitionTime: at(lastUpdate),
  };
}

describe('calculateDeploymentStatus', () => {
  it('sums the ReplicaSets and reports availability against maxUnavailable', () => {
    const d = newDeployment('web', 4, { generation: 3 });
    const old = replicaSetOf(d, 'old', 2, { image: 'x', available: 2, ready: 2 });
    const fresh = replicaSetOf(d, 'new', 3, { available: 1, ready: 2 });
    expect(calculateDeploymentStatus([old, fresh], fresh, d, NOW)).toEqual({
      observedGeneration: 3,
      replicas: 5,
      updatedReplicas: 3,
      readyReplicas: 4,
      availableReplicas: 3,
      unavailableReplicas: 2,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: nowText,
          lastTransitionTime: nowText,
        },
      ],
    });
  });

  it('reports Available=False below the minimum and never negative unavailability', () => {
    const d = newDeployment('web', 4, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const fresh = replicaSetOf(d, 'new', 4, { available: 3 });
    const status = calculateDeploymentStatus([fresh], fresh, d, NOW);
    expect(status.conditions?.[0]).toMatchObject({
      type: 'Available',
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    const shrinking = replicaSetOf(d, 'new', 2, { available: 5, current: 5 });
    expect(calculateDeploymentStatus([shrinking], shrinking, d, NOW).unavailableReplicas).toBe(0);
  });
});

describe('setCondition', () => {
  it('keeps the transition time when only the reason changes, and ignores a repeat', () => {
    const status: DeploymentStatus = { conditions: [progressing('NewReplicaSetCreated', 10)] };
    setCondition(status, progressing('ReplicaSetUpdated', 20));
    expect(status.conditions).toEqual([
      { ...progressing('ReplicaSetUpdated', 20), lastTransitionTime: at(10) },
    ]);
    setCondition(status, progressing('ReplicaSetUpdated', 30));
    expect(status.conditions?.[0].lastUpdateTime).toBe(at(20));
  });
});

describe('rolloutStatus', () => {
  const d = (extra: { status?: Deployment['status']; progressDeadlineSeconds?: number } = {}) =>
    newDeployment('web', 2, { status: extra.status, progressDeadlineSeconds: extra.progressDeadlineSeconds });
  const rolling = (dep: Deployment, newAvailable: number, oldSize: number) => {
    const old = replicaSetOf(dep, 'old', oldSize, { image: 'old', available: oldSize });
    const fresh = replicaSetOf(dep, 'new', 2, { available: newAvailable });
    return { all: [old, fresh], fresh };
  };

  it.each([
    {
      name: 'marks a finished rollout NewReplicaSetAvailable',
      status: {
        replicas: 3,
        updatedReplicas: 2,
        availableReplicas: 2,
        conditions: [progressing('ReplicaSetUpdated', 900)],
      },
      newAvailable: 2,
      oldSize: 0,
      want: {
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: 'ReplicaSet "web-new" has successfully progressed.',
      },
    },
    {
      name: 'refreshes ReplicaSetUpdated on progress, keeping the transition time',
      status: {
        replicas: 3,
        updatedReplicas: 2,
        availableReplicas: 1,
        conditions: [progressing('NewReplicaSetCreated', 900)],
      },
      newAvailable: 1,
      oldSize: 0,
      want: {
        status: 'True',
        reason: 'ReplicaSetUpdated',
        lastUpdateTime: nowText,
        lastTransitionTime: at(900),
      },
    },
    {
      name: 'times out when nothing moved for the deadline',
      status: {
        replicas: 3,
        updatedReplicas: 2,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [progressing('ReplicaSetUpdated', 300)],
      },
      newAvailable: 0,
      oldSize: 1,
      want: {
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "web-new" has timed out progressing.',
      },
    },
    {
      name: 'waits quietly before the deadline',
      status: {
        replicas: 3,
        updatedReplicas: 2,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [progressing('ReplicaSetUpdated', 500)],
      },
      newAvailable: 0,
      oldSize: 1,
      want: { status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: at(500) },
    },
  ])('$name', ({ status, newAvailable, oldSize, want }) => {
    const dep = d({ status });
    const { all, fresh } = rolling(dep, newAvailable, oldSize);
    const result = rolloutStatus(all, fresh, dep, NOW);
    expect(result.conditions?.find((c) => c.type === 'Progressing')).toMatchObject(want);
  });

  it('drops Progressing without a deadline and copies a ReplicaSet failure', () => {
    const dep = d({
      status: { conditions: [progressing('ReplicaSetUpdated', 0)] },
      progressDeadlineSeconds: 2 ** 31 - 1,
    });
    const { all, fresh } = rolling(dep, 0, 0);
    fresh.status!.conditions = [
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'quota',
        lastTransitionTime: at(5),
      },
    ];
    const result = rolloutStatus(all, fresh, dep, NOW);
    expect(result.conditions?.map((c) => c.type)).toEqual(['Available', 'ReplicaFailure']);
    expect(result.conditions?.[1]).toMatchObject({ reason: 'FailedCreate', lastUpdateTime: at(5) });
  });
});

describe('progressCheckDelay', () => {
  it.each([
    { name: 'the rest of the deadline plus a second', updated: 900, want: 500_000 + 1000 },
    { name: 'at once when the deadline is (almost) up', updated: 400, want: 0 },
  ])('is $name', ({ updated, want }) => {
    const dep = newDeployment('web', 2, {
      status: { conditions: [progressing('ReplicaSetUpdated', updated)] },
    });
    expect(progressCheckDelay(dep, { replicas: 3, updatedReplicas: 1 }, NOW)).toBe(want);
  });

  it('is undefined once complete', () => {
    const dep = newDeployment('web', 2, { status: { conditions: [progressing('ReplicaSetUpdated', 900)] } });
    const done = { replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 1 };
    expect(progressCheckDelay(dep, done, NOW)).toBeUndefined();
  });
});

describe('deploymentStatusChanged', () => {
  it('treats missing counts as zero', () => {
    const dep = newDeployment('web', 0, { status: { observedGeneration: 1 } });
    expect(deploymentStatusChanged(dep, { observedGeneration: 1, replicas: 0, unavailableReplicas: 0 })).toBe(
      false,
    );
    expect(deploymentStatusChanged(dep, { observedGeneration: 2 })).toBe(true);
  });
});
