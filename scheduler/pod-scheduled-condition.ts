/**
 * The `PodScheduled=False` condition the scheduler writes on a pod it could not place, after upstream's
 * updatePod/podutil.UpdatePodCondition.
 *
 * Contract:
 * - `podScheduledFalsePatch` returns a strategic merge patch for the status subresource (conditions
 *   merge by `type`, so other conditions are untouched), or undefined when the pod already carries the
 *   same status, reason and message: an unchanged failure writes nothing.
 * - `lastTransitionTime` moves only when the condition's status changes; a new message on a pod that
 *   was already unschedulable keeps the time it first became so.
 */

import type { Pod } from './api-types.js';

export const POD_SCHEDULED = 'PodScheduled';
/** The reason when no node fits. */
export const REASON_UNSCHEDULABLE = 'Unschedulable';
/** The reason when the attempt failed for another cause (a plugin error, a rejected binding). */
export const REASON_SCHEDULER_ERROR = 'SchedulerError';

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  const status = pod.status as { conditions?: PodCondition[] | null } | null | undefined;
  return (status?.conditions ?? []).find((c) => c.type === type);
}

/** metav1.Time: RFC 3339 to the second. */
export function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function podScheduledFalsePatch(
  pod: Pod,
  reason: string,
  message: string,
  nowMs: number,
): { status: { conditions: PodCondition[] } } | undefined {
  const current = podCondition(pod, POD_SCHEDULED);
  if (current && current.status === 'False' && current.reason === reason && current.message === message) {
    return undefined;
  }
  const keepTransition = current?.status === 'False' && current.lastTransitionTime;
  return {
    status: {
      conditions: [
        {
          type: POD_SCHEDULED,
          status: 'False',
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime: keepTransition ? current.lastTransitionTime : rfc3339Seconds(nowMs),
        },
      ],
    },
  };
}
