/**
 * Questions controllers ask about a pod, answered as upstream's pod utilities answer them. Pure
 * functions over the plain JSON pod; "now" is always passed in so callers can use a fake clock.
 */
import type { Pod } from './workload-types.js';

/** Neither finished nor being deleted: upstream's IsPodActive, what a ReplicaSet counts. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function podReadyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for more than `minReadySeconds` (a zero value needs only readiness), as IsPodAvailable. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < nowMs;
}

/** When the pod last became ready, in ms; undefined if it is not ready or the time is unknown. */
export function podReadySince(pod: Pod): number | undefined {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True' || !ready.lastTransitionTime) return undefined;
  const at = Date.parse(ready.lastTransitionTime);
  return Number.isNaN(at) ? undefined : at;
}

export function maxContainerRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

/** `controller.kubernetes.io/pod-deletion-cost`: pods with a lower cost are deleted first. */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

export function podDeletionCost(pod: Pod): number {
  const text = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) return 0;
  const cost = Number(text.trim());
  // Upstream parses an int32 and ignores values outside it.
  return cost >= -(2 ** 31) && cost < 2 ** 31 ? cost : 0;
}
