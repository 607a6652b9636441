import type { TopologySpreadConstraint } from '../api-types.js';
import { filterOutcomes, makeNode, makePod, scoreOutcomes, snapshotOf } from '../testing/builders.js';
import {
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  PodTopologySpread,
} from './pod-topology-spread.js';

const ZONE = 'topology.kubernetes.io/zone';
const skewRejected = { code: 'Unschedulable', reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH] };
const labelRejected = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_LABEL_NOT_MATCH] };

function zoneConstraint(extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return {
    maxSkew: 1,
    topologyKey: ZONE,
    whenUnsatisfiable: 'DoNotSchedule',
    labelSelector: { matchLabels: { app: 'web' } },
    ...extra,
  };
}

const web = (nodeName: string, extra: Parameters<typeof makePod>[0] = {}) =>
  makePod({ labels: { app: 'web' }, nodeName, ...extra });

describe('PodTopologySpread Filter', () => {
  const nodes = [
    makeNode({ name: 'a1', labels: { [ZONE]: 'a', pool: 'main' } }),
    makeNode({ name: 'a2', labels: { [ZONE]: 'a', pool: 'main' } }),
    makeNode({ name: 'b1', labels: { [ZONE]: 'b', pool: 'main' } }),
    makeNode({ name: 'c1', labels: { [ZONE]: 'c', pool: 'spare' } }),
    makeNode({ name: 'nozone' }),
  ];

  it.each([
    {
      name: 'a pod without DoNotSchedule constraints is not checked',
      pod: makePod({ labels: { app: 'web' } }),
      placed: [],
      want: { a1: 'Skip', a2: 'Skip', b1: 'Skip', c1: 'Skip', nozone: 'Skip' },
    },
    {
      name: 'a zone already two ahead of the emptiest zone is refused',
      pod: makePod({ labels: { app: 'web' }, topologySpreadConstraints: [zoneConstraint()] }),
      placed: [web('a1'), web('a2')],
      want: { a1: skewRejected, a2: skewRejected, b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'a larger maxSkew tolerates the imbalance',
      pod: makePod({ labels: { app: 'web' }, topologySpreadConstraints: [zoneConstraint({ maxSkew: 3 })] }),
      placed: [web('a1'), web('a2')],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'a pod its own selector does not match does not add to the skew',
      pod: makePod({ labels: { app: 'other' }, topologySpreadConstraints: [zoneConstraint({ maxSkew: 2 })] }),
      placed: [web('a1'), web('a2')],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'terminating pods and pods of other namespaces are not counted',
      pod: makePod({ labels: { app: 'web' }, topologySpreadConstraints: [zoneConstraint()] }),
      placed: [web('a1', { deleting: true }), web('a2', { namespace: 'other' })],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
    {
      name: "nodes outside the pod's nodeSelector do not count as domains by default (nodeAffinityPolicy Honor)",
      pod: makePod({
        labels: { app: 'web' },
        nodeSelector: { pool: 'main' },
        topologySpreadConstraints: [zoneConstraint()],
      }),
      placed: [web('a1'), web('b1')],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'with nodeAffinityPolicy Ignore the empty zone outside the selector holds the minimum down',
      pod: makePod({
        labels: { app: 'web' },
        nodeSelector: { pool: 'main' },
        topologySpreadConstraints: [zoneConstraint({ nodeAffinityPolicy: 'Ignore' })],
      }),
      placed: [web('a1'), web('b1')],
      want: { a1: skewRejected, a2: skewRejected, b1: skewRejected, c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'fewer domains than minDomains make the global minimum 0',
      pod: makePod({
        labels: { app: 'web' },
        nodeSelector: { pool: 'main' },
        topologySpreadConstraints: [zoneConstraint({ minDomains: 3 })],
      }),
      placed: [web('a1'), web('b1')],
      want: { a1: skewRejected, a2: skewRejected, b1: skewRejected, c1: 'Success', nozone: labelRejected },
    },
    {
      name: 'matchLabelKeys narrows the count to pods sharing the incoming pod’s value',
      pod: makePod({
        labels: { app: 'web', rev: '2' },
        topologySpreadConstraints: [zoneConstraint({ matchLabelKeys: ['rev'] })],
      }),
      placed: [
        web('a1', { labels: { app: 'web', rev: '1' } }),
        web('a2', { labels: { app: 'web', rev: '1' } }),
      ],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: labelRejected },
    },
  ])('$name', ({ pod, placed, want }) => {
    expect(filterOutcomes(new PodTopologySpread(), pod, snapshotOf(nodes, placed))).toEqual(want);
  });
});

describe('PodTopologySpread Score', () => {
  const nodes = [
    makeNode({ name: 'a1', labels: { [ZONE]: 'a' } }),
    makeNode({ name: 'a2', labels: { [ZONE]: 'a' } }),
    makeNode({ name: 'b1', labels: { [ZONE]: 'b' } }),
    makeNode({ name: 'nozone' }),
  ];

  it('prefers the zone with fewer matching pods and gives nodes without the key 0', () => {
    const pod = makePod({
      labels: { app: 'web' },
      topologySpreadConstraints: [zoneConstraint({ whenUnsatisfiable: 'ScheduleAnyway' })],
    });
    expect(scoreOutcomes(new PodTopologySpread(), pod, snapshotOf(nodes, [web('a1'), web('a1')]))).toEqual({
      a1: 0,
      a2: 0,
      b1: 100,
      nozone: 0,
    });
  });

  it('spreads by hostname by counting pods on each node', () => {
    const pod = makePod({
      labels: { app: 'web' },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { app: 'web' } },
        },
      ],
    });
    // a1 holds 2, a2 holds 1, the rest none; weight log(4 + 2); raw scores 4, 2, 0, 0.
    expect(
      scoreOutcomes(new PodTopologySpread(), pod, snapshotOf(nodes, [web('a1'), web('a1'), web('a2')])),
    ).toEqual({
      a1: 0,
      a2: 50,
      b1: 100,
      nozone: 100,
    });
  });

  it('gives every node the top score when no matching pod exists yet', () => {
    const pod = makePod({
      labels: { app: 'web' },
      topologySpreadConstraints: [zoneConstraint({ whenUnsatisfiable: 'ScheduleAnyway' })],
    });
    expect(scoreOutcomes(new PodTopologySpread(), pod, snapshotOf(nodes))).toEqual({
      a1: 100,
      a2: 100,
      b1: 100,
      nozone: 0,
    });
  });

  it('sits out when the pod has no ScheduleAnyway constraints', () => {
    const pod = makePod({ labels: { app: 'web' }, topologySpreadConstraints: [zoneConstraint()] });
    expect(scoreOutcomes(new PodTopologySpread(), pod, snapshotOf(nodes))).toBe('Skip');
  });
});
