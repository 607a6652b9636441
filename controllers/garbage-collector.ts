/**
 * Garbage collector: deletes objects whose owners are gone and carries out Foreground and Orphan
 * deletion, as upstream's pkg/controller/garbagecollector, over a fixed set of watched kinds.
 *
 * Contract:
 * - Owners are identified by uid: an ownerReference whose object is not in the cache is looked up on
 *   the API server by apiVersion, kind, namespace and name, and counts as gone when it is not found or
 *   has another uid (a recreated owner does not adopt the old one's dependents). Uids known to be gone
 *   are remembered, since uids are never reused.
 * - A dependent none of whose owners exists is deleted (uid precondition), with the policy its own
 *   finalizers ask for (Background by default). A dependent with at least one existing owner keeps
 *   living, and references to gone owners (or to owners waiting for their dependents) are removed.
 * - An owner marked for deletion with the `foregroundDeletion` finalizer gets all its dependents
 *   deleted (Foreground themselves when they have dependents of their own); once no dependent with
 *   `blockOwnerDeletion` references it, the finalizer is removed and the API server lets the owner go.
 * - An owner marked for deletion with the `orphan` finalizer has its reference removed from every
 *   dependent, then the finalizer removed.
 * - Objects of kinds that are not watched are never collected, and an owner of an unwatched kind is
 *   only checked when its dependent changes or the collector starts.
 * Not done: upstream's cycle detection among foreground deletions, the OwnerRefInvalidNamespace check.
 */
import type { KubeObject, ObjectMeta, OwnerReference } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isConflict, isNotFound } from '../machinery/api-status-error.js';
import type { Clock } from '../machinery/clock.js';
import type { Informer } from '../machinery/informer.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { ControllerDescriptor } from './controller-manager.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** The kinds whose objects are collected and whose deletions are watched. */
export const GC_WATCHED_KINDS: readonly KindRef[] = [
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'Endpoints' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
];

const UID_INDEX = 'garbage-collector/uid';
const OWNER_UID_INDEX = 'garbage-collector/ownerUid';
/** Uids are never reused, so a gone owner stays gone; the bound only limits memory. */
const MAX_ABSENT_OWNERS = 10_000;
/** Metadata patches retry this often on conflicting writes before the key is requeued. */
const MAX_PATCH_ATTEMPTS = 5;

// ---------------------------------------------------------------------------------------------------
// Pure decisions

/** Where an object stands, for the objects that reference it. */
export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

export type GcDecision =
  | { action: 'keep' }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; propagationPolicy: 'Background' | 'Foreground' | 'Orphan' };

export function isBeingDeleted(meta: ObjectMeta): boolean {
  return Boolean(meta.deletionTimestamp);
}

export function hasFinalizer(meta: ObjectMeta, finalizer: string): boolean {
  return (meta.finalizers ?? []).includes(finalizer);
}

/** Foreground deletion in progress: the object waits for its blocking dependents to go. */
export function isDeletingDependents(meta: ObjectMeta): boolean {
  return isBeingDeleted(meta) && hasFinalizer(meta, FOREGROUND_FINALIZER);
}

/** What an ownerReference finds: the owner's metadata (found by uid), or nothing. */
export function ownerState(ref: OwnerReference, owner: ObjectMeta | undefined): OwnerState {
  if (!owner || owner.uid !== ref.uid) return 'dangling';
  return isDeletingDependents(owner) ? 'waitingForDependentsDeletion' : 'solid';
}

/**
 * What to do with an object that has ownerReferences, given the state of each owner, as upstream's
 * attemptToDeleteItem.
 */
