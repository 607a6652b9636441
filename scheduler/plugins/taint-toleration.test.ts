import type { Taint, Toleration } from '../api-types.js';
import {
  filterOutcomes,
  nodeWithTaints,
  podWithTolerations,
  scoreOutcomes,
  snapshotOf,
} from '../testing/builders.js';
import { TaintToleration, toleratesTaint } from './taint-toleration.js';

const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect });

describe('toleratesTaint', () => {
  it.each<[string, Toleration, Taint, boolean]>([
    [
      'Equal with the same key, value and effect tolerates',
      { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' },
      taint('k', 'v', 'NoSchedule'),
      true,
    ],
    [
      'Equal with another value does not tolerate',
      { key: 'k', operator: 'Equal', value: 'x', effect: 'NoSchedule' },
      taint('k', 'v', 'NoSchedule'),
      false,
    ],
    ['an empty operator means Equal', { key: 'k', value: 'v' }, taint('k', 'v', 'NoExecute'), true],
    [
      'Exists ignores the value',
      { key: 'k', operator: 'Exists' },
      taint('k', 'anything', 'NoSchedule'),
      true,
    ],
    [
      'an empty key with Exists tolerates every taint',
      { operator: 'Exists' },
      taint('k', 'v', 'NoExecute'),
      true,
    ],
    [
      'a different effect does not tolerate',
      { key: 'k', operator: 'Exists', effect: 'NoExecute' },
      taint('k', 'v', 'NoSchedule'),
      false,
    ],
    [
      'a different key does not tolerate',
      { key: 'other', operator: 'Exists' },
      taint('k', 'v', 'NoSchedule'),
      false,
    ],
    [
      'an unknown operator tolerates nothing',
      { key: 'k', operator: 'Gte', value: 'v' },
      taint('k', 'v', 'NoSchedule'),
      false,
    ],
  ])('%s', (_name, toleration, t, expected) => {
    expect(toleratesTaint(toleration, t)).toBe(expected);
  });
});

describe('TaintToleration Filter', () => {
  it.each([
    {
      name: 'a node without taints takes any pod',
      taints: [],
      tolerations: [],
      want: 'Success',
    },
    {
      name: 'an untolerated NoSchedule taint rejects the pod and is named in the reason',
      taints: [taint('node-role.kubernetes.io/control-plane', '', 'NoSchedule')],
      tolerations: [],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
      },
    },
    {
      name: 'an untolerated NoExecute taint rejects the pod',
      taints: [taint('dedicated', 'gpu', 'NoExecute')],
      tolerations: [],
      want: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
      },
    },
    {
      name: 'a PreferNoSchedule taint never rejects',
      taints: [taint('dedicated', 'gpu', 'PreferNoSchedule')],
      tolerations: [],
      want: 'Success',
    },
    {
      name: 'a tolerated taint lets the pod in',
      taints: [taint('dedicated', 'gpu', 'NoSchedule')],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      want: 'Success',
    },
    {
      name: 'only the first untolerated taint is reported',
      taints: [taint('a', '1', 'NoSchedule'), taint('b', '2', 'NoSchedule')],
      tolerations: [{ key: 'x', operator: 'Exists' }],
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {a: 1}'] },
    },
  ])('$name', ({ taints, tolerations, want }) => {
    const snapshot = snapshotOf([nodeWithTaints('n', taints)]);
    expect(filterOutcomes(new TaintToleration(), podWithTolerations('p', tolerations), snapshot)).toEqual({
      n: want,
    });
  });
});

describe('TaintToleration Score', () => {
  it.each([
    {
      name: 'the more intolerable PreferNoSchedule taints a node has, the lower score it gets',
      tolerations: [],
      want: { clean: 100, one: 50, two: 0 },
    },
    {
      name: 'tolerations without an effect count as tolerating PreferNoSchedule taints',
      tolerations: [{ key: 'a', operator: 'Exists' }],
      want: { clean: 100, one: 100, two: 0 },
    },
    {
      name: 'tolerations for NoSchedule do not help with PreferNoSchedule taints',
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }],
      want: { clean: 100, one: 50, two: 0 },
    },
  ])('$name', ({ tolerations, want }) => {
    const snapshot = snapshotOf([
      nodeWithTaints('clean', []),
      nodeWithTaints('one', [taint('a', '1', 'PreferNoSchedule')]),
      nodeWithTaints('two', [taint('a', '1', 'PreferNoSchedule'), taint('b', '2', 'PreferNoSchedule')]),
    ]);
    expect(scoreOutcomes(new TaintToleration(), podWithTolerations('p', tolerations), snapshot)).toEqual(
      want,
    );
  });

  it('gives every node the top score when no node has an intolerable taint', () => {
    const snapshot = snapshotOf([
      nodeWithTaints('a', []),
      nodeWithTaints('b', [taint('x', '', 'NoSchedule')]),
    ]);
    expect(scoreOutcomes(new TaintToleration(), podWithTolerations('p', []), snapshot)).toEqual({
      a: 100,
      b: 100,
    });
  });
});
