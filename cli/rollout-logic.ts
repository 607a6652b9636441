/**
 * The decisions behind `rollout status|history|undo|restart`, as kubectl's polymorphic helpers make
 * them for Deployments and DaemonSets. Pure: objects in, messages, tables and patches out.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { isPlainObject } from '../apiserver/api-object.js';
import { LAST_APPLIED_ANNOTATION, deepEqual } from './three-way-patch.js';
import { TabWriter } from './tab-writer.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Deployment annotations a rollback keeps from the Deployment rather than taking from the ReplicaSet. */
const ROLLBACK_KEEPS = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

type Json = Record<string, unknown>;

function rec(value: unknown): Json {
  return isPlainObject(value) ? value : {};
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function withoutHash(template: unknown): Json {
  const copy = structuredClone(rec(template));
  const labels = rec(copy.metadata).labels;
  if (isPlainObject(labels)) delete labels[POD_TEMPLATE_HASH];
  return copy;
}

/** Whether two pod templates are equal apart from the `pod-template-hash` label. */
export function templatesMatch(a: unknown, b: unknown): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

export interface RolloutStatus {
  message: string;
  done: boolean;
  /** Set when waiting is pointless (the rollout failed or cannot be watched). */
  error?: string;
}

export function deploymentRolloutStatus(d: KubeObject): RolloutStatus {
  const name = d.metadata.name ?? '';
  const spec = rec(d.spec);
  const status = rec(d.status);
  if (num(d.metadata.generation) > num(status.observedGeneration))
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  const progressing = (Array.isArray(status.conditions) ? status.conditions : []).find(
    (c) => isPlainObject(c) && c.type === 'Progressing',
  ) as Json | undefined;
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { message: '', done: false, error: `deployment "${name}" exceeded its progress deadline` };
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const updated = num(status.updatedReplicas);
  if (updated < replicas)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
      done: false,
    };
  if (num(status.replicas) > updated)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${num(status.replicas) - updated} old replicas are pending termination...`,
      done: false,
    };
  if (num(status.availableReplicas) < updated)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${num(status.availableReplicas)} of ${updated} updated replicas are available...`,
      done: false,
    };
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

export function daemonSetRolloutStatus(ds: KubeObject): RolloutStatus {
  const name = ds.metadata.name ?? '';
  const status = rec(ds.status);
  const strategy = rec(rec(ds.spec).updateStrategy).type ?? 'RollingUpdate';
  if (strategy !== 'RollingUpdate')
    return {
      message: '',
      done: true,
      error: 'rollout status is only available for RollingUpdate strategy type',
    };
  if (num(ds.metadata.generation) > num(status.observedGeneration))
    return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  if (updated < desired)
    return {
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
      done: false,
    };
  if (num(status.numberAvailable) < desired)
    return {
      message: `Waiting for daemon set "${name}" rollout to finish: ${num(status.numberAvailable)} of ${desired} updated pods are available...`,
      done: false,
    };
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

export function revisionOf(obj: KubeObject): number | undefined {
  const text = obj.metadata.annotations?.[REVISION_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The ReplicaSets a Deployment controls. */
export function ownedReplicaSets(deployment: KubeObject, replicaSets: readonly KubeObject[]): KubeObject[] {
  return replicaSets.filter((rs) =>
    (rs.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === deployment.metadata.uid),
  );
}

export interface HistoryEntry {
  revision: number;
  changeCause: string;
  template: Json;
}

/** One entry per revision, oldest first. */
export function deploymentHistory(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
): HistoryEntry[] {
  const byRevision = new Map<number, HistoryEntry>();
  for (const rs of ownedReplicaSets(deployment, replicaSets)) {
    const revision = revisionOf(rs);
    if (revision === undefined) continue;
    byRevision.set(revision, {
      revision,
      changeCause: rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '',
      template: rec(rec(rs.spec).template),
    });
  }
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}

/** `rollout history` output: `<kind.group>/<name> ` then the REVISION / CHANGE-CAUSE table. */
export function formatHistory(label: string, history: readonly HistoryEntry[]): string {
  if (history.length === 0) return `${label} \nNo rollout history found.\n`;
  const writer = new TabWriter({ minWidth: 0, padding: 2 });
  writer.write('REVISION\tCHANGE-CAUSE\n');
  for (const entry of history) writer.write(`${entry.revision}\t${entry.changeCause || '<none>'}\n`);
  return `${label} \n${writer.flush()}\n`;
}

export type RollbackPlan =
  | { action: 'skip'; revision: number }
  | { action: 'patch'; revision: number; patch: { op: string; path: string; value: unknown }[] };

/** What `rollout undo [--to-revision N]` does: nothing (template already current) or a JSON patch. */
export function planRollback(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
  toRevision: number,
): RollbackPlan {
  const name = deployment.metadata.name ?? '';
  if (rec(deployment.spec).paused === true)
    throw new Error(
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
    );
  const owned = ownedReplicaSets(deployment, replicaSets).filter((rs) => revisionOf(rs) !== undefined);
  let target: KubeObject | undefined;
  if (toRevision > 0) {
    target = owned.find((rs) => revisionOf(rs) === toRevision);
    if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  } else {
    const sorted = [...owned].sort((a, b) => revisionOf(b)! - revisionOf(a)!);
    target = sorted[1];
    if (!target) throw new Error(`no rollout history found for deployment "${name}"`);
  }
  const revision = revisionOf(target)!;
  const template = structuredClone(rec(rec(target.spec).template));
  if (templatesMatch(template, rec(deployment.spec).template)) return { action: 'skip', revision };
  const labels = rec(rec(template.metadata).labels);
  delete labels[POD_TEMPLATE_HASH];
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {}))
    if (ROLLBACK_KEEPS.has(key)) annotations[key] = value;
  for (const [key, value] of Object.entries(target.metadata.annotations ?? {}))
    if (!ROLLBACK_KEEPS.has(key)) annotations[key] = value;
  return {
    action: 'patch',
    revision,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

/** Go's `time.RFC3339` in the local zone: `2006-01-02T15:04:05Z07:00`. */
export function rfc3339Local(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

/** The strategic merge patch of `rollout restart`: a new annotation on the pod template restarts every pod. */
export function restartPatch(now: Date): Json {
  return {
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339Local(now) } } } },
  };
}
