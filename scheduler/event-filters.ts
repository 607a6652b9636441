/**
 * Which informer events the running scheduler acts on, after upstream's eventhandlers.go: pods that
 * are assigned belong to the cache, pending pods of this scheduler to the queue, and only node changes
 * that could change a filter's verdict wake unschedulable pods.
 *
 * Contract: pure predicates over plain JSON objects as the API server serves them.
 */

import { DEFAULT_SCHEDULER_NAME, type Node, type Pod } from './api-types.js';

/**
 * The pod informer's field selector: pods that finished (Succeeded or Failed) free their resources,
 * so the scheduler does not see them at all; a pod that finishes arrives as a deletion.
 */
export const NON_TERMINAL_PODS_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

export function isAssigned(pod: Pod): boolean {
  return Boolean(pod.spec?.nodeName);
}

/** A pending pod this scheduler should place: its schedulerName is ours and it is not being deleted. */
export function isPendingFor(pod: Pod, schedulerName: string): boolean {
  return (
    !isAssigned(pod) &&
    !pod.metadata?.deletionTimestamp &&
    (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === schedulerName
  );
}

interface NodeCondition {
  type?: string;
  status?: string;
}

function conditionsOf(node: Node): string {
  const conditions = (node.status as { conditions?: NodeCondition[] | null } | null | undefined)?.conditions;
  return (conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Whether a node update could let a pod fit that did not before: allocatable, labels, taints,
 * cordoning or the conditions' statuses changed. Heartbeats (lastHeartbeatTime) alone do not count.
 */
export function nodeSchedulingPropertiesChanged(oldNode: Node, newNode: Node): boolean {
  return (
    Boolean(oldNode.spec?.unschedulable) !== Boolean(newNode.spec?.unschedulable) ||
    !same(oldNode.status?.allocatable, newNode.status?.allocatable) ||
    !same(oldNode.metadata?.labels, newNode.metadata?.labels) ||
    !same(oldNode.spec?.taints, newNode.spec?.taints) ||
    conditionsOf(oldNode) !== conditionsOf(newNode)
  );
}

/** Whether an assigned pod's update could satisfy someone's pod affinity: its labels changed. */
export function assignedPodLabelsChanged(oldPod: Pod, newPod: Pod): boolean {
  return !same(oldPod.metadata?.labels, newPod.metadata?.labels);
}
