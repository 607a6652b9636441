/**
 * The Deployment controller: rolls a Deployment's pod template out through ReplicaSets, as upstream's
 * pkg/controller/deployment.
 *
 * Contract:
 * - Each distinct template gets one ReplicaSet, named `<deployment>-<pod-template-hash>`, labelled
 *   and selected by that hash, owned by the Deployment and annotated with its revision; the newest
 *   template's ReplicaSet carries the highest revision, which is copied onto the Deployment. Going
 *   back to an old template reuses (and re-numbers) its ReplicaSet.
 * - RollingUpdate grows the new ReplicaSet and shrinks the old ones within maxSurge/maxUnavailable,
 *   judging availability from the ReplicaSets' status; Recreate empties the old ReplicaSets, waits
 *   for their pods to go, then fills the new one.
 * - A change of `spec.replicas` (seen as ReplicaSets annotated with another desired count) and a
 *   paused Deployment are only scaled, proportionally across an unfinished rollout.
 * - Old ReplicaSets beyond `revisionHistoryLimit` are deleted once empty.
 * - Status and conditions (Available, Progressing with its deadline, ReplicaFailure) are written
 *   through the status subresource only when they changed. The revision annotation is written to the
 *   Deployment itself with a merge patch, since a status write cannot change metadata.
 * - Handlers only enqueue Deployment keys; `sync(key)` reads the caches and throws to be retried.
 */
