/**
 * The ReplicaSet controller: keeps exactly `spec.replicas` active pods matching each ReplicaSet, as
 * upstream's pkg/controller/replicaset.
 *
 * Contract:
 * - Event handlers only enqueue ReplicaSet keys (and record pod creations and deletions against the
 *   owner's expectations); `sync(key)` does the work from the informer caches and writes through the
 *   API. A thrown error requeues the key with backoff.
 * - Creations and deletions are counted as expectations before they are sent; until the cache has
 *   shown all of them (or 5 minutes passed) the pod count is not acted on again, so a lagging cache
 *   never causes extra creates or deletes.
 * - Pods are created in slow-start batches (1, 2, 4, ...), at most 500 per sync; the pods deleted
 *   first are the least valuable ones (see `comparePodsForDeletion`).
 * - Orphan pods matching the selector are adopted, owned pods that stop matching are released.
 * - Status is written through the status subresource only when it changed.
 */
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
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
import { ControllerExpectations } from './expectations.js';
import { isPodActive, isPodReady } from './pod-state.js';
import {
  BURST_REPLICAS,
  calculateReplicaSetStatus,
  manageReplicasDiff,
  podFromTemplate,
  podsToDelete,
  replicaSetStatusChanged,
} from './replicaset-decisions.js';
import { ensureOrphanIndex, ORPHAN_NAMESPACE_INDEX } from './shared-informer.js';
import type { SharedInformer } from './shared-informer.js';
import { slowStartBatch } from './slow-start.js';
import type { Pod, ReplicaSet, ReplicaSetStatus } from './workload-types.js';

/** Event reasons, as upstream's pod control writes them. */
export const SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const FAILED_CREATE = 'FailedCreate';
export const SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const FAILED_DELETE = 'FailedDelete';

