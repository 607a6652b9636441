/**
 * A Deployment's status and conditions, as pure functions of the Deployment, its ReplicaSets and
 * "now" (upstream's calculateStatus, syncRolloutStatus and the condition helpers).
 *
 * Conditions:
 * - Available: True (MinimumReplicasAvailable) while at least `replicas - maxUnavailable` pods are
 *   available, else False (MinimumReplicasUnavailable).
 * - Progressing (only with a progress deadline): True NewReplicaSetCreated / FoundNewReplicaSet when
 *   a rollout starts, True ReplicaSetUpdated whenever it moves forward (refreshing lastUpdateTime),
 *   True NewReplicaSetAvailable once complete, False ProgressDeadlineExceeded when it has not moved
 *   for `progressDeadlineSeconds`; Unknown DeploymentPaused / DeploymentResumed around a pause.
 * - ReplicaFailure: copied from the ReplicaSets (the new one's first).
 */
import {
  hasProgressDeadline,
  maxUnavailable,
  replicaCount,
  specReplicas,
  statusCount,
} from './deployment-util.js';
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from './workload-types.js';
import { rfc3339 } from './workload-types.js';

export const NEW_RS_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const MIN_AVAILABLE_REASON = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE_REASON = 'MinimumReplicasUnavailable';

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  nowMs: number,
): DeploymentCondition {
  const now = rfc3339(nowMs);
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/**
 * Sets a condition, unless one of the same type already has the same status and reason; keeps the
 * old lastTransitionTime when only the reason changes.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}

/** Counts and the Available condition, from the ReplicaSets' statuses. */
export function calculateDeploymentStatus(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowMs: number,
): DeploymentStatus {
  const available = statusCount(allRSs, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: statusCount(allRSs, 'replicas'),
    updatedReplicas: statusCount([newRS], 'replicas'),
    readyReplicas: statusCount(allRSs, 'readyReplicas'),
    availableReplicas: available,
    // Negative while scaling down with more available pods than wanted: report none unavailable.
    unavailableReplicas: Math.max(0, replicaCount(allRSs) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition('Available', 'True', MIN_AVAILABLE_REASON, 'Deployment has minimum availability.', nowMs),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        MIN_UNAVAILABLE_REASON,
        'Deployment does not have minimum availability.',
        nowMs,
      ),
    );
  }
  return status;
}

/** Every replica updated, present and available, for the current generation. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = specReplicas(d);
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** Whether the rollout moved forward between the recorded status and `status`. */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Whether the Progressing condition has not been refreshed for progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getCondition(status, 'Progressing');
  if (!condition) return false;
  // A finished rollout has nothing left to time out.
  if (condition.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (condition.reason === TIMED_OUT_REASON) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}

/** The status of a Deployment mid rollout, with its Progressing and ReplicaFailure conditions. */
export function rolloutStatus(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowMs: number,
): DeploymentStatus {
  const status = calculateDeploymentStatus(allRSs, newRS, d, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  // With every replica updated and the last rollout recorded as done there is nothing to estimate.
  const alreadyComplete =
    status.replicas === status.updatedReplicas && current?.reason === NEW_RS_AVAILABLE_REASON;
  if (hasProgressDeadline(d) && !alreadyComplete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'True',
          NEW_RS_AVAILABLE_REASON,
          `${subject} has successfully progressed.`,
          nowMs,
        ),
      );
    } else if (deploymentProgressing(d, status)) {
      // Unlike setCondition, progress with the same reason must refresh lastUpdateTime: it is what
      // the deadline is measured from.
      const condition = newCondition(
        'Progressing',
        'True',
        RS_UPDATED_REASON,
        `${subject} is progressing.`,
        nowMs,
      );
      if (current?.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, 'Progressing');
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, nowMs)) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'False',
          TIMED_OUT_REASON,
          `${subject} has timed out progressing.`,
          nowMs,
        ),
      );
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, { ...failure, lastUpdateTime: failure.lastTransitionTime });
  else removeCondition(status, 'ReplicaFailure');
  return status;
}

function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined) {
  for (const rs of [newRS, ...allRSs]) {
    const condition = rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (condition) return { ...condition } as DeploymentCondition;
  }
  return undefined;
}

/**
 * When to look at a stuck rollout again to check its deadline: ms from now, 0 for "at once", or
 * undefined when there is no deadline to watch.
 */
export function progressCheckDelay(
  d: Deployment,
  status: DeploymentStatus,
  nowMs: number,
): number | undefined {
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === TIMED_OUT_REASON) return undefined;
  const lastUpdate = Date.parse(current.lastUpdateTime ?? '');
  if (Number.isNaN(lastUpdate)) return undefined;
  const after = lastUpdate + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - nowMs;
  // One more second against millisecond skew, as upstream does.
  return after < 1000 ? 0 : after + 1000;
}

/** Whether writing `status` would change what the Deployment reports. */
export function deploymentStatusChanged(d: Deployment, status: DeploymentStatus): boolean {
  return JSON.stringify(normalize(d.status ?? {})) !== JSON.stringify(normalize(status));
}

function normalize(status: DeploymentStatus): Record<string, unknown> {
  const fields = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
    'collisionCount',
  ] as const;
  const result: Record<string, unknown> = {};
  for (const field of fields) result[field] = status[field] ?? 0;
  result.conditions = status.conditions ?? [];
  return result;
}
