import type { Pod } from './api-types.js';
import { podScheduledFalsePatch, type PodCondition } from './pod-scheduled-condition.js';
import { makePod } from './testing/builders.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0, 250);

function withConditions(conditions: PodCondition[]): Pod {
  const pod = makePod({ name: 'web' });
  return { ...pod, status: { phase: 'Pending', conditions } as Pod['status'] };
}

describe('podScheduledFalsePatch', () => {
  it('sets PodScheduled=False with reason, message and the transition time when there is none', () => {
    expect(podScheduledFalsePatch(makePod(), 'Unschedulable', '0/3 nodes are available.', NOW)).toEqual({
      status: {
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available.',
            lastProbeTime: null,
            lastTransitionTime: '2024-05-01T12:00:00Z',
          },
        ],
      },
    });
  });

  it('writes nothing when the pod already says exactly that', () => {
    const pod = withConditions([
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: 'm',
        lastTransitionTime: 't0',
      },
    ]);
    expect(podScheduledFalsePatch(pod, 'Unschedulable', 'm', NOW)).toBeUndefined();
  });

  it.each([
    ['a new message keeps the time it became unschedulable', 'Unschedulable', 'other', 't0'],
    ['a new reason keeps it too', 'SchedulerError', 'm', 't0'],
  ])('%s', (_name, reason, message, transition) => {
    const pod = withConditions([
      { type: 'Ready', status: 'False' },
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: 'm',
        lastTransitionTime: 't0',
      },
    ]);
    const patch = podScheduledFalsePatch(pod, reason, message, NOW);
    expect(patch?.status.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', reason, message, lastTransitionTime: transition }),
    ]);
  });

  it('moves the transition time when the condition was True', () => {
    const pod = withConditions([{ type: 'PodScheduled', status: 'True', lastTransitionTime: 't0' }]);
    expect(podScheduledFalsePatch(pod, 'Unschedulable', 'm', NOW)?.status.conditions[0]).toMatchObject({
      status: 'False',
      lastTransitionTime: '2024-05-01T12:00:00Z',
    });
  });
});
