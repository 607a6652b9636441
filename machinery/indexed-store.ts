/**
 * IndexedStore: the informer's local cache (client-go's thread-safe store + indexer), keyed by
 * `metaNamespaceKey`.
 *
 * Contract:
 * - Objects in the store are deep-frozen when they go in and are shared with every reader and event
 *   handler: NEVER mutate them (it throws in strict mode code, which all ESM modules are). Take a
 *   `structuredClone` before changing anything you mean to write back.
 * - Indexes are always consistent with the stored objects: `byIndex(name, value)` returns exactly the
 *   stored objects whose index function yields `value`. Index functions must be pure functions of the
 *   object.
 * - The built-in indexes `namespace`, `controllerUid` and `nodeName` are always present; more can be
 *   added at any time and are built from the current contents.
 * - `list()` and `byIndex()` return fresh arrays in no particular order.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { deepFreeze } from './deep-freeze.js';
import { metaNamespaceKey } from './keys.js';

/** The values an object is indexed under; an empty array leaves it out of the index. */
export type IndexFunc<T> = (obj: T) => string[];

/** `metadata.namespace` ('' for cluster-scoped objects). */
export const NAMESPACE_INDEX = 'namespace';
/** The uid of the ownerReference with `controller: true`, e.g. a pod's ReplicaSet. */
export const CONTROLLER_UID_INDEX = 'controllerUid';
/** `spec.nodeName` when set (pods bound to a node). */
export const NODE_NAME_INDEX = 'nodeName';

const BUILTIN_INDEXERS: Record<string, IndexFunc<KubeObject>> = {
  [NAMESPACE_INDEX]: (obj) => [obj.metadata.namespace ?? ''],
  [CONTROLLER_UID_INDEX]: (obj) => {
    const uid = obj.metadata.ownerReferences?.find((ref) => ref.controller === true)?.uid;
    return uid ? [uid] : [];
  },
  [NODE_NAME_INDEX]: (obj) => {
    const nodeName = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
    return typeof nodeName === 'string' && nodeName !== '' ? [nodeName] : [];
  },
};

/** The read side of a store, which is all controllers get. */
export interface ReadonlyStore<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  byIndex(indexName: string, value: string): T[];
  readonly size: number;
}

export class IndexedStore<T extends KubeObject = KubeObject> implements ReadonlyStore<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers({ ...(BUILTIN_INDEXERS as Record<string, IndexFunc<T>>), ...indexers });
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${indexName} does not exist`);
    return [...(index.get(value) ?? [])].map((key) => this.items.get(key)!);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
    }
  }

  /** Stores `obj` (frozen) under its key and returns what it replaced. */
  upsert(obj: T): T | undefined {
    const key = metaNamespaceKey(obj);
    const frozen = deepFreeze(obj);
    const old = this.items.get(key);
    this.items.set(key, frozen);
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      const values = fn(frozen);
      if (old) {
        const previous = fn(old);
        // Most updates leave an object's index values as they were: nothing to move then.
        if (sameValues(previous, values)) continue;
        removeFromIndex(index, previous, key);
      }
      addToIndex(index, values, key);
    }
    return old;
  }

  /** Removes the object stored under `key` and returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) removeFromIndex(this.indices.get(name)!, fn(obj), key);
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function removeFromIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    keys?.delete(key);
    if (keys?.size === 0) index.delete(value);
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}
