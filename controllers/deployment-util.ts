/**
 * What the Deployment controller knows about Deployments and their ReplicaSets, as upstream's
 * deployment/util: revisions and the annotations carrying them, which ReplicaSet is the new one,
 * orderings, and the surge/unavailability fenceposts. Pure functions; "set" functions change the
 * (already copied) object they are given and say whether they changed anything.
 */
import { equalIgnoreHash } from './deployment-hash.js';
import type { Deployment, ReplicaSet } from './workload-types.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Upstream's limit on the revision-history annotation. */
const MAX_REVISION_HISTORY_CHARS = 2000;
/** A progress deadline or history limit of MaxInt32 means "none", as upstream. */
const MAX_INT32 = 2 ** 31 - 1;

/** Deployment annotations never copied onto its ReplicaSets (the controller owns them). */
const ANNOTATIONS_NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

export type IntOrString = number | string;

/** `spec.replicas`, which the API server defaults to 1. */
export function specReplicas(obj: Deployment | ReplicaSet | undefined): number {
  return obj?.spec?.replicas ?? 1;
}

export function revisionOf(rs: ReplicaSet): number {
  const text = rs.metadata.annotations?.[REVISION_ANNOTATION];
  const value = text === undefined ? NaN : Number(text);
  return Number.isInteger(value) ? value : 0;
}

export function maxRevision(replicaSets: readonly ReplicaSet[]): number {
  return Math.max(0, ...replicaSets.map(revisionOf));
}

function creationMs(rs: ReplicaSet): number {
  return Date.parse(rs.metadata.creationTimestamp ?? '') || 0;
}

/** Oldest first; ties by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return creationMs(a) - creationMs(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);
}

/** Lowest revision first; ties oldest first. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** Largest first; equal sizes newest first (who to grow first). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** Largest first; equal sizes oldest first (who to shrink first). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** The oldest ReplicaSet whose template is the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...replicaSets].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, replicaSets);
  return replicaSets.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
}

export function activeReplicaSets(replicaSets: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return replicaSets.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** Sum of `spec.replicas`. */
export function replicaCount(replicaSets: readonly (ReplicaSet | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs ? specReplicas(rs) : 0), 0);
}

/** Sum of a status count. */
export function statusCount(
  replicaSets: readonly (ReplicaSet | undefined)[],
  field: 'replicas' | 'readyReplicas' | 'availableReplicas',
): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.[field] ?? 0), 0);
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function hasProgressDeadline(d: Deployment): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== null && deadline !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const limit = d.spec?.revisionHistoryLimit;
  return limit !== undefined && limit !== null && limit !== MAX_INT32;
}

/**
 * An int-or-percent scaled against `total`: percentages round up or down as asked, as upstream's
 * GetScaledValueFromIntOrPercent. Throws on a malformed string.
 */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^(-?\d+)%$/.exec(value);
  if (!match) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) for `desired` replicas. Both zero (only
 * possible through rounding) becomes maxUnavailable 1, since surging might be blocked by quota.
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  const unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

function fenceposts(d: Deployment) {
  const rolling = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(
    rolling?.maxSurge as IntOrString | undefined,
    rolling?.maxUnavailable as IntOrString | undefined,
    specReplicas(d),
  );
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || specReplicas(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, specReplicas(d));
}

function annotationsOf(obj: Deployment | ReplicaSet): Record<string, string> {
  return (obj.metadata.annotations ??= {});
}

/** Copies the Deployment's own annotations onto the ReplicaSet; true if any changed. */
export function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  const target = annotationsOf(rs);
  let changed = false;
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(key) || target[key] === value) continue;
    target[key] = value;
    changed = true;
  }
  return changed;
}

/** Sets desired-replicas and max-replicas; true if either changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const target = annotationsOf(rs);
  let changed = false;
  for (const [key, value] of [
    [DESIRED_REPLICAS_ANNOTATION, String(desired)],
    [MAX_REPLICAS_ANNOTATION, String(max)],
  ]) {
    if (target[key] !== value) {
      target[key] = value;
      changed = true;
    }
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const annotations = rs.metadata.annotations ?? {};
  return (
    annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired) ||
    annotations[MAX_REPLICAS_ANNOTATION] !== String(max)
  );
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const value = Number(rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION]);
  return rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== undefined && Number.isInteger(value)
    ? value
    : undefined;
}

export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const value = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]);
  return rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] !== undefined && Number.isInteger(value)
    ? value
    : undefined;
}

/**
 * The new ReplicaSet's annotations, as upstream's SetNewReplicaSetAnnotations: the Deployment's own
 * annotations, the revision raised to `newRevision` if lower (a rollback to an old template moves its
 * ReplicaSet to the newest revision, remembering the old numbers in revision-history), and, for a
 * ReplicaSet about to be created, the replica annotations. True if anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = annotationsOf(rs);
  const oldText = annotations[REVISION_ANNOTATION];
  const oldRevision = oldText === undefined ? 0 : Number(oldText);
  if (!Number.isInteger(oldRevision)) return false;
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      if (!history) annotations[REVISION_HISTORY_ANNOTATION] = oldText;
      else {
        // Drop the oldest entries while the list would exceed the limit.
        const entries = history.split(',');
        let total = history.length + oldText.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < entries.length)
          total -= entries[start++].length + 1;
        if (total <= MAX_REVISION_HISTORY_CHARS)
          annotations[REVISION_HISTORY_ANNOTATION] = [...entries.slice(start), oldText].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/**
 * Whether `rs` already runs the whole Deployment: sized and annotated for its replicas and all of
 * them available.
 */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const replicas = specReplicas(d);
  return (
    specReplicas(rs) === replicas &&
    desiredReplicasAnnotation(rs) === replicas &&
    (rs.status?.availableReplicas ?? 0) === replicas
  );
}
