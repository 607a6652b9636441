import type { PodAffinityTerm } from '../api-types.js';
import { filterOutcomes, makeNode, makePod, scoreOutcomes, snapshotOf } from '../testing/builders.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  InterPodAffinity,
} from './inter-pod-affinity.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

const term = (
  labels: Record<string, string>,
  topologyKey: string,
  extra: Partial<PodAffinityTerm> = {},
): PodAffinityTerm => ({
  labelSelector: { matchLabels: labels },
  topologyKey,
  ...extra,
});

const affinityRejected = {
  code: 'UnschedulableAndUnresolvable',
  reasons: [ERR_REASON_AFFINITY_RULES_NOT_MATCH],
};
const antiRejected = { code: 'Unschedulable', reasons: [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH] };
const existingRejected = {
  code: 'Unschedulable',
  reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH],
};

describe('InterPodAffinity Filter', () => {
  const nodes = [
    makeNode({ name: 'a1', labels: { [ZONE]: 'a' } }),
    makeNode({ name: 'a2', labels: { [ZONE]: 'a' } }),
    makeNode({ name: 'b1', labels: { [ZONE]: 'b' } }),
    makeNode({ name: 'nozone' }),
  ];
  const db = makePod({ name: 'db', labels: { app: 'db' }, nodeName: 'a1' });

  it.each([
    {
      name: 'a pod without affinity, among pods without anti-affinity, is not checked',
      pod: makePod(),
      placed: [db],
      want: { a1: 'Skip', a2: 'Skip', b1: 'Skip', nozone: 'Skip' },
    },
    {
      name: 'required affinity by zone admits every node in the zone of a matching pod',
      pod: makePod({
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, ZONE)] },
        },
      }),
      placed: [db],
      want: { a1: 'Success', a2: 'Success', b1: affinityRejected, nozone: affinityRejected },
    },
    {
      name: 'required affinity by hostname admits only the node of the matching pod',
      pod: makePod({
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, HOST)] },
        },
      }),
      placed: [db],
      want: { a1: 'Success', a2: affinityRejected, b1: affinityRejected, nozone: affinityRejected },
    },
    {
      name: 'the first pod of a group affine to itself may go anywhere carrying the topology key',
      pod: makePod({
        labels: { app: 'web' },
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
        },
      }),
      placed: [db],
      want: { a1: 'Success', a2: 'Success', b1: 'Success', nozone: affinityRejected },
    },
    {
      name: 'affinity to pods in another namespace needs that namespace listed',
      pod: makePod({
        namespace: 'other',
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, ZONE)] },
        },
      }),
      placed: [db],
      want: { a1: affinityRejected, a2: affinityRejected, b1: affinityRejected, nozone: affinityRejected },
    },
    {
      name: 'listing the namespace makes pods there count',
      pod: makePod({
        namespace: 'other',
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: 'db' }, ZONE, { namespaces: ['default'] }),
            ],
          },
        },
      }),
      placed: [db],
      want: { a1: 'Success', a2: 'Success', b1: affinityRejected, nozone: affinityRejected },
    },
    {
      name: 'required anti-affinity by zone keeps the pod out of the zone of a matching pod',
      pod: makePod({
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, ZONE)] },
        },
      }),
      placed: [db],
      want: { a1: antiRejected, a2: antiRejected, b1: 'Success', nozone: 'Success' },
    },
    {
      name: "an existing pod's anti-affinity keeps a matching pod out of its domain",
      pod: makePod({ labels: { app: 'web' } }),
      placed: [
        makePod({
          nodeName: 'b1',
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
          },
        }),
      ],
      want: { a1: 'Success', a2: 'Success', b1: existingRejected, nozone: 'Success' },
    },
    {
      name: "an existing pod's anti-affinity does not concern pods it does not select, so they are not checked",
      pod: makePod({ labels: { app: 'other' } }),
      placed: [
        makePod({
          nodeName: 'b1',
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
          },
        }),
      ],
      want: { a1: 'Skip', a2: 'Skip', b1: 'Skip', nozone: 'Skip' },
    },
    {
      name: 'replicas with anti-affinity to each other by hostname spread one per node',
      pod: makePod({
        labels: { app: 'web' },
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, HOST)] },
        },
      }),
      placed: [
        makePod({
          labels: { app: 'web' },
          nodeName: 'a1',
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, HOST)] },
          },
        }),
      ],
      want: { a1: antiRejected, a2: 'Success', b1: 'Success', nozone: 'Success' },
    },
    {
      name: 'an invalid label selector rejects the pod instead of guessing',
      pod: makePod({
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, topologyKey: ZONE },
            ],
          },
        },
      }),
      placed: [db],
      want: Object.fromEntries(
        ['a1', 'a2', 'b1', 'nozone'].map((n) => [
          n,
          {
            code: 'UnschedulableAndUnresolvable',
            reasons: ['parsing pod: "Bogus" is not a valid label selector operator'],
          },
        ]),
      ),
    },
  ])('$name', ({ pod, placed, want }) => {
    expect(filterOutcomes(new InterPodAffinity(), pod, snapshotOf(nodes, placed))).toEqual(want);
  });

  it('selects namespaces by label when given their labels', () => {
    const pod = makePod({
      namespace: 'other',
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            term({ app: 'db' }, ZONE, { namespaceSelector: { matchLabels: { team: 'data' } } }),
          ],
        },
      },
    });
    const plugin = new InterPodAffinity({
      namespaceLabels: (ns): Record<string, string> => (ns === 'default' ? { team: 'data' } : {}),
    });
    expect(filterOutcomes(plugin, pod, snapshotOf(nodes, [db]))).toMatchObject({
      a1: 'Success',
      b1: affinityRejected,
    });
  });
});

describe('InterPodAffinity Score', () => {
  const nodes = [
    makeNode({ name: 'a1', labels: { [ZONE]: 'a' } }),
    makeNode({ name: 'b1', labels: { [ZONE]: 'b' } }),
    makeNode({ name: 'c1', labels: { [ZONE]: 'c' } }),
  ];

  it('prefers zones with pods its preferred affinity matches and avoids those its preferred anti-affinity matches', () => {
    const pod = makePod({
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, podAffinityTerm: term({ app: 'cache' }, ZONE) },
          ],
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 5, podAffinityTerm: term({ app: 'batch' }, ZONE) },
          ],
        },
      },
    });
    const placed = [
      makePod({ labels: { app: 'cache' }, nodeName: 'a1' }),
      makePod({ labels: { app: 'batch' }, nodeName: 'b1' }),
    ];
    // Raw: a=10, b=−5, c=0 → min-max scaled.
    expect(scoreOutcomes(new InterPodAffinity(), pod, snapshotOf(nodes, placed))).toEqual({
      a1: 100,
      b1: 0,
      c1: 33,
    });
  });

  it("counts an existing pod's required affinity towards the incoming pod at hardPodAffinityWeight", () => {
    const placed = [
      makePod({
        nodeName: 'b1',
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
        },
      }),
    ];
    expect(
      scoreOutcomes(new InterPodAffinity(), makePod({ labels: { app: 'web' } }), snapshotOf(nodes, placed)),
    ).toEqual({
      a1: 0,
      b1: 100,
      c1: 0,
    });
  });

  it('sits out when neither the pod nor any placed pod expresses a preference', () => {
    expect(
      scoreOutcomes(new InterPodAffinity(), makePod(), snapshotOf(nodes, [makePod({ nodeName: 'a1' })])),
    ).toBe('Skip');
  });
});
