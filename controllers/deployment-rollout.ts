/**
 * The Deployment controller's rollout decisions, as pure functions over the ReplicaSets it owns:
 * how far to grow the new ReplicaSet and shrink the old ones in a rolling update (never more than
 * `replicas + maxSurge` pods, never fewer than `replicas - maxUnavailable` available), how to spread
 * a resize over the ReplicaSets of an unfinished rollout, and which old ReplicaSets to delete. They
 * mirror upstream's rolling.go, recreate.go and sync.go step for step; the controller applies the
 * returned steps in order.
 */
import {
  activeReplicaSets,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  maxReplicasAnnotation,
  maxSurge,
  maxUnavailable,
  replicaCount,
  specReplicas,
  statusCount,
} from './deployment-util.js';
import type { Deployment, Pod, ReplicaSet } from './workload-types.js';

/** Resize `rs` to `replicas`. `syncAnnotations`: write the replica annotations even if the size holds. */
export interface ScaleStep {
  rs: ReplicaSet;
  replicas: number;
  syncAnnotations?: boolean;
}

function withReplicas(rs: ReplicaSet, replicas: number): ReplicaSet {
  return { ...rs, spec: { ...rs.spec!, replicas } };
}

/** How big the new ReplicaSet may be now (NewRSNewReplicas). */
export function newReplicaSetReplicas(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet,
): number {
  if (!isRollingUpdate(d)) return specReplicas(d);
  const maxTotal = specReplicas(d) + maxSurge(d);
  const current = replicaCount(allRSs);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, specReplicas(d) - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}

/** The new ReplicaSet's next size in a rolling update, or undefined when it is already right. */
export function reconcileNewReplicaSet(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet,
): number | undefined {
  const current = specReplicas(newRS);
  if (current === specReplicas(d)) return undefined;
  if (current > specReplicas(d)) return specReplicas(d);
  const next = newReplicaSetReplicas(d, allRSs, newRS);
  return next === current ? undefined : next;
}

/**
 * How to shrink the old ReplicaSets in a rolling update. First the unhealthy replicas (not available,
 * so removing them costs no availability; otherwise a broken old ReplicaSet would block the rollout
 * for ever), then healthy ones as long as more than `replicas - maxUnavailable` stay available,
 * oldest ReplicaSets first. `oldRSs` are the active old ReplicaSets.
 */
export function reconcileOldReplicaSets(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  oldRSs: readonly ReplicaSet[],
  newRS: ReplicaSet,
): ScaleStep[] {
  if (replicaCount(oldRSs) === 0) return [];
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = replicaCount(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];

  const steps: ScaleStep[] = [];
  // 1. Unhealthy replicas, up to maxScaledDown.
  const olds = [...oldRSs].sort(byCreation);
  let cleaned = 0;
  for (let i = 0; i < olds.length && cleaned < maxScaledDown; i++) {
    const rs = olds[i];
    const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
    const count = Math.min(maxScaledDown - cleaned, unhealthy);
    olds[i] = withReplicas(rs, specReplicas(rs) - count);
    steps.push({ rs, replicas: specReplicas(olds[i]) });
    cleaned += count;
  }
  // 2. Healthy replicas, while availability stays above the minimum.
  const available = statusCount([...olds, newRS], 'availableReplicas');
  if (available <= minAvailable) return steps;
  const toScaleDown = available - minAvailable;
  let scaledDown = 0;
  for (const rs of olds) {
    if (scaledDown >= toScaleDown) break;
    if (specReplicas(rs) === 0) continue;
    const count = Math.min(specReplicas(rs), toScaleDown - scaledDown);
    steps.push({ rs, replicas: specReplicas(rs) - count });
    scaledDown += count;
  }
  return steps;
}

/** The only active ReplicaSet, or the newest one if none is active; undefined if several are. */
export function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/**
 * How to follow a change of `spec.replicas` (upstream's scale): with one active ReplicaSet, resize
 * it; with a saturated new ReplicaSet, empty the old ones; mid rolling update, spread the difference
 * over the active ReplicaSets in proportion to their size, so a rollout keeps its progress.
 */
export function scaleSteps(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ScaleStep[] {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    return specReplicas(activeOrLatest) === specReplicas(d)
      ? []
      : [{ rs: activeOrLatest, replicas: specReplicas(d) }];
  }
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(active);
  // Growing favours newer ReplicaSets among equals, shrinking older ones.
  if (toAdd > 0) active.sort(bySizeNewer);
  else if (toAdd < 0) active.sort(bySizeOlder);
  let added = 0;
  const sizes = active.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const proportion = replicaSetProportion(rs, d, toAdd, added);
    added += proportion;
    return specReplicas(rs) + proportion;
  });
  // Rounding leftovers go to the largest ReplicaSet.
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  return active.map((rs, i) => ({ rs, replicas: sizes[i], syncAnnotations: true }));
}

/** How many replicas `rs` gains (or loses) of `toAdd`, never past what is left to hand out. */
export function replicaSetProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** The change `rs` needs to keep its share when the Deployment's size changes. */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (specReplicas(d) === 0) return -specReplicas(rs);
  const maxNow = specReplicas(d) + maxSurge(d);
  let maxBefore = maxReplicasAnnotation(rs);
  // Without the annotation (someone edited it away) fall back to the current size; the min/max in
  // replicaSetProportion still keep the total right.
  if (!maxBefore) maxBefore = d.status?.replicas ?? 0;
  if (!maxBefore) return 0;
  return Math.round((specReplicas(rs) * maxNow) / maxBefore) - specReplicas(rs);
}

/** Recreate: every active old ReplicaSet goes to zero first. */
export function recreateScaleDownSteps(oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0 }));
}

/**
 * Recreate: whether pods of old ReplicaSets may still run. Finished pods do not count; pods of
 * unknown state do, since they might be running.
 */
export function oldPodsRunning(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
  podsByReplicaSetUid: ReadonlyMap<string, readonly Pod[]>,
): boolean {
  if (statusCount(oldRSs, 'replicas') > 0) return true;
  for (const [uid, pods] of podsByReplicaSetUid) {
    if (newRS && newRS.metadata.uid === uid) continue;
    if (pods.some((pod) => pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}

/**
 * Old ReplicaSets beyond `revisionHistoryLimit` that can go: lowest revisions first, and only those
 * fully scaled down, with no pods left and whose status is current.
 */
export function replicaSetsToCleanUp(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  if (!hasRevisionHistoryLimit(d)) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - (d.spec?.revisionHistoryLimit ?? 0);
  if (diff <= 0) return [];
  return [...alive]
    .sort(byRevision)
    .slice(0, diff)
    .filter(
      (rs) =>
        (rs.status?.replicas ?? 0) === 0 &&
        specReplicas(rs) === 0 &&
        (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
    );
}
