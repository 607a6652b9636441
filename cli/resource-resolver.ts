/**
 * From what a user types to the resources the server serves, as kubectl's RESTMapper and resource
 * builder do it. Pure: the discovered resources are passed in.
 *
 * - A type is matched, case-insensitively, against short names (`po`, `deploy`), plurals, singulars
 *   and kinds, optionally qualified by group (`deployment.apps`) or version and group
 *   (`deployments.v1.apps`). Where several groups serve the name, the first group discovery lists wins
 *   (core first), as kubectl prefers.
 * - `all` and other categories expand to every resource of that category.
 * - Arguments are either `TYPE[,TYPE...] [NAME...]` or only `TYPE/NAME` items, never mixed.
 */

export interface ApiResource {
  group: string;
  version: string;
  /** The plural, as in the URL: `deployments`. */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresource names (`status`, `scale`, `log`, `eviction`). */
  subresources: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function apiVersionOfResource(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `deployment.apps`, `pod`. */
export function groupKindOf(r: Pick<ApiResource, 'group' | 'kind'>): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/** The plural and group as the server names it in errors: `deployments.apps`, `pods`. */
export function groupResourceOf(r: Pick<ApiResource, 'group' | 'name'>): string {
  return r.group ? `${r.name}.${r.group}` : r.name;
}

function names(r: ApiResource): string[] {
  return [r.name, r.singularName || r.kind.toLowerCase(), r.kind.toLowerCase()];
}

function looksLikeVersion(text: string): boolean {
  return /^v\d+((alpha|beta)\d+)?$/.test(text);
}

export function resolveResourceType(resources: readonly ApiResource[], typed: string): ApiResource {
  const text = typed.trim().toLowerCase();
  if (!text) throw new UsageError('resource type must not be empty');
  const dot = text.indexOf('.');
  const resource = dot < 0 ? text : text.slice(0, dot);
  const rest = dot < 0 ? undefined : text.slice(dot + 1);

  const candidates: { group?: string; version?: string }[] = [];
  if (rest !== undefined) {
    const second = rest.indexOf('.');
    if (second > 0 && looksLikeVersion(rest.slice(0, second))) {
      candidates.push({ version: rest.slice(0, second), group: rest.slice(second + 1) });
    }
    candidates.push({ group: rest });
  } else {
    candidates.push({});
  }

  for (const want of candidates) {
    const inScope = resources.filter(
      (r) =>
        (want.group === undefined || r.group === want.group) &&
        (want.version === undefined || r.version === want.version),
    );
    const byShortName = inScope.find((r) => r.shortNames.some((s) => s.toLowerCase() === resource));
    if (byShortName) return byShortName;
    const byName = inScope.find((r) => names(r).includes(resource));
    if (byName) return byName;
  }
  throw new UsageError(`the server doesn't have a resource type "${typed}"`);
}

/** One type of `TYPE[,TYPE]` (a category such as `all` expands to its members). */
export function expandResourceTypes(resources: readonly ApiResource[], typed: string): ApiResource[] {
  const found: ApiResource[] = [];
  for (const part of typed.split(',')) {
    if (!part) continue;
    const lower = part.toLowerCase();
    const inCategory = resources.filter((r) => r.categories.includes(lower));
    const isType = resources.some(
      (r) => names(r).includes(lower) || r.shortNames.some((s) => s.toLowerCase() === lower),
    );
    const add = inCategory.length > 0 && !isType ? inCategory : [resolveResourceType(resources, part)];
    for (const r of add) if (!found.includes(r)) found.push(r);
  }
  return found;
}

/** What the arguments ask for: every object of a type (`names` empty) or the named ones. */
export interface ResourceRequest {
  type: string;
  names: string[];
}

export function parseResourceArgs(args: readonly string[]): ResourceRequest[] {
  if (args.length === 0) return [];
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length === args.length) {
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      const type = arg.slice(0, slash);
      const name = arg.slice(slash + 1);
      if (!type || !name || name.includes('/'))
        throw new UsageError(`arguments in resource/name form must have a single resource and name`);
      const last = requests[requests.length - 1];
      if (last && last.type === type) last.names.push(name);
      else requests.push({ type, names: [name] });
    }
    return requests;
  }
  if (slashed.length > 0) {
    throw new UsageError(
      `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubicle get resource/<resource_name>' instead of 'kubicle get resource resource/<resource_name>'`,
    );
  }
  const [types, ...objectNames] = args;
  return types
    .split(',')
    .filter(Boolean)
    .map((type) => ({ type, names: [...objectNames] }));
}

export interface ResolvedRequest {
  resource: ApiResource;
  names: string[];
}

/** Arguments to resolved resources, categories expanded; a named object of a category is refused. */
export function resolveRequests(
  resources: readonly ApiResource[],
  args: readonly string[],
): ResolvedRequest[] {
  const resolved: ResolvedRequest[] = [];
  for (const request of parseResourceArgs(args)) {
    const types = expandResourceTypes(resources, request.type);
    if (types.length > 1 && request.names.length > 0)
      throw new UsageError(`names cannot be given with the category "${request.type}"`);
    for (const resource of types) {
      const existing = resolved.find((r) => r.resource === resource);
      if (existing) existing.names.push(...request.names.filter((n) => !existing.names.includes(n)));
      else resolved.push({ resource, names: [...request.names] });
    }
  }
  return resolved;
}

/** The resource a manifest's apiVersion and kind refer to. */
export function resourceForKind(
  resources: readonly ApiResource[],
  apiVersion: string,
  kind: string,
): ApiResource | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return resources.find((r) => r.group === group && r.version === version && r.kind === kind);
}