import type { ApiClient } from '../machinery/api-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import type { EventRecorder } from '../machinery/event-recorder.js';
import { CONTROLLER_UID_INDEX, NAMESPACE_INDEX } from '../machinery/indexed-store.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../machinery/keys.js';
import { labelSelectorFromSpec } from '../machinery/label-selector.js';
import type { LabelSelector } from '../machinery/label-selector.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { ControllerDescriptor } from './controller-manager.js';
import { claimObjects, controllerOf, newControllerRef } from './controller-ref.js';
import { computeHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './deployment-hash.js';
import {
  newReplicaSetReplicas,
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  recreateScaleDownSteps,
  replicaSetsToCleanUp,
  scaleSteps,
} from './deployment-rollout.js';
import type { ScaleStep } from './deployment-rollout.js';
import {
  calculateDeploymentStatus,
  deploymentComplete,
  deploymentStatusChanged,
  FAILED_RS_CREATE_REASON,
  FOUND_NEW_RS_REASON,
  getCondition,
  newCondition,
  NEW_RS_REASON,
  PAUSED_REASON,
  progressCheckDelay,
  RESUMED_REASON,
  rolloutStatus,
  setCondition,
  TIMED_OUT_REASON,
} from './deployment-status.js';
import {
  activeReplicaSets,
  desiredReplicasAnnotation,
  findNewReplicaSet,
  findOldReplicaSets,
  hasProgressDeadline,
  maxRevision,
  maxSurge,
  replicasAnnotationsNeedUpdate,
  REVISION_ANNOTATION,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from './deployment-util.js';
import { ensureOrphanIndex, ORPHAN_NAMESPACE_INDEX } from './shared-informer.js';
import type { SharedInformer } from './shared-informer.js';
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from './workload-types.js';

/** Event reasons, as upstream writes them. */
export const SCALING_REPLICA_SET = 'ScalingReplicaSet';
export const SELECTING_ALL = 'SelectingAll';

const APPS = 'apps/v1';

export interface DeploymentControllerOptions {
  client: ApiClient;
  deployments: SharedInformer<Deployment>;
  replicaSets: SharedInformer<ReplicaSet>;
  pods: SharedInformer<Pod>;
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  log?: (line: string) => void;
}

export class DeploymentController {
  /** Work queue of Deployment keys: one key is never synced by two workers at once. */
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly deployments: SharedInformer<Deployment>;
  private readonly replicaSets: SharedInformer<ReplicaSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;

  constructor(options: DeploymentControllerOptions) {
    this.client = options.client;
    this.deployments = options.deployments;
    this.replicaSets = options.replicaSets;
    this.pods = options.pods;
    this.recorder = options.recorder;
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.queue = new WorkQueue<string>({ clock: this.clock });
    ensureOrphanIndex(this.replicaSets);
    this.deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, cur) => this.enqueue(cur),
      onDelete: (d) => this.enqueue(d),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.onReplicaSetAdded(rs),
      onUpdate: (old, cur) => this.onReplicaSetUpdated(old, cur),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.pods.addEventHandler({ onDelete: (pod) => this.onPodDeleted(pod) });
  }

  async run(workers: number, signal: AbortSignal, waitForSync: () => Promise<boolean>): Promise<void> {
    if (!(await waitForSync())) return;
    await runWorkers(this.queue, workers, (key) => this.sync(key), {
      signal,
      name: 'deployment',
      log: this.log,
    });
  }

  async sync(key: string): Promise<void> {
    // 1. Read the Deployment from the cache; gone means nothing to do. Work on a copy: cached
    //    objects are shared and frozen.
    const cached = this.deployments.store.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    // 2. An empty selector would claim every ReplicaSet in the namespace: refuse, once, loudly.
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromSpec(d.spec?.selector);
    } catch (err) {
      this.log(`deployment ${key}: invalid selector: ${String(err)}`);
      return;
    }
    if (selector.isEmpty()) {
      this.recorder.event(
        d,
        'Warning',
        SELECTING_ALL,
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus(d, { ...d.status, observedGeneration: d.metadata.generation });
      }
      return;
    }
    // 3. The ReplicaSets it owns, adopting and releasing as the selector says.
    const rsList = await this.claimReplicaSets(d, selector, splitMetaNamespaceKey(key).namespace);
    // 4. Being deleted: only keep the status current; the garbage collector does the rest.
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(d, rsList);
    // 5. Record a pause or resume in the Progressing condition, so the deadline restarts on resume.
    await this.checkPausedConditions(d);
    // 6. Paused, or only resized: scale without rolling anything out.
    if (d.spec?.paused || (await this.isScalingEvent(d, rsList))) return this.syncScaleOnly(d, rsList);
    // 7. Roll out.
    switch (d.spec?.strategy?.type ?? 'RollingUpdate') {
      case 'Recreate':
        return this.rolloutRecreate(d, rsList);
      case 'RollingUpdate':
        return this.rolloutRolling(d, rsList);
      default:
        // Validation rejects other types; retrying would not help.
        this.log(`deployment ${key}: unexpected strategy type ${String(d.spec?.strategy?.type)}`);
    }
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS!];
    // Scale up, if we can.
    const newSize = reconcileNewReplicaSet(d, allRSs, newRS!);
    if (newSize !== undefined) {
      const { scaled } = await this.scaleReplicaSetAndRecordEvent(newRS!, newSize, d);
      if (scaled) return this.syncRolloutStatus(allRSs, newRS, d);
    }
    // Scale down, if we can.
    const steps = reconcileOldReplicaSets(d, allRSs, activeReplicaSets(oldRSs), newRS!);
    if ((await this.applySteps(steps, d)) > 0) return this.syncRolloutStatus(allRSs, newRS, d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    // Don't create the new ReplicaSet yet, so nothing scales up before the old pods are gone.
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs = [...oldRSs, newRS];
    if ((await this.applySteps(recreateScaleDownSteps(oldRSs), d)) > 0)
      return this.syncRolloutStatus(allRSs, newRS, d);
    if (oldPodsRunning(newRS, oldRSs, this.podsByReplicaSet(d, rsList)))
      return this.syncRolloutStatus(allRSs, newRS, d);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    await this.scaleReplicaSetAndRecordEvent(newRS!, specReplicas(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  /** Paused or resized: follow `spec.replicas` proportionally, no rollout. */
  private async syncScaleOnly(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.applySteps(scaleSteps(d, newRS, oldRSs), d);
    if (d.spec?.paused) await this.cleanupDeployment(oldRSs, d);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  private async syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /** A resize is pending when an active ReplicaSet was annotated for another replica count. */
  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== specReplicas(d);
    });
  }

  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const condition = getCondition(d.status, 'Progressing');
    // A reported timeout stays until the rollout moves again.
    if (condition?.reason === TIMED_OUT_REASON) return;
    const pausedRecorded = condition?.reason === PAUSED_REASON;
    const status = structuredClone(d.status ?? {});
    const now = this.clock.now();
    if (d.spec?.paused && !pausedRecorded) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused', now),
      );
    } else if (!d.spec?.paused && pausedRecorded) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed', now),
      );
    } else return;
    await this.writeStatus(d, status);
  }

  /**
   * The new ReplicaSet (created if asked and missing) and the old ones, with the new one's
   * annotations and the Deployment's revision brought up to date (upstream's
   * getAllReplicaSetsAndSyncRevision).
   */
  private async getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(
    d: Deployment,
    rsList: ReplicaSet[],
    oldRSs: ReplicaSet[],
    create: boolean,
  ): Promise<ReplicaSet | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadySeconds = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
        copy.spec = { ...copy.spec!, minReadySeconds };
        const updated = await this.client.update<ReplicaSet>(
          APPS,
          'ReplicaSet',
          copy.metadata.namespace,
          copy,
        );
        // Later steps of this sync must build on the written version, not on the stale cached one.
        rsList[rsList.indexOf(existing)] = updated;
        return updated;
      }
      // The ReplicaSet's revision is the reliable one; the Deployment's copy may have failed to save.
      await this.syncDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        const status = structuredClone(d.status ?? {});
        const message = `Found new replica set "${copy.metadata.name}"`;
        setCondition(
          status,
          newCondition('Progressing', 'True', FOUND_NEW_RS_REASON, message, this.clock.now()),
        );
        await this.writeStatus(d, status);
      }
      return copy;
    }
    if (!create) return undefined;
    return this.createNewReplicaSet(d, oldRSs, newRevision);
  }

  private async createNewReplicaSet(
    d: Deployment,
    oldRSs: ReplicaSet[],
    newRevision: number,
  ): Promise<ReplicaSet> {
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: APPS,
      kind: 'ReplicaSet',
      metadata: {
        // Deterministic, so a retried creation finds its own earlier attempt.
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [newControllerRef(d, APPS, 'Deployment')],
        labels: template.metadata.labels,
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    rs.spec!.replicas = newReplicaSetReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.client.create<ReplicaSet>(APPS, 'ReplicaSet', d.metadata.namespace, rs);
    } catch (err) {
      if (isAlreadyExists(err)) {
        alreadyExisted = true;
        created = await this.existingReplicaSet(d, rs.metadata.name!, err);
      } else {
        await this.reportCreateFailure(d, rs.metadata.name!, err);
        throw err;
      }
    }
    if (!alreadyExisted && specReplicas(created) > 0) {
      this.recorder.event(
        d,
        'Normal',
        SCALING_REPLICA_SET,
        `Scaled up replica set ${created.metadata.name} from 0 to ${specReplicas(created)}`,
      );
    }
    await this.syncDeploymentRevision(d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const status = structuredClone(d.status ?? {});
      const message = `Created new replica set "${created.metadata.name}"`;
      setCondition(status, newCondition('Progressing', 'True', NEW_RS_REASON, message, this.clock.now()));
      await this.writeStatus(d, status);
    }
    return created;
  }

  /**
   * The ReplicaSet already under the new name: ours if we own it with this template (a slow cache);
   * otherwise a hash collision, resolved by bumping collisionCount so the next sync hashes anew.
   */
  private async existingReplicaSet(d: Deployment, name: string, err: unknown): Promise<ReplicaSet> {
    const rs =
      this.replicaSets.store.get(`${d.metadata.namespace}/${name}`) ??
      (await this.client.get<ReplicaSet>(APPS, 'ReplicaSet', d.metadata.namespace, name));
    if (controllerOf(rs)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template))
      return rs;
    await this.writeStatus(d, { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
    this.log(
      `deployment ${d.metadata.namespace}/${d.metadata.name}: hash collision on ${name}, bumping collisionCount`,
    );
    throw err;
  }

  private async reportCreateFailure(d: Deployment, name: string, err: unknown): Promise<void> {
    if (isNamespaceTerminating(err)) return;
    const message = `Failed to create new replica set "${name}": ${err instanceof Error ? err.message : String(err)}`;
    if (hasProgressDeadline(d)) {
      const status = structuredClone(d.status ?? {});
      setCondition(
        status,
        newCondition('Progressing', 'False', FAILED_RS_CREATE_REASON, message, this.clock.now()),
      );
      // The create error matters more than a failed status write.
      await this.writeStatus(d, status).catch(() => undefined);
    }
    this.recorder.event(d, 'Warning', FAILED_RS_CREATE_REASON, message);
  }

  private async syncDeploymentRevision(d: Deployment, revision: string | undefined): Promise<void> {
    if (revision === undefined || d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const patched = await this.client.patch<Deployment>(
      APPS,
      'Deployment',
      d.metadata.namespace,
      d.metadata.name!,
      {
        metadata: { annotations: { [REVISION_ANNOTATION]: revision } },
      },
    );
    d.metadata.annotations = { ...d.metadata.annotations, [REVISION_ANNOTATION]: revision };
    d.metadata.resourceVersion = patched.metadata.resourceVersion;
  }

  /** Applies scale steps in order; returns how many replicas were added or removed in total. */
  private async applySteps(steps: ScaleStep[], d: Deployment): Promise<number> {
    const latest = new Map<string, ReplicaSet>();
    let changed = 0;
    for (const step of steps) {
      const rs = latest.get(step.rs.metadata.uid!) ?? step.rs;
      const before = specReplicas(rs);
      const result = step.syncAnnotations
        ? await this.scaleReplicaSet(rs, step.replicas, d)
        : await this.scaleReplicaSetAndRecordEvent(rs, step.replicas, d);
      latest.set(step.rs.metadata.uid!, result.rs);
      if (result.scaled) changed += Math.abs(step.replicas - before);
    }
    return changed;
  }

  private async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, replicas: number, d: Deployment) {
    if (specReplicas(rs) === replicas) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, replicas, d);
  }

  /** Sets the size and the replica annotations of `rs`, writing only if either changes. */
  private async scaleReplicaSet(
    rs: ReplicaSet,
    replicas: number,
    d: Deployment,
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const sizeChanges = specReplicas(rs) !== replicas;
    const [desired, max] = [specReplicas(d), specReplicas(d) + maxSurge(d)];
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec!, replicas };
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.client.update<ReplicaSet>(APPS, 'ReplicaSet', copy.metadata.namespace, copy);
    if (sizeChanges) {
      const direction = specReplicas(rs) < replicas ? 'up' : 'down';
      this.recorder.event(
        d,
        'Normal',
        SCALING_REPLICA_SET,
        `Scaled ${direction} replica set ${rs.metadata.name} from ${specReplicas(rs)} to ${replicas}`,
      );
    }
    return { scaled: sizeChanges, rs: updated };
  }

  private async cleanupDeployment(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    for (const rs of replicaSetsToCleanUp(d, oldRSs)) {
      try {
        await this.client.delete(APPS, 'ReplicaSet', rs.metadata.namespace, rs.metadata.name!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async syncDeploymentStatus(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ) {
    const status = calculateDeploymentStatus(allRSs, newRS, d, this.clock.now());
    if (deploymentStatusChanged(d, status)) await this.writeComputedStatus(d, status);
  }

  private async syncRolloutStatus(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ) {
    const now = this.clock.now();
    const status = rolloutStatus(allRSs, newRS, d, now);
    if (deploymentStatusChanged(d, status)) return this.writeComputedStatus(d, status);
    // Nothing moved: come back when the deadline would pass, or nothing would notice a stuck rollout.
    const delay = progressCheckDelay(d, status, now);
    if (delay === 0) this.queue.addRateLimited(metaNamespaceKey(d));
    else if (delay !== undefined) this.queue.addAfter(metaNamespaceKey(d), delay);
  }

  /**
   * Writes a status computed from the caches. The one writer of a Deployment's status is this
   * controller, one sync at a time, so a conflict here means the cache has not yet shown our own
   * previous write; the stored copy is then read and, if it is still the same generation and
   * collisionCount, the status (computed from caches at least as new as that write's) goes onto it
   * once, instead of a requeue with backoff.
   */
  private async writeComputedStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    try {
      await this.writeStatus(d, status);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const stored = await this.client.get<Deployment>(
        APPS,
        'Deployment',
        d.metadata.namespace,
        d.metadata.name!,
      );
      if (
        stored.metadata.generation !== d.metadata.generation ||
        stored.status?.collisionCount !== d.status?.collisionCount
      ) {
        throw err;
      }
      d.metadata.resourceVersion = stored.metadata.resourceVersion;
      await this.writeStatus(d, status);
    }
  }

  /** Writes `status` and keeps `d` (the working copy) in step with what was stored. */
  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    const written = await this.client.updateStatus<Deployment>(APPS, 'Deployment', d.metadata.namespace, {
      ...d,
      status: withoutZeroCounts(status),
    });
    d.status = written.status ?? status;
    d.metadata.resourceVersion = written.metadata.resourceVersion;
  }

  private async claimReplicaSets(
    d: Deployment,
    selector: LabelSelector,
    namespace: string,
  ): Promise<ReplicaSet[]> {
    const candidates = [
      ...this.replicaSets.store.byIndex(CONTROLLER_UID_INDEX, d.metadata.uid ?? ''),
      ...this.replicaSets.store.byIndex(ORPHAN_NAMESPACE_INDEX, namespace),
    ];
    return claimObjects(candidates, {
      client: this.client,
      controller: d,
      controllerApiVersion: APPS,
      controllerKind: 'Deployment',
      apiVersion: APPS,
      kind: 'ReplicaSet',
      matches: (rs) => selector.matches(rs.metadata.labels ?? {}),
    });
  }

  /** Pods of the Deployment's ReplicaSets that its selector matches, by ReplicaSet uid. */
  private podsByReplicaSet(d: Deployment, rsList: ReplicaSet[]): Map<string, Pod[]> {
    const selector = labelSelectorFromSpec(d.spec?.selector);
    return new Map(
      rsList.map((rs) => [
        rs.metadata.uid!,
        this.pods.store
          .byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid!)
          .filter((pod) => selector.matches(pod.metadata.labels ?? {})),
      ]),
    );
  }

  private enqueue(d: Deployment): void {
    this.queue.add(metaNamespaceKey(d));
  }

  private resolveDeployment(rs: ReplicaSet): Deployment | undefined {
    const ref = controllerOf(rs);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.deployments.store.get(`${rs.metadata.namespace}/${ref.name}`);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.resolveDeployment(rs);
    if (d) this.enqueue(d);
  }

  /** Deployments that may adopt an orphan ReplicaSet. */
  private enqueueMatching(rs: ReplicaSet): void {
    for (const d of this.deployments.store.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '')) {
      try {
        const selector = labelSelectorFromSpec(d.spec?.selector);
        if (!selector.isEmpty() && selector.matches(rs.metadata.labels ?? {})) this.enqueue(d);
      } catch {
        // An unparsable selector matches nothing.
      }
    }
  }

  private onReplicaSetAdded(rs: ReplicaSet): void {
    if (controllerOf(rs)) this.enqueueOwner(rs);
    else this.enqueueMatching(rs);
  }

  private onReplicaSetUpdated(old: ReplicaSet, cur: ReplicaSet): void {
    const [oldRef, curRef] = [controllerOf(old), controllerOf(cur)];
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) this.enqueueOwner(old);
    if (curRef) return this.enqueueOwner(cur);
    const labelsChanged =
      JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelsChanged || refChanged) this.enqueueMatching(cur);
  }

  /** Recreate waits for old pods to disappear; their deletion is what lets it continue. */
  private onPodDeleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.store.get(`${pod.metadata.namespace}/${ref.name}`);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.resolveDeployment(rs);
    if (d?.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }
}

/** Upstream's status fields are omitempty: zero counts are left out of what is written. */
function withoutZeroCounts(status: DeploymentStatus): DeploymentStatus {
  const result: DeploymentStatus = { ...status };
  for (const field of [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const) {
    if (!result[field]) delete result[field];
  }
  return result;
}

function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { details?: { causes?: { reason?: string }[] } })?.details?.causes ?? [];
  return causes.some((c) => c.reason === 'NamespaceTerminating');
}

export const deploymentController: ControllerDescriptor = {
  name: 'deployment',
  async start(ctx, signal) {
    const deployments = ctx.informer<Deployment>(APPS, 'Deployment');
    const replicaSets = ctx.informer<ReplicaSet>(APPS, 'ReplicaSet');
    const pods = ctx.informer<Pod>('v1', 'Pod');
    const controller = new DeploymentController({
      client: ctx.client,
      deployments,
      replicaSets,
      pods,
      recorder: ctx.eventRecorder('deployment-controller'),
      clock: ctx.clock,
      log: ctx.log,
    });
    await controller.run(ctx.workers, signal, () => ctx.waitForSync(signal, deployments, replicaSets, pods));
  },
};