export function decideForDependent(
  owners: readonly { uid: string; state: OwnerState }[],
  item: { finalizers?: readonly string[]; hasDependents: boolean },
): GcDecision {
  if (owners.length === 0) return { action: 'keep' };
  const solid = owners.filter((o) => o.state === 'solid');
  const waiting = owners.filter((o) => o.state === 'waitingForDependentsDeletion');
  if (solid.length > 0) {
    // References to gone owners are dropped; so are references to owners waiting on their dependents,
    // or those owners would wait forever on an object another owner keeps alive.
    const stale = owners.filter((o) => o.state !== 'solid').map((o) => o.uid);
    return stale.length ? { action: 'removeOwnerReferences', uids: stale } : { action: 'keep' };
  }
  // An owner waits for us, and we have dependents of our own: they must go before us.
  if (waiting.length > 0 && item.hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  const finalizers = item.finalizers ?? [];
  if (finalizers.includes(ORPHAN_FINALIZER)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (finalizers.includes(FOREGROUND_FINALIZER)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}

/** The dependents that keep a foreground-deleting owner from going. */
export function blockingDependents<T extends KubeObject>(ownerUid: string, dependents: readonly T[]): T[] {
  return dependents.filter((d) =>
    (d.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true),
  );
}

/** The ownerReferences left after dropping `uids`; null when none are left (removes the field). */
export function ownerReferencesWithout(
  refs: readonly OwnerReference[] | undefined,
  uids: readonly string[],
): OwnerReference[] | null | undefined {
  const kept = (refs ?? []).filter((r) => !uids.includes(r.uid));
  if (kept.length === (refs ?? []).length) return undefined;
  return kept.length ? kept : null;
}

/** The finalizers left after dropping `finalizer`; null when none are left, undefined if absent. */
export function finalizersWithout(
  finalizers: readonly string[] | undefined,
  finalizer: string,
): string[] | null | undefined {
  if (!(finalizers ?? []).includes(finalizer)) return undefined;
  const kept = finalizers!.filter((f) => f !== finalizer);
  return kept.length ? kept : null;
}

/** The metadata whose change can change a collector decision about the object itself. */
export function gcRelevantState(meta: ObjectMeta): string {
  return JSON.stringify([meta.ownerReferences ?? [], meta.deletionTimestamp ?? null, meta.finalizers ?? []]);
}

export interface ObjectIdentity extends KindRef {
  namespace: string;
  name: string;
}

/** Queue keys name the kind too, since the collector works across kinds: `apps/v1|ReplicaSet|ns|name`. */
export function gcKey(id: ObjectIdentity): string {
  return [id.apiVersion, id.kind, id.namespace, id.name].join('|');
}

export function parseGcKey(key: string): ObjectIdentity {
  const [apiVersion, kind, namespace, name] = key.split('|');
  if (!apiVersion || !kind || name === undefined || !name) throw new Error(`unexpected key format: "${key}"`);
  return { apiVersion, kind, namespace, name };
}

// ---------------------------------------------------------------------------------------------------
// The controller

export type GcInformer = Pick<Informer, 'store' | 'addEventHandler' | 'waitForSync' | 'addIndexers'>;

export interface GarbageCollectorOptions {
  client: Pick<ApiClient, 'get' | 'patch' | 'delete'>;
  /** One informer per watched kind. */
  informers: readonly (KindRef & { informer: GcInformer })[];
  clock?: Clock;
  log?: (line: string) => void;
}

interface Located {
  kind: KindRef;
  obj: KubeObject;
}

export class GarbageCollector {
  /** gcKey strings; one worker per object at a time. */
  readonly queue: WorkQueue<string>;
  private readonly log: (line: string) => void;
  private readonly byKind = new Map<string, KindRef & { informer: GcInformer }>();
  /** Owner uids known not to exist, in insertion order for eviction. */
  private readonly absentOwners = new Set<string>();

  constructor(private readonly options: GarbageCollectorOptions) {
    this.queue = new WorkQueue<string>({ clock: options.clock });
    this.log = options.log ?? ((line) => console.error(line));
    for (const entry of options.informers) {
      this.byKind.set(`${entry.apiVersion}/${entry.kind}`, entry);
      entry.informer.addIndexers({
        [UID_INDEX]: (obj) => (obj.metadata.uid ? [obj.metadata.uid] : []),
        [OWNER_UID_INDEX]: (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid),
      });
    }
  }

  register(): () => void {
    const stops = this.options.informers.map((entry) =>
      entry.informer.addEventHandler({
        onAdd: (obj) => this.onChange(entry, undefined, obj),
        onUpdate: (old, cur) => this.onChange(entry, old, cur),
        onDelete: (obj) => this.onDelete(obj),
      }),
    );
    return () => stops.forEach((stop) => stop());
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const unregister = this.register();
    try {
      const synced = await Promise.all(this.options.informers.map((e) => e.informer.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      await runWorkers(this.queue, workers, (key) => this.sync(key), {
        signal,
        name: 'garbage-collector',
        log: this.log,
      });
    } finally {
      unregister();
      this.queue.shutDown();
    }
  }

  private enqueue(kind: KindRef, obj: KubeObject): void {
    const { namespace = '', name = '' } = obj.metadata;
    this.queue.add(gcKey({ apiVersion: kind.apiVersion, kind: kind.kind, namespace, name }));
  }

  private onChange(kind: KindRef, old: KubeObject | undefined, cur: KubeObject): void {
    const meta = cur.metadata;
    const gcFinalizer = hasFinalizer(meta, FOREGROUND_FINALIZER) || hasFinalizer(meta, ORPHAN_FINALIZER);
    // Status churn (a kubelet's pod updates) changes nothing the collector looks at.
    const relevant = !old || gcRelevantState(old.metadata) !== gcRelevantState(meta);
    if (relevant && (meta.ownerReferences?.length || (isBeingDeleted(meta) && gcFinalizer))) {
      this.enqueue(kind, cur);
    }
    // Foreground deletion just started: every dependent goes now.
    if (isDeletingDependents(meta) && !(old && isDeletingDependents(old.metadata))) {
      for (const dep of this.dependentsOf(meta.uid ?? '')) this.enqueue(dep.kind, dep.obj);
    }
    // A dependent dropping a reference may be what a foreground-deleting owner waits for.
    if (old) this.enqueueDeletingOwners(old);
  }

  private onDelete(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (uid) this.rememberAbsent(uid);
    for (const dep of this.dependentsOf(uid ?? '')) this.enqueue(dep.kind, dep.obj);
    this.enqueueDeletingOwners(obj);
  }

  private enqueueDeletingOwners(obj: KubeObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const owner = this.findByUid(ref.uid);
      if (owner && isDeletingDependents(owner.obj.metadata)) this.enqueue(owner.kind, owner.obj);
    }
  }

  private findByUid(uid: string): Located | undefined {
    for (const entry of this.options.informers) {
      const obj = entry.informer.store.byIndex(UID_INDEX, uid)[0];
      if (obj) return { kind: entry, obj };
    }
    return undefined;
  }

  private dependentsOf(uid: string): Located[] {
    if (!uid) return [];
    return this.options.informers.flatMap((entry) =>
      entry.informer.store.byIndex(OWNER_UID_INDEX, uid).map((obj) => ({ kind: entry, obj })),
    );
  }

  private rememberAbsent(uid: string): void {
    this.absentOwners.add(uid);
    if (this.absentOwners.size > MAX_ABSENT_OWNERS) {
      this.absentOwners.delete(this.absentOwners.values().next().value!);
    }
  }

  /** Collects, orphans or finalizes the object `key` names. Throwing requeues the key. */
  async sync(key: string): Promise<void> {
    const id = parseGcKey(key);
    const entry = this.byKind.get(`${id.apiVersion}/${id.kind}`);
    if (!entry) return; // a key from a kind no longer watched: nothing to do with it

    // 1. Gone already: its dependents were queued when the deletion was seen.
    const storeKey = id.namespace ? `${id.namespace}/${id.name}` : id.name;
    const obj = entry.informer.store.get(storeKey);
    if (!obj) return;
    const meta = obj.metadata;

    // 2. Being deleted: only the orphan and foreground finalizers are ours to act on.
    if (isBeingDeleted(meta)) {
      if (hasFinalizer(meta, ORPHAN_FINALIZER)) await this.orphanDependents(id, obj);
      else if (hasFinalizer(meta, FOREGROUND_FINALIZER)) await this.processDeletingDependents(id, obj);
      return;
    }

    // 3. Without owners the object is not the collector's business.
    const refs = meta.ownerReferences ?? [];
    if (refs.length === 0) return;

    // 4. Where each owner stands, from the cache or (when it is not cached) the API server.
    const owners = [];
    for (const ref of refs) owners.push({ uid: ref.uid, state: await this.resolveOwner(ref, id.namespace) });

    // 5. Decide and act.
    const decision = decideForDependent(owners, {
      finalizers: meta.finalizers,
      hasDependents: this.dependentsOf(meta.uid ?? '').length > 0,
    });
    switch (decision.action) {
      case 'keep':
        return;
      case 'removeOwnerReferences':
        await this.patchMetadata(id, meta.uid, (live) => {
          const ownerReferences = ownerReferencesWithout(live.ownerReferences, decision.uids);
          return ownerReferences === undefined ? undefined : { ownerReferences };
        });
        return;
      case 'delete':
        await this.deleteObject(id, meta.uid, decision.propagationPolicy);
        return;
    }
  }

  private async resolveOwner(ref: OwnerReference, namespace: string): Promise<OwnerState> {
    const cached = this.findByUid(ref.uid);
    if (cached) return ownerState(ref, cached.obj.metadata);
    if (this.absentOwners.has(ref.uid)) return 'dangling';
    // Not cached: deleted, of an unwatched kind, or simply not seen yet. Only the server can tell.
    let live: KubeObject | undefined;
    try {
      live = await this.options.client.get(ref.apiVersion, ref.kind, namespace || undefined, ref.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const state = ownerState(ref, live?.metadata);
    if (state === 'dangling') this.rememberAbsent(ref.uid);
    return state;
  }

  /** Strips the owner's references from every dependent, then lets the owner go. */
  private async orphanDependents(id: ObjectIdentity, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.dependentsOf(uid)) {
      const { namespace = '', name = '' } = dep.obj.metadata;
      await this.patchMetadata({ ...dep.kind, namespace, name }, dep.obj.metadata.uid, (live) => {
        const ownerReferences = ownerReferencesWithout(live.ownerReferences, [uid]);
        return ownerReferences === undefined ? undefined : { ownerReferences };
      });
    }
    await this.removeFinalizer(id, uid, ORPHAN_FINALIZER);
  }

  /** Foreground deletion: dependents go first; the owner goes once none blocks it. */
  private async processDeletingDependents(id: ObjectIdentity, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    const dependents = this.dependentsOf(uid);
    const blocking = blockingDependents(
      uid,
      dependents.map((d) => d.obj),
    );
    if (blocking.length === 0) {
      await this.removeFinalizer(id, uid, FOREGROUND_FINALIZER);
      return;
    }
    // Each dependent's own sync deletes it (its owner is waiting); their deletions bring us back here.
    for (const dep of dependents) {
      if (!isBeingDeleted(dep.obj.metadata)) this.enqueue(dep.kind, dep.obj);
    }
  }

  private removeFinalizer(id: ObjectIdentity, uid: string, finalizer: string): Promise<void> {
    return this.patchMetadata(id, uid, (live) => {
      const finalizers = finalizersWithout(live.finalizers, finalizer);
      return finalizers === undefined ? undefined : { finalizers };
    });
  }

  private async deleteObject(
    id: ObjectIdentity,
    uid: string | undefined,
    propagationPolicy: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    try {
      await this.options.client.delete(id.apiVersion, id.kind, id.namespace || undefined, id.name, {
        propagationPolicy,
        preconditions: uid ? { uid } : undefined,
      });
    } catch (err) {
      // Gone, or replaced by a namesake with another uid: either way not ours to delete any more.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /**
   * Changes metadata computed from the live object (not the cache, which may lag), guarded by its
   * resourceVersion so a concurrent write is never lost; `change` returning undefined means nothing
   * to do. The object vanishing or being replaced (another uid) ends it quietly.
   */
  private async patchMetadata(
    id: ObjectIdentity,
    uid: string | undefined,
    change: (live: ObjectMeta) => Partial<Record<'ownerReferences' | 'finalizers', unknown>> | undefined,
  ): Promise<void> {
    const { client } = this.options;
    const namespace = id.namespace || undefined;
    for (let attempt = 0; attempt < MAX_PATCH_ATTEMPTS; attempt++) {
      let live: KubeObject;
      try {
        live = await client.get(id.apiVersion, id.kind, namespace, id.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (uid && live.metadata.uid !== uid) return;
      const patch = change(live.metadata);
      if (!patch) return;
      try {
        await client.patch(
          id.apiVersion,
          id.kind,
          namespace,
          id.name,
          { metadata: { ...patch, resourceVersion: live.metadata.resourceVersion } },
          { type: 'merge' },
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`${gcKey(id)}: metadata kept changing under ${MAX_PATCH_ATTEMPTS} attempts`);
  }
}

export const garbageCollectorController: ControllerDescriptor = {
  name: 'garbagecollector',
  async start(ctx, signal) {
    const collector = new GarbageCollector({
      client: ctx.client,
      informers: GC_WATCHED_KINDS.map((k) => ({ ...k, informer: ctx.informer(k.apiVersion, k.kind) })),
      clock: ctx.clock,
      log: (line) => ctx.log(line),
    });
    await collector.run(ctx.workers, signal);
  },
};
