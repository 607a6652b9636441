/**
 * Controller references: which controller owns an object (its `ownerReferences` entry with
 * `controller: true`), and how a controller claims the objects its selector matches, as upstream's
 * ControllerRefManager does.
 *
 * Claiming, per object:
 * - owned by another controller → ignore it;
 * - owned by us and matching → keep it;
 * - owned by us but no longer matching → release it (remove our reference), unless we are being
 *   deleted (the garbage collector handles our dependents then);
 * - an orphan that matches, is not being deleted, lives in our namespace, while we are not being
 *   deleted → adopt it (add our controller reference), after re-reading ourselves uncached once, so a
 *   controller that was just deleted and recreated under the same name does not adopt with a stale uid.
 * Adopt and release are strategic merge patches that carry the object's uid, so they cannot touch a
 * different object that reused the name. A NotFound object is simply not claimed.
 */
import type { KubeObject, OwnerReference } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export type ClaimDecision = 'keep' | 'adopt' | 'release' | 'ignore';

/** What to do with one object; `matches` is whether the controller's selector selects it. */
export function claimDecision(controller: KubeObject, obj: KubeObject, matches: boolean): ClaimDecision {
  const ref = controllerOf(obj);
  const controllerDeleting = Boolean(controller.metadata.deletionTimestamp);
  if (ref) {
    if (ref.uid !== controller.metadata.uid) return 'ignore';
    if (matches) return 'keep';
    return controllerDeleting ? 'ignore' : 'release';
  }
  if (controllerDeleting || !matches || obj.metadata.deletionTimestamp) return 'ignore';
  if (controller.metadata.namespace && controller.metadata.namespace !== obj.metadata.namespace)
    return 'ignore';
  return 'adopt';
}

export interface ClaimOptions<T extends KubeObject> {
  client: Pick<ApiClient, 'get' | 'patch'>;
  controller: KubeObject;
  /** The controller's own type, e.g. `apps/v1` `ReplicaSet`. */
  controllerApiVersion: string;
  controllerKind: string;
  /** The claimed objects' type, e.g. `v1` `Pod`. */
  apiVersion: string;
  kind: string;
  matches: (obj: T) => boolean;
}

/**
 * Claims `candidates` (cached objects, never mutated) and returns the ones the controller owns after
 * adoption and release, in their newest known state. Throws on the first failed patch, after trying
 * them all, so the caller's sync is retried.
 */
export async function claimObjects<T extends KubeObject>(candidates: readonly T[], options: ClaimOptions<T>) {
  const { client, controller } = options;
  const claimed: T[] = [];
  let canAdopt: Promise<void> | undefined;
  let failure: unknown;
  const recheckController = async () => {
    const fresh = await client.get(
      options.controllerApiVersion,
      options.controllerKind,
      controller.metadata.namespace,
      controller.metadata.name ?? '',
    );
    if (fresh.metadata.uid !== controller.metadata.uid)
      throw new Error(`original ${options.controllerKind} ${controller.metadata.name} is gone: uid changed`);
    if (fresh.metadata.deletionTimestamp)
      throw new Error(`${options.controllerKind} ${controller.metadata.name} is being deleted`);
  };
  await Promise.all(
    candidates.map(async (obj) => {
      try {
        switch (claimDecision(controller, obj, options.matches(obj))) {
          case 'keep':
            claimed.push(obj);
            return;
          case 'adopt':
            canAdopt ??= recheckController();
            await canAdopt;
            claimed.push(await patchOwner(obj, options, 'adopt'));
            return;
          case 'release':
            await patchOwner(obj, options, 'release');
            return;
          case 'ignore':
            return;
        }
      } catch (err) {
        if (!isNotFound(err)) failure ??= err;
      }
    }),
  );
  if (failure !== undefined) throw failure;
  return claimed;
}

function patchOwner<T extends KubeObject>(obj: T, options: ClaimOptions<T>, action: 'adopt' | 'release') {
  const ref =
    action === 'adopt'
      ? newControllerRef(options.controller, options.controllerApiVersion, options.controllerKind)
      : { $patch: 'delete', uid: options.controller.metadata.uid };
  return options.client.patch<T>(
    options.apiVersion,
    options.kind,
    obj.metadata.namespace,
    obj.metadata.name ?? '',
    { metadata: { ownerReferences: [ref], uid: obj.metadata.uid } },
    { type: 'strategic' },
  );
}
