import { makeNode, makePod, filterOutcomes, snapshotOf } from '../testing/builders.js';
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable } from './node-unschedulable.js';

describe('NodeUnschedulable', () => {
  const snapshot = snapshotOf([
    makeNode({ name: 'open' }),
    makeNode({ name: 'cordoned', unschedulable: true }),
  ]);
  const rejected = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_UNSCHEDULABLE] };

  it.each([
    { name: 'an ordinary pod avoids a cordoned node', tolerations: undefined, cordoned: rejected },
    {
      name: 'a pod tolerating node.kubernetes.io/unschedulable:NoSchedule may use a cordoned node',
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      cordoned: 'Success',
    },
    {
      name: 'a pod tolerating every taint may use a cordoned node',
      tolerations: [{ operator: 'Exists' }],
      cordoned: 'Success',
    },
    {
      name: 'tolerating the taint with the NoExecute effect is not enough',
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }],
      cordoned: rejected,
    },
  ])('$name', ({ tolerations, cordoned }) => {
    expect(filterOutcomes(new NodeUnschedulable(), makePod({ tolerations }), snapshot)).toEqual({
      open: 'Success',
      cordoned,
    });
  });
});
