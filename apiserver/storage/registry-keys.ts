/**
 * Where objects live in etcd: `<prefix>/<resource>/<namespace>/<name>` for namespaced resources and
 * `<prefix>/<resource>/<name>` for cluster-scoped ones, as upstream lays them out. Collection prefixes
 * end in `/` so that namespace `a` never matches keys of namespace `ab`.
 */

export function objectKey(
  prefix: string,
  resource: string,
  namespace: string | undefined,
  name: string,
): string {
  return namespace ? `${prefix}/${resource}/${namespace}/${name}` : `${prefix}/${resource}/${name}`;
}

export function collectionKey(prefix: string, resource: string, namespace?: string): string {
  return namespace ? `${prefix}/${resource}/${namespace}/` : `${prefix}/${resource}/`;
}

/** The namespace and name encoded in a key below `collectionKey(prefix, resource)`. */
export function parseObjectKey(
  prefix: string,
  resource: string,
  key: string,
): { namespace?: string; name: string } | undefined {
  const base = collectionKey(prefix, resource);
  if (!key.startsWith(base)) return undefined;
  const rest = key.slice(base.length).split('/');
  if (rest.length === 1 && rest[0]) return { name: rest[0] };
  if (rest.length === 2 && rest[0] && rest[1]) return { namespace: rest[0], name: rest[1] };
  return undefined;
}
