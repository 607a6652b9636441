import {
  findNewReplicaSet,
  findOldReplicaSets,
  maxSurge,
  maxUnavailable,
  resolveFenceposts,
  scaledValue,
  setNewReplicaSetAnnotations,
} from './deployment-util.js';
import { newDeployment, replicaSetOf } from './testing/builders.js';

describe('scaledValue', () => {
  it.each([
    { value: 3, total: 10, roundUp: true, want: 3 },
    { value: '25%', total: 10, roundUp: true, want: 3 },
    { value: '25%', total: 10, roundUp: false, want: 2 },
    { value: '100%', total: 7, roundUp: false, want: 7 },
    { value: '0%', total: 7, roundUp: true, want: 0 },
    { value: undefined, total: 7, roundUp: true, want: 0 },
  ])('scales $value of $total (round up: $roundUp) to $want', ({ value, total, roundUp, want }) => {
    expect(scaledValue(value, total, roundUp)).toBe(want);
  });

  it('rejects a string that is not a percentage', () => {
    expect(() => scaledValue('3', 10, true)).toThrow(/not a percentage/);
  });
});

describe('resolveFenceposts', () => {
  it.each([
    { surge: '25%', unavailable: '25%', desired: 10, want: { surge: 3, unavailable: 2 } },
    { surge: 1, unavailable: 0, desired: 10, want: { surge: 1, unavailable: 0 } },
    { surge: '50%', unavailable: '50%', desired: 3, want: { surge: 2, unavailable: 1 } },
    { surge: 0, unavailable: '10%', desired: 5, want: { surge: 0, unavailable: 1 } },
    { surge: undefined, unavailable: undefined, desired: 5, want: { surge: 0, unavailable: 1 } },
  ])(
    'resolves surge $surge / unavailable $unavailable of $desired to $want',
    ({ surge, unavailable, desired, want }) => {
      expect(resolveFenceposts(surge, unavailable, desired)).toEqual(want);
    },
  );

  it('caps maxUnavailable at the replica count and ignores both for Recreate', () => {
    const rolling = newDeployment('web', 2, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } },
    });
    expect(maxUnavailable(rolling)).toBe(2);
    const recreate = newDeployment('web', 2, { strategy: { type: 'Recreate' } });
    expect([maxSurge(recreate), maxUnavailable(recreate)]).toEqual([0, 0]);
  });
});

describe('findNewReplicaSet / findOldReplicaSets', () => {
  it('finds the oldest ReplicaSet with the current template and calls the rest old', () => {
    const d = newDeployment('web', 3, { image: 'nginx:2' });
    const old = replicaSetOf(d, 'a', 3, { image: 'nginx:1', createdAt: 0 });
    const current = replicaSetOf(d, 'b', 0, { createdAt: 10 });
    const duplicate = replicaSetOf(d, 'c', 0, { createdAt: 20 });
    expect(findNewReplicaSet(d, [duplicate, old, current])?.metadata.name).toBe('web-b');
    expect(findOldReplicaSets(d, [duplicate, old, current]).map((rs) => rs.metadata.name)).toEqual([
      'web-c',
      'web-a',
    ]);
  });
});

describe('setNewReplicaSetAnnotations', () => {
  it('gives a new ReplicaSet the revision, the replica annotations and the Deployment annotations', () => {
    const d = newDeployment('web', 4, {
      annotations: {
        'kubernetes.io/change-cause': 'bump',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'deployment.kubernetes.io/revision': '7',
      },
    });
    const rs = replicaSetOf(d, 'a', 0);
    expect(setNewReplicaSetAnnotations(d, rs, 3, false)).toBe(true);
    expect(rs.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'bump',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
  });

  it('moves a rolled-back ReplicaSet to the new revision and remembers its old ones', () => {
    const d = newDeployment('web', 4);
    const rs = replicaSetOf(d, 'a', 0, {
      revision: 2,
      annotations: { 'deployment.kubernetes.io/revision-history': '1' },
    });
    expect(setNewReplicaSetAnnotations(d, rs, 5, true)).toBe(true);
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '5',
      'deployment.kubernetes.io/revision-history': '1,2',
    });
  });

  it('never lowers a revision and reports no change when all is current', () => {
    const d = newDeployment('web', 4);
    const rs = replicaSetOf(d, 'a', 0, { revision: 6 });
    expect(setNewReplicaSetAnnotations(d, rs, 5, true)).toBe(false);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('6');
  });
});
