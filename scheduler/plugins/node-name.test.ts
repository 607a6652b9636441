import { makeNode, makePod, filterOutcomes, snapshotOf } from '../testing/builders.js';
import { ERR_REASON_NODE_NAME, NodeName } from './node-name.js';

describe('NodeName', () => {
  const snapshot = snapshotOf([makeNode({ name: 'a' }), makeNode({ name: 'b' })]);

  it.each([
    {
      name: 'a pod that names no node fits every node',
      pod: makePod(),
      want: { a: 'Success', b: 'Success' },
    },
    {
      name: 'a pod that names a node fits only that node',
      pod: makePod({ nodeName: 'b' }),
      want: {
        a: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_NAME] },
        b: 'Success',
      },
    },
  ])('$name', ({ pod, want }) => {
    expect(filterOutcomes(new NodeName(), pod, snapshot)).toEqual(want);
  });
});
