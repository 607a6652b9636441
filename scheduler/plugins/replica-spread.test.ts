import { makeNode, makePod, scoreOutcomes, snapshotOf } from '../testing/builders.js';
import { ReplicaSpread } from './replica-spread.js';

const ZONE = 'topology.kubernetes.io/zone';

describe('ReplicaSpread', () => {
  const replica = (nodeName: string, ownerUid = 'rs-1') => makePod({ nodeName, ownerUid });

  it.each([
    {
      name: 'fewer replicas of the same owner on a node means a higher score',
      nodes: [makeNode({ name: 'n1' }), makeNode({ name: 'n2' }), makeNode({ name: 'n3' })],
      placed: [replica('n1'), replica('n1'), replica('n2')],
      want: { n1: 0, n2: 50, n3: 100 },
    },
    {
      name: 'replicas of other owners do not count',
      nodes: [makeNode({ name: 'n1' }), makeNode({ name: 'n2' })],
      placed: [replica('n1', 'rs-other'), replica('n1', 'rs-other')],
      want: { n1: 100, n2: 100 },
    },
    {
      name: 'zones weigh two thirds once nodes carry zone labels',
      nodes: [
        makeNode({ name: 'n1', labels: { [ZONE]: 'a' } }),
        makeNode({ name: 'n2', labels: { [ZONE]: 'a' } }),
        makeNode({ name: 'n3', labels: { [ZONE]: 'b' } }),
      ],
      placed: [replica('n1'), replica('n1'), replica('n2')],
      // n2: 50 by node, 0 by zone → 50/3.
      want: { n1: 0, n2: 16, n3: 100 },
    },
  ])('$name', ({ nodes, placed, want }) => {
    expect(
      scoreOutcomes(new ReplicaSpread(), makePod({ ownerUid: 'rs-1' }), snapshotOf(nodes, placed)),
    ).toEqual(want);
  });

  it('sits out for pods without a controller', () => {
    expect(scoreOutcomes(new ReplicaSpread(), makePod(), snapshotOf([makeNode()]))).toBe('Skip');
  });

  it('sits out for pods with their own topology spread constraints', () => {
    const pod = makePod({
      ownerUid: 'rs-1',
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway' }],
    });
    expect(scoreOutcomes(new ReplicaSpread(), pod, snapshotOf([makeNode()]))).toBe('Skip');
  });
});
