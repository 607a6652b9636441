/**
 * The resources a server serves, read from its discovery documents (`/api`, `/apis` and each group
 * version's resource list), in the order kubectl prefers them: core first, then groups as the server
 * lists them, each group's preferred version before its others.
 */
import type { KubeHttp } from './kube-http.js';
import type { ApiResource } from './resource-resolver.js';

interface ApiVersions {
  versions?: string[];
}

interface ApiGroupList {
  groups?: {
    name: string;
    versions?: { groupVersion: string; version: string }[];
    preferredVersion?: { version: string };
  }[];
}

interface ApiResourceList {
  resources?: {
    name: string;
    singularName?: string;
    kind: string;
    namespaced: boolean;
    shortNames?: string[];
    categories?: string[];
    verbs?: string[];
  }[];
}

/** Resources of one group version's list; subresources (`pods/log`) are folded into their parent. */
export function resourcesOfList(group: string, version: string, list: ApiResourceList): ApiResource[] {
  const resources = new Map<string, ApiResource>();
  const subresources: [string, string][] = [];
  for (const r of list.resources ?? []) {
    const slash = r.name.indexOf('/');
    if (slash >= 0) {
      subresources.push([r.name.slice(0, slash), r.name.slice(slash + 1)]);
      continue;
    }
    resources.set(r.name, {
      group,
      version,
      name: r.name,
      singularName: r.singularName || r.kind.toLowerCase(),
      kind: r.kind,
      namespaced: r.namespaced,
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      verbs: r.verbs ?? [],
      subresources: [],
    });
  }
  for (const [parent, sub] of subresources) resources.get(parent)?.subresources.push(sub);
  return [...resources.values()];
}

export async function discoverResources(http: KubeHttp): Promise<ApiResource[]> {
  const [core, groups] = (await Promise.all([http.getJson('/api'), http.getJson('/apis')])) as [
    ApiVersions,
    ApiGroupList,
  ];
  const lists: { group: string; version: string }[] = (core.versions ?? []).map((version) => ({
    group: '',
    version,
  }));
  for (const g of groups.groups ?? []) {
    const preferred = g.preferredVersion?.version;
    const versions = (g.versions ?? []).map((v) => v.version);
    versions.sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0));
    for (const version of versions) lists.push({ group: g.name, version });
  }
  const fetched = await Promise.all(
    lists.map(async ({ group, version }) => {
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      return resourcesOfList(group, version, (await http.getJson(path)) as ApiResourceList);
    }),
  );
  return fetched.flat();
}