const RS_API_VERSION = 'apps/v1';
const RS_KIND = 'ReplicaSet';
/** Upstream's SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;

export interface ReplicaSetControllerOptions {
  client: ApiClient;
  pods: SharedInformer<Pod>;
  replicaSets: SharedInformer<ReplicaSet>;
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  log?: (line: string) => void;
  burstReplicas?: number;
}

export class ReplicaSetController {
  /** Work queue of ReplicaSet keys: one key is never synced by two workers at once. */
  readonly queue: WorkQueue<string>;
  /** Creations and deletions sent but not yet seen in the pod cache, per ReplicaSet key. */
  readonly expectations: ControllerExpectations;
  private readonly client: ApiClient;
  private readonly pods: SharedInformer<Pod>;
  private readonly replicaSets: SharedInformer<ReplicaSet>;
  private readonly recorder: Pick<EventRecorder, 'event'>;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly burstReplicas: number;
  /** Set while running: once aborted, no further pod is created or deleted. */
  private stopping: AbortSignal | undefined;

  constructor(options: ReplicaSetControllerOptions) {
    this.client = options.client;
    this.pods = options.pods;
    this.replicaSets = options.replicaSets;
    this.recorder = options.recorder;
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.expectations = new ControllerExpectations({ clock: this.clock });
    ensureOrphanIndex(this.pods);
    ensureOrphanIndex(this.replicaSets);
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.onReplicaSetDeleted(old);
        this.enqueue(cur);
      },
      onDelete: (rs) => this.onReplicaSetDeleted(rs),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.onPodAdded(pod),
      onUpdate: (old, cur) => this.onPodUpdated(old, cur),
      onDelete: (pod) => this.onPodDeleted(pod),
    });
  }

  /** Runs `workers` workers once both caches have synced, until `signal` aborts. */
  async run(workers: number, signal: AbortSignal, waitForSync: () => Promise<boolean>): Promise<void> {
    this.stopping = signal;
    if (!(await waitForSync())) return;
    await runWorkers(this.queue, workers, (key) => this.sync(key), {
      signal,
      name: 'replicaset',
      log: this.log,
    });
  }

  /**
   * Brings one ReplicaSet's pods to `spec.replicas` and reports its status. Not to be called
   * concurrently for one key; the work queue guarantees that.
   */
  async sync(key: string): Promise<void> {
    // 1. Read the ReplicaSet from the cache. Gone: its expectations can never be met, forget them.
    const { namespace } = splitMetaNamespaceKey(key);
    const rs = this.replicaSets.store.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    // 2. A selector that cannot be parsed will not parse on a retry either: log, don't requeue.
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromSpec(rs.spec?.selector);
    } catch (err) {
      this.log(`replicaset ${key}: invalid selector: ${String(err)}`);
      return;
    }
    // 3. Read the expectations before the pods, so a pod observed in between is not counted twice.
    const needsSync = this.expectations.satisfied(key);
    // 4. The active pods it owns, after adopting matching orphans and releasing non-matching pods.
    const candidates = [
      ...this.pods.store.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid ?? ''),
      ...this.pods.store.byIndex(ORPHAN_NAMESPACE_INDEX, namespace),
    ].filter(isPodActive);
    const pods = await claimObjects(candidates, {
      client: this.client,
      controller: rs,
      controllerApiVersion: RS_API_VERSION,
      controllerKind: RS_KIND,
      apiVersion: 'v1',
      kind: 'Pod',
      matches: (pod) => selector.matches(pod.metadata.labels ?? {}),
    });
    // 5. Create or delete pods, unless earlier ones are still in flight or the ReplicaSet is going.
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err;
      }
    }
    // 6. Report what was found, whether or not managing succeeded.
    const status = calculateReplicaSetStatus(rs, pods, manageError, this.clock.now());
    const written = await this.updateStatus(rs, status);
    // 7. Pods become available minReadySeconds after turning ready without any event saying so:
    //    look again then (also the last line of defence against clock skew, as upstream says).
    const minReadySeconds = written.spec?.minReadySeconds ?? 0;
    const replicas = written.spec?.replicas ?? 1;
    if (
      manageError === undefined &&
      minReadySeconds > 0 &&
      (written.status?.readyReplicas ?? 0) === replicas &&
      (written.status?.availableReplicas ?? 0) !== replicas
    ) {
      this.queue.addAfter(key, minReadySeconds * 1000);
    }
    // 8. A failed create or delete requeues the key with backoff.
    if (manageError !== undefined) throw manageError;
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const { create, delete: deleteCount } = manageReplicasDiff(
      pods.length,
      rs.spec?.replicas ?? 1,
      this.burstReplicas,
    );
    if (create > 0) {
      // Expect before creating: the informer may deliver a pod before the create call returns.
      this.expectations.expectCreations(key, create);
      const controllerRef = newControllerRef(rs, RS_API_VERSION, RS_KIND);
      const { successes, error } = await slowStartBatch(create, SLOW_START_INITIAL_BATCH, () =>
        this.createPod(rs, controllerRef),
      );
      // Pods never created will never be observed: stop waiting for them.
      for (let skipped = create - successes; skipped > 0; skipped--) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (deleteCount > 0) {
      const victims = podsToDelete(pods, this.relatedPods(rs), deleteCount, this.clock.now());
      this.expectations.expectDeletions(key, victims.map(metaNamespaceKey));
      const results = await Promise.allSettled(victims.map((pod) => this.deletePod(key, rs, pod)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  private async createPod(rs: ReplicaSet, controllerRef: ReturnType<typeof newControllerRef>): Promise<void> {
    // A stopping controller (lost leadership, shutdown) must not keep acting on what it last saw.
    if (this.stopping?.aborted) throw new Error('the controller is stopping');
    if (Object.keys(rs.spec?.template?.metadata?.labels ?? {}).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    try {
      const pod = await this.client.create<Pod>(
        'v1',
        'Pod',
        rs.metadata.namespace,
        podFromTemplate(rs, controllerRef),
      );
      this.recorder.event(rs, 'Normal', SUCCESSFUL_CREATE, `Created pod: ${pod.metadata.name}`);
    } catch (err) {
      // Every create in a terminating namespace fails; there is nothing to report or retry.
      if (isNamespaceTerminating(err)) return;
      this.recorder.event(rs, 'Warning', FAILED_CREATE, `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async deletePod(key: string, rs: ReplicaSet, pod: Pod): Promise<void> {
    if (this.stopping?.aborted) throw new Error('the controller is stopping');
    try {
      await this.client.delete('v1', 'Pod', pod.metadata.namespace, pod.metadata.name ?? '');
      this.recorder.event(rs, 'Normal', SUCCESSFUL_DELETE, `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      // The informer will not see this deletion happen: stop waiting for it.
      this.expectations.deletionObserved(key, metaNamespaceKey(pod));
      if (isNotFound(err)) return;
      this.recorder.event(rs, 'Warning', FAILED_DELETE, `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Active pods of this ReplicaSet and of the ReplicaSets sharing its controller (a Deployment's). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    const siblings = owner ? this.replicaSets.store.byIndex(CONTROLLER_UID_INDEX, owner.uid) : [rs];
    return siblings.flatMap((s) => this.pods.store.byIndex(CONTROLLER_UID_INDEX, s.metadata.uid ?? ''));
  }

  private async updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (!replicaSetStatusChanged(rs, status)) return rs;
    try {
      return await this.client.updateStatus<ReplicaSet>(RS_API_VERSION, RS_KIND, rs.metadata.namespace, {
        ...structuredClone(rs),
        status,
      });
    } catch (err) {
      if (isNotFound(err)) return rs;
      // Retry once on the newest version, as upstream does; after that the key is requeued. The
      // status keeps the generation it was computed for: a Deployment scaling this ReplicaSet
      // meanwhile bumped the generation, and claiming that one would tell it its new size had been
      // acted on when these counts come from the old one.
      const fresh = await this.client.get<ReplicaSet>(
        RS_API_VERSION,
        RS_KIND,
        rs.metadata.namespace,
        rs.metadata.name ?? '',
      );
      return this.client.updateStatus<ReplicaSet>(RS_API_VERSION, RS_KIND, rs.metadata.namespace, {
        ...fresh,
        status,
      });
    }
  }

  private enqueue(rs: ReplicaSet): void {
    this.queue.add(metaNamespaceKey(rs));
  }

  private onReplicaSetDeleted(rs: ReplicaSet): void {
    const key = metaNamespaceKey(rs);
    this.expectations.delete(key);
    this.queue.add(key);
  }

  /** The ReplicaSet a controller reference points to, if it is one we know with that uid. */
  private resolveControllerRef(pod: Pod): ReplicaSet | undefined {
    const ref = controllerOf(pod);
    if (ref?.kind !== RS_KIND) return undefined;
    const rs = this.replicaSets.store.get(`${pod.metadata.namespace}/${ref.name}`);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it: who may adopt an orphan. */
  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata.labels ?? {};
    return this.replicaSets.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '').filter((rs) => {
      try {
        const selector = labelSelectorFromSpec(rs.spec?.selector);
        return !selector.isEmpty() && selector.matches(labels);
      } catch {
        return false;
      }
    });
  }

  private onPodAdded(pod: Pod): void {
    // A pod already being deleted when first seen (e.g. after a restart) counts as a deletion.
    if (pod.metadata.deletionTimestamp) return this.onPodDeleted(pod);
    if (controllerOf(pod)) {
      const rs = this.resolveControllerRef(pod);
      if (!rs) return;
      this.expectations.creationObserved(metaNamespaceKey(rs));
      return this.enqueue(rs);
    }
    // An orphan: wake every ReplicaSet that may adopt it.
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private onPodUpdated(old: Pod, cur: Pod): void {
    const labelsChanged =
      JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // Being deleted (gracefully): act on it now rather than wait for the final delete.
      this.onPodDeleted(cur);
      if (labelsChanged) this.onPodDeleted(old);
      return;
    }
    const [oldRef, curRef] = [controllerOf(old), controllerOf(cur)];
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const previous = this.resolveControllerRef(old);
      if (previous) this.enqueue(previous);
    }
    if (curRef) {
      const rs = this.resolveControllerRef(cur);
      if (!rs) return;
      this.enqueue(rs);
      const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) {
        // One more second against millisecond skew, as upstream does.
        this.queue.addAfter(metaNamespaceKey(rs), minReadySeconds * 1000 + 1000);
      }
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(cur)) this.enqueue(rs);
  }

  private onPodDeleted(pod: Pod): void {
    const rs = this.resolveControllerRef(pod);
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.queue.add(key);
  }
}

function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { details?: { causes?: { reason?: string }[] } })?.details?.causes ?? [];
  return causes.some((c) => c.reason === 'NamespaceTerminating');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const replicaSetController: ControllerDescriptor = {
  name: 'replicaset',
  async start(ctx, signal) {
    const pods = ctx.informer<Pod>('v1', 'Pod');
    const replicaSets = ctx.informer<ReplicaSet>(RS_API_VERSION, RS_KIND);
    const controller = new ReplicaSetController({
      client: ctx.client,
      pods,
      replicaSets,
      recorder: ctx.eventRecorder('replicaset-controller'),
      clock: ctx.clock,
      log: ctx.log,
    });
    await controller.run(ctx.workers, signal, () => ctx.waitForSync(signal, pods, replicaSets));
  },
};
