import { makeNode, makePod, scoreOutcomes, snapshotOf } from '../testing/builders.js';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import {
  allocationScore,
  balancedAllocationScore,
  leastRequestedScore,
  mostRequestedScore,
} from './resource-allocation.js';

describe('per-resource scores', () => {
  it.each([
    [0, 4000, 100, 0],
    [1000, 4000, 75, 25],
    [4000, 4000, 0, 100],
    [5000, 4000, 0, 100],
    [1, 3, 66, 33],
    [1000, 0, 0, 0],
  ])(
    'requested %p of %p scores %p least-allocated and %p most-allocated',
    (requested, capacity, least, most) => {
      expect(leastRequestedScore(requested, capacity)).toBe(least);
      expect(mostRequestedScore(requested, capacity)).toBe(most);
    },
  );

  it('averages over the resources the node reports, skipping those it does not', () => {
    const resources = [
      { requested: 1000, allocatable: 4000 },
      { requested: 100, allocatable: 0 },
    ];
    expect(allocationScore(resources, leastRequestedScore)).toBe(75);
  });
});

describe('balancedAllocationScore', () => {
  it.each([
    {
      name: 'equal fractions are perfectly balanced',
      fractions: [
        [1, 4],
        [2, 8],
      ],
      want: 100,
    },
    {
      name: 'half CPU and no memory is off by a quarter',
      fractions: [
        [2, 4],
        [0, 8],
      ],
      want: 75,
    },
    {
      name: 'fractions over 1 are capped at 1',
      fractions: [
        [8, 4],
        [0, 8],
      ],
      want: 50,
    },
  ])('$name', ({ fractions, want }) => {
    expect(
      balancedAllocationScore(fractions.map(([requested, allocatable]) => ({ requested, allocatable }))),
    ).toBe(want);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  const snapshot = snapshotOf(
    [makeNode({ name: 'cpu-heavy' }), makeNode({ name: 'even' })],
    [
      makePod({ nodeName: 'cpu-heavy', requests: { cpu: '2' } }),
      makePod({ nodeName: 'even', requests: { cpu: '1', memory: '2Gi' } }),
    ],
  );

  // cpu-heavy after placing: CPU 3/4, memory 2/8 → 100 × (1 − 0.25); even: 2/4 and 4/8 → 100.
  it('prefers the node whose CPU and memory stay in proportion', () => {
    expect(
      scoreOutcomes(
        new NodeResourcesBalancedAllocation(),
        makePod({ requests: { cpu: '1', memory: '2Gi' } }),
        snapshot,
      ),
    ).toEqual({
      'cpu-heavy': 75,
      even: 100,
    });
  });

  it('sits out for pods that request nothing', () => {
    expect(scoreOutcomes(new NodeResourcesBalancedAllocation(), makePod(), snapshot)).toBe('Skip');
  });
});
