import type { Affinity, NodeSelectorRequirement } from '../api-types.js';
import { CycleState } from '../framework.js';
import { PodInfo } from '../pod-info.js';
import { filterOutcomes, makeNode, makePod, scoreOutcomes, snapshotOf } from '../testing/builders.js';
import { ERR_REASON_CONFLICT, ERR_REASON_POD, NodeAffinity } from './node-affinity.js';

const rejected = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_POD] };

function required(
  ...terms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[]
): Affinity {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
}

describe('NodeAffinity Filter', () => {
  const snapshot = snapshotOf([
    makeNode({ name: 'ssd-8', labels: { disk: 'ssd', cores: '8' } }),
    makeNode({ name: 'hdd-4', labels: { disk: 'hdd', cores: '4' } }),
    makeNode({ name: 'bare' }),
  ]);

  it.each([
    {
      name: 'a pod without selector or affinity is not checked',
      pod: makePod(),
      want: { 'ssd-8': 'Skip', 'hdd-4': 'Skip', bare: 'Skip' },
    },
    {
      name: 'nodeSelector requires every label to be equal',
      pod: makePod({ nodeSelector: { disk: 'ssd', cores: '8' } }),
      want: { 'ssd-8': 'Success', 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'In matches any of the listed values',
      pod: makePod({
        affinity: required({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }] }),
      }),
      want: { 'ssd-8': 'Success', 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'NotIn also matches nodes without the label',
      pod: makePod({
        affinity: required({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }),
      }),
      want: { 'ssd-8': rejected, 'hdd-4': 'Success', bare: 'Success' },
    },
    {
      name: 'Exists and DoesNotExist look only at the key',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }) }),
      want: { 'ssd-8': rejected, 'hdd-4': rejected, bare: 'Success' },
    },
    {
      name: 'Gt compares label values as integers',
      pod: makePod({
        affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }),
      }),
      want: { 'ssd-8': 'Success', 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'Lt compares label values as integers',
      pod: makePod({
        affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['10'] }] }),
      }),
      want: { 'ssd-8': 'Success', 'hdd-4': 'Success', bare: rejected },
    },
    {
      name: 'a Gt bound that is not an integer makes the term match nothing',
      pod: makePod({
        affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['four'] }] }),
      }),
      want: { 'ssd-8': rejected, 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'terms are ORed and expressions inside a term are ANDed',
      pod: makePod({
        affinity: required(
          {
            matchExpressions: [
              { key: 'disk', operator: 'In', values: ['ssd'] },
              { key: 'cores', operator: 'In', values: ['4'] },
            ],
          },
          { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] },
        ),
      }),
      want: { 'ssd-8': rejected, 'hdd-4': 'Success', bare: rejected },
    },
    {
      name: 'an empty term matches nothing',
      pod: makePod({ affinity: required({}) }),
      want: { 'ssd-8': rejected, 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'nodeSelector and affinity must both match',
      pod: makePod({
        nodeSelector: { disk: 'ssd' },
        affinity: required({ matchExpressions: [{ key: 'cores', operator: 'In', values: ['4'] }] }),
      }),
      want: { 'ssd-8': rejected, 'hdd-4': rejected, bare: rejected },
    },
    {
      name: 'matchFields on metadata.name with NotIn avoids that node',
      pod: makePod({
        affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['bare'] }] }),
      }),
      want: { 'ssd-8': 'Success', 'hdd-4': 'Success', bare: rejected },
    },
    {
      name: 'matchFields on metadata.name with In narrows the candidates to that node (as for DaemonSet pods)',
      pod: makePod({
        affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd-4'] }] }),
      }),
      want: { 'ssd-8': 'Excluded', 'hdd-4': 'Success', bare: 'Excluded' },
    },
    {
      name: 'contradicting metadata.name pins reject the pod outright',
      pod: makePod({
        affinity: required({
          matchFields: [
            { key: 'metadata.name', operator: 'In', values: ['ssd-8'] },
            { key: 'metadata.name', operator: 'In', values: ['hdd-4'] },
          ],
        }),
      }),
      want: {
        'ssd-8': { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_CONFLICT] },
        'hdd-4': { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_CONFLICT] },
        bare: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_CONFLICT] },
      },
    },
  ])('$name', ({ pod, want }) => {
    expect(filterOutcomes(new NodeAffinity(), pod, snapshot)).toEqual(want);
  });

  it('answers for the pod asked about when pods alternate between calls', () => {
    const plugin = new NodeAffinity();
    const ssd = PodInfo.of(makePod({ nodeSelector: { disk: 'ssd' } }));
    const hdd = PodInfo.of(makePod({ nodeSelector: { disk: 'hdd' } }));
    const node = snapshot.get('ssd-8')!;
    const verdicts = [ssd, hdd, hdd, ssd, hdd].map((pod) =>
      plugin.filter(new CycleState(), pod, node).isSuccess(),
    );
    expect(verdicts).toEqual([true, false, false, true, false]);
  });
});

describe('NodeAffinity Score', () => {
  const snapshot = snapshotOf([
    makeNode({ name: 'a', labels: { zone: 'a', disk: 'ssd' } }),
    makeNode({ name: 'b', labels: { zone: 'b', disk: 'ssd' } }),
    makeNode({ name: 'c', labels: { zone: 'c' } }),
  ]);

  it('adds the weights of the preferred terms a node matches, scaled so the best node gets 100', () => {
    const pod = makePod({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 2,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
            { weight: 6, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    });
    expect(scoreOutcomes(new NodeAffinity(), pod, snapshot)).toEqual({ a: 100, b: 25, c: 0 });
  });

  it('sits out when the pod has no preferred terms', () => {
    expect(scoreOutcomes(new NodeAffinity(), makePod(), snapshot)).toBe('Skip');
  });
});
