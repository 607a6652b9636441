import type { Node, Pod } from './api-types.js';
import {
  assignedPodLabelsChanged,
  isAssigned,
  isPendingFor,
  nodeSchedulingPropertiesChanged,
} from './event-filters.js';
import { makeNode, makePod } from './testing/builders.js';

function withSchedulerName(pod: Pod, schedulerName: string | undefined): Pod {
  return { ...pod, spec: { ...pod.spec, schedulerName } };
}

describe('isPendingFor', () => {
  it.each([
    ['a pending pod of the default scheduler', makePod(), 'default-scheduler', true],
    [
      'a pod without schedulerName counts as default',
      withSchedulerName(makePod(), undefined),
      'default-scheduler',
      true,
    ],
    ['a pod for another scheduler', withSchedulerName(makePod(), 'other'), 'default-scheduler', false],
    ['a pod for this custom scheduler', withSchedulerName(makePod(), 'custom'), 'custom', true],
    ['an assigned pod', makePod({ nodeName: 'n1' }), 'default-scheduler', false],
    ['a pending pod being deleted', makePod({ deleting: true }), 'default-scheduler', false],
  ])('%s → %p', (_name, pod, schedulerName, expected) => {
    expect(isPendingFor(pod, schedulerName)).toBe(expected);
  });

  it('isAssigned reads spec.nodeName', () => {
    expect(isAssigned(makePod({ nodeName: 'n1' }))).toBe(true);
    expect(isAssigned(makePod())).toBe(false);
  });
});

function withConditions(node: Node, ready: string, heartbeat: string): Node {
  return {
    ...node,
    status: {
      ...node.status,
      conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: heartbeat }],
    } as Node['status'],
  };
}

describe('nodeSchedulingPropertiesChanged', () => {
  const base = withConditions(makeNode({ name: 'n1', labels: { zone: 'a' } }), 'True', 't1');
  it.each<[string, Node, boolean]>([
    ['a heartbeat only', withConditions(base, 'True', 't2'), false],
    ['the same object', base, false],
    ['Ready turning False', withConditions(base, 'False', 't2'), true],
    ['cordoning', { ...base, spec: { ...base.spec, unschedulable: true } }, true],
    ['a new taint', { ...base, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, true],
    ['a label change', { ...base, metadata: { ...base.metadata, labels: { zone: 'b' } } }, true],
    [
      'more allocatable CPU',
      { ...base, status: { ...base.status, allocatable: { cpu: '8', memory: '8Gi', pods: '110' } } },
      true,
    ],
  ])('%s → %p', (_name, updated, expected) => {
    expect(nodeSchedulingPropertiesChanged(base, updated)).toBe(expected);
  });
});

describe('assignedPodLabelsChanged', () => {
  it('is true only when labels differ', () => {
    const pod = makePod({ nodeName: 'n1', labels: { app: 'a' } });
    expect(assignedPodLabelsChanged(pod, { ...pod, status: { phase: 'Running' } })).toBe(false);
    expect(
      assignedPodLabelsChanged(pod, { ...pod, metadata: { ...pod.metadata, labels: { app: 'b' } } }),
    ).toBe(true);
  });
});
