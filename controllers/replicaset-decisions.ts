/**
 * The ReplicaSet controller's decisions, as pure functions: how many pods to create or delete, which
 * pods to delete, the pod a template describes, and the status to report. "Now" is always passed in.
 */
import type { OwnerReference } from '../apiserver/api-object.js';
import { labelSelectorFromSet } from '../machinery/label-selector.js';
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  maxContainerRestarts,
  podDeletionCost,
  podReadySince,
} from './pod-state.js';
import type { Pod, ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from './workload-types.js';
import { rfc3339 } from './workload-types.js';

/** Upstream's BurstReplicas: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;

/** How many pods to create or delete to go from `active` to `desired`, at most `burst` per sync. */
export function manageReplicasDiff(
  active: number,
  desired: number,
  burst = BURST_REPLICAS,
): { create: number; delete: number } {
  const diff = desired - active;
  if (diff > 0) return { create: Math.min(diff, burst), delete: 0 };
  if (diff < 0) return { create: 0, delete: Math.min(-diff, burst) };
  return { create: 0, delete: 0 };
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function timeMs(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Compares two times by the power of two of their age, so pods of about the same age are treated as
 * equals and picked pseudo-randomly (by uid) instead of always the very newest (LogarithmicScaleDown).
 * Negative: `a` is younger. An unknown time counts as youngest.
 */
function compareAge(a: number | undefined, b: number | undefined, nowMs: number): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const rank = (t: number) => {
    const ns = (nowMs - t) * 1e6;
    return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
  };
  return rank(a) - rank(b);
}

/**
 * Upstream's ActivePodsWithRanks ordering: negative when `a` should be deleted before `b`. `rank` is
 * the number of related active pods on the same node; a pod on a crowded node goes first.
 */
export function comparePodsForDeletion(
  a: { pod: Pod; rank: number },
  b: { pod: Pod; rank: number },
  nowMs: number,
): number {
  const [pa, pb] = [a.pod, b.pod];
  // 1. Unscheduled before scheduled.
  const [na, nb] = [pa.spec?.nodeName ?? '', pb.spec?.nodeName ?? ''];
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  // 2. Pending before Unknown before Running.
  const [oa, ob] = [PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0, PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0];
  if (oa !== ob) return oa - ob;
  // 3. Not ready before ready.
  const [ra, rb] = [isPodReady(pa), isPodReady(pb)];
  if (ra !== rb) return ra ? 1 : -1;
  // 4. Lower pod-deletion-cost first.
  const [ca, cb] = [podDeletionCost(pa), podDeletionCost(pb)];
  if (ca !== cb) return ca - cb;
  // 5. More pods on the same node first.
  if (a.rank !== b.rank) return b.rank - a.rank;
  const byUid = () => ((pa.metadata.uid ?? '') < (pb.metadata.uid ?? '') ? -1 : 1);
  // 6. Ready for a shorter time first.
  if (ra && rb) {
    const [ta, tb] = [podReadySince(pa), podReadySince(pb)];
    if (ta !== tb) {
      const diff = compareAge(ta, tb, nowMs);
      return diff === 0 ? byUid() : diff;
    }
  }
  // 7. More container restarts first.
  const [xa, xb] = [maxContainerRestarts(pa), maxContainerRestarts(pb)];
  if (xa !== xb) return xb - xa;
  // 8. Newer first.
  const [ta, tb] = [timeMs(pa.metadata.creationTimestamp), timeMs(pb.metadata.creationTimestamp)];
  if (ta !== tb) {
    const diff = compareAge(ta, tb, nowMs);
    return diff === 0 ? byUid() : diff;
  }
  return 0;
}

/**
 * The `count` pods of `pods` to delete first. `relatedPods` are the active pods of this ReplicaSet and
 * its siblings (same owner), used to prefer pods on nodes that run many of them.
 */
export function podsToDelete(
  pods: readonly Pod[],
  relatedPods: readonly Pod[],
  count: number,
  nowMs: number,
): Pod[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const pod of relatedPods) {
    if (!isPodActive(pod)) continue;
    const node = pod.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods
    .map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }))
    .sort((a, b) => comparePodsForDeletion(a, b, nowMs))
    .slice(0, count)
    .map(({ pod }) => pod);
}

/** The pod a ReplicaSet creates: its template, named `<rs>-<random>`, controlled by the ReplicaSet. */
export function podFromTemplate(rs: ReplicaSet, controllerRef: OwnerReference): Pod {
  const template = rs.spec?.template;
  const metadata: Pod['metadata'] = {
    generateName: `${rs.metadata.name}-`,
    namespace: rs.metadata.namespace,
    labels: { ...template?.metadata?.labels },
    ownerReferences: [controllerRef],
  };
  if (template?.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template?.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}

/**
 * The status to report for `rs` owning the active `pods`. `manageError` is the error of this sync's
 * creates or deletes: it raises the ReplicaFailure condition, a clean sync clears it.
 */
export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  pods: readonly Pod[],
  manageError: unknown,
  nowMs: number,
): ReplicaSetStatus {
  const templateLabels = labelSelectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata.labels ?? {})) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) available++;
    }
  }
  let conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '',
      message: manageError instanceof Error ? manageError.message : String(manageError),
      lastTransitionTime: rfc3339(nowMs),
    });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  // Zero counts are left out, as upstream's omitempty fields are; `replicas` is always written.
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.metadata.generation) status.observedGeneration = rs.metadata.generation;
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether writing `status` would change what `rs` reports, as upstream's updateReplicaSetStatus checks. */
export function replicaSetStatusChanged(rs: ReplicaSet, status: ReplicaSetStatus): boolean {
  const current = rs.status ?? { replicas: 0 };
  return (
    (current.replicas ?? 0) !== status.replicas ||
    (current.fullyLabeledReplicas ?? 0) !== (status.fullyLabeledReplicas ?? 0) ||
    (current.readyReplicas ?? 0) !== (status.readyReplicas ?? 0) ||
    (current.availableReplicas ?? 0) !== (status.availableReplicas ?? 0) ||
    (current.observedGeneration ?? 0) !== (rs.metadata.generation ?? 0) ||
    JSON.stringify(current.conditions ?? []) !== JSON.stringify(status.conditions ?? [])
  );
}
