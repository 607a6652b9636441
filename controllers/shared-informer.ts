/**
 * The part of an Informer a controller uses: its cache, its notifications and extra indexes. Real
 * controllers get machinery Informers from the controller manager; unit tests hand in the fixture's
 * fake informers, whose stores they fill directly.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { IndexFunc, ReadonlyStore } from '../machinery/indexed-store.js';
import type { InformerEventHandler } from '../machinery/informer.js';
import { controllerOf } from './controller-ref.js';

export interface SharedInformer<T extends KubeObject> {
  readonly store: ReadonlyStore<T>;
  addEventHandler(handler: InformerEventHandler<T>): () => void;
  addIndexers(indexers: Record<string, IndexFunc<T>>): void;
  hasSynced(): boolean;
}

/** Objects without a controller, by namespace: the candidates a controller may adopt. */
export const ORPHAN_NAMESPACE_INDEX = 'orphanNamespace';

/** Adds an index unless a controller sharing the informer already did. */
export function ensureIndex<T extends KubeObject>(
  informer: SharedInformer<T>,
  name: string,
  fn: IndexFunc<T>,
): void {
  try {
    informer.store.byIndex(name, '');
  } catch {
    informer.addIndexers({ [name]: fn });
  }
}

export function ensureOrphanIndex<T extends KubeObject>(informer: SharedInformer<T>): void {
  ensureIndex(informer, ORPHAN_NAMESPACE_INDEX, (obj) =>
    controllerOf(obj) ? [] : [obj.metadata.namespace ?? ''],
  );
}
