import { PodInfo } from '../pod-info.js';
import {
  filterOutcomes,
  makeNode,
  makePod,
  nodeInfoOf,
  scoreOutcomes,
  snapshotOf,
} from '../testing/builders.js';
import { NodeResourcesFit, fitsRequest } from './node-resources-fit.js';

describe('fitsRequest', () => {
  const node = makeNode({ name: 'n', allocatable: { cpu: '2', memory: '2Gi', pods: '3' } });
  const used = makePod({ nodeName: 'n', requests: { cpu: '1500m', memory: '1Gi' } });

  it.each([
    {
      name: 'a pod that fits in what is left reports nothing',
      pod: makePod({ requests: { cpu: '500m', memory: '1Gi' } }),
      placed: [used],
      want: [],
    },
    {
      name: 'a pod asking for more CPU than is left reports Insufficient cpu',
      pod: makePod({ requests: { cpu: '501m' } }),
      placed: [used],
      want: [
        {
          resourceName: 'cpu',
          reason: 'Insufficient cpu',
          requested: 501,
          used: 1500,
          capacity: 2000,
          unresolvable: false,
        },
      ],
    },
    {
      name: 'every insufficient resource is reported, not just the first',
      pod: makePod({ requests: { cpu: '1', memory: '2Gi' } }),
      placed: [used],
      want: [
        {
          resourceName: 'cpu',
          reason: 'Insufficient cpu',
          requested: 1000,
          used: 1500,
          capacity: 2000,
          unresolvable: false,
        },
        {
          resourceName: 'memory',
          reason: 'Insufficient memory',
          requested: 2 * 1024 ** 3,
          used: 1024 ** 3,
          capacity: 2 * 1024 ** 3,
          unresolvable: false,
        },
      ],
    },
    {
      name: 'a pod bigger than the whole node is unresolvable',
      pod: makePod({ requests: { cpu: '3' } }),
      placed: [],
      want: [
        {
          resourceName: 'cpu',
          reason: 'Insufficient cpu',
          requested: 3000,
          used: 0,
          capacity: 2000,
          unresolvable: true,
        },
      ],
    },
    {
      name: 'a full node reports Too many pods even for a pod requesting nothing',
      pod: makePod(),
      placed: [makePod({ nodeName: 'n' }), makePod({ nodeName: 'n' }), makePod({ nodeName: 'n' })],
      want: [
        {
          resourceName: 'pods',
          reason: 'Too many pods',
          requested: 1,
          used: 3,
          capacity: 3,
          unresolvable: false,
        },
      ],
    },
    {
      name: 'init containers count with the largest step, not summed',
      pod: makePod({ requests: { cpu: '100m' }, initContainers: [{ cpu: '600m' }] }),
      placed: [used],
      want: [
        {
          resourceName: 'cpu',
          reason: 'Insufficient cpu',
          requested: 600,
          used: 1500,
          capacity: 2000,
          unresolvable: false,
        },
      ],
    },
    {
      name: 'pod overhead counts towards the request',
      pod: makePod({ requests: { cpu: '500m' }, overhead: { cpu: '1m' } }),
      placed: [used],
      want: [
        {
          resourceName: 'cpu',
          reason: 'Insufficient cpu',
          requested: 501,
          used: 1500,
          capacity: 2000,
          unresolvable: false,
        },
      ],
    },
  ])('$name', ({ pod, placed, want }) => {
    expect(fitsRequest(PodInfo.of(pod).requests, nodeInfoOf(node, placed))).toEqual(want);
  });
});

describe('NodeResourcesFit Filter', () => {
  it('rejects with all reasons, Unschedulable when preemption could help', () => {
    const node = makeNode({ name: 'n', allocatable: { cpu: '1', memory: '1Gi', pods: '1' } });
    const snapshot = snapshotOf([node], [makePod({ nodeName: 'n', requests: { cpu: '1', memory: '1Gi' } })]);
    expect(
      filterOutcomes(new NodeResourcesFit(), makePod({ requests: { cpu: '1', memory: '1Gi' } }), snapshot),
    ).toEqual({
      n: { code: 'Unschedulable', reasons: ['Too many pods', 'Insufficient cpu', 'Insufficient memory'] },
    });
  });

  it('rejects as UnschedulableAndUnresolvable when the pod exceeds the empty node', () => {
    const snapshot = snapshotOf([
      makeNode({ name: 'n', allocatable: { cpu: '1', memory: '1Gi', pods: '10' } }),
    ]);
    expect(
      filterOutcomes(new NodeResourcesFit(), makePod({ requests: { memory: '2Gi' } }), snapshot),
    ).toEqual({
      n: { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient memory'] },
    });
  });
});

describe('NodeResourcesFit Score', () => {
  // 4 CPU / 8Gi nodes; "busy" already has 3 CPU and 6Gi requested.
  const snapshot = snapshotOf(
    [makeNode({ name: 'idle' }), makeNode({ name: 'busy' })],
    [makePod({ nodeName: 'busy', requests: { cpu: '3', memory: '6Gi' } })],
  );
  const pod = makePod({ requests: { cpu: '1', memory: '2Gi' } });

  it.each([
    {
      strategy: 'LeastAllocated' as const,
      want: { idle: 75, busy: 0 },
      name: 'LeastAllocated prefers the node with the most room left',
    },
    {
      strategy: 'MostAllocated' as const,
      want: { idle: 25, busy: 100 },
      name: 'MostAllocated prefers the node it fills up',
    },
  ])('$name', ({ strategy, want }) => {
    expect(scoreOutcomes(new NodeResourcesFit({ scoringStrategy: strategy }), pod, snapshot)).toEqual(want);
  });

  it('scores pods without requests as if they asked for 100m and 200Mi', () => {
    const small = snapshotOf([
      makeNode({ name: 'n', allocatable: { cpu: '1', memory: '2000Mi', pods: '10' } }),
    ]);
    // CPU: (1000 − 100) / 1000 → 90; memory: (2000 − 200) / 2000 → 90.
    expect(scoreOutcomes(new NodeResourcesFit(), makePod(), small)).toEqual({ n: 90 });
  });
});
