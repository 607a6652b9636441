/**
 * Object keys as client-go's cache.MetaNamespaceKeyFunc writes them: `<namespace>/<name>` for
 * namespaced objects, `<name>` for cluster-scoped ones. Work queues, stores and indexes all use these
 * strings, so a key read from a queue can be looked up in any informer's store.
 */

export interface ObjectKey {
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

interface HasMeta {
  metadata?: { namespace?: string | null; name?: string | null } | null;
}

export function metaNamespaceKey(obj: HasMeta): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitMetaNamespaceKey(key: string): ObjectKey {
  const parts = key.split('/');
  if (parts.length === 1 && parts[0] !== '') return { namespace: '', name: parts[0] };
  if (parts.length === 2 && parts[1] !== '') return { namespace: parts[0], name: parts[1] };
  throw new Error(`unexpected key format: "${key}"`);
}
