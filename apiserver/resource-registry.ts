/**
 * The catalogue of served resources: everything discovery, OpenAPI, routing and storage need to know
 * about a kind. Adding a resource to the API is adding an entry here (plus its defaulting, validation
 * and table columns where upstream has them).
 */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface SubresourceInfo {
  name: string;
  /** What the subresource takes and returns, when it is not the parent kind (Scale, Binding, Eviction). */
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The URL segment and etcd key segment: `pods`, `deployments`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
  /** The model in @kubernetes/client-node that describes this kind's schema (OpenAPI, field validation). */
  modelName: string;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

function resource(
  info: Omit<
    ResourceInfo,
    'verbs' | 'shortNames' | 'categories' | 'subresources' | 'singular' | 'modelName'
  > &
    Partial<ResourceInfo>,
): ResourceInfo {
  const versionPrefix = info.version.charAt(0).toUpperCase() + info.version.slice(1);
  return {
    verbs: ALL_VERBS,
    shortNames: [],
    categories: [],
    subresources: [],
    singular: info.kind.toLowerCase(),
    modelName: `${versionPrefix}${info.kind}`,
    ...info,
  };
}

function statusOf(gvk: GroupVersionKind): SubresourceInfo {
  return { name: 'status', responseKind: gvk, verbs: STATUS_VERBS };
}

function scaleOf(): SubresourceInfo {
  return {
    name: 'scale',
    responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    verbs: STATUS_VERBS,
  };
}

const core = (kind: string) => ({ group: '', version: 'v1', kind });
const apps = (kind: string) => ({ group: 'apps', version: 'v1', kind });
const rbac = (kind: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', kind });

export const RESOURCES: readonly ResourceInfo[] = [
  resource({
    ...core('Namespace'),
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      statusOf(core('Namespace')),
      { name: 'finalize', responseKind: core('Namespace'), verbs: ['update'] },
    ],
  }),
  resource({
    ...core('Node'),
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: [statusOf(core('Node'))],
  }),
  resource({
    ...core('Pod'),
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      statusOf(core('Pod')),
      { name: 'binding', responseKind: core('Binding'), verbs: ['create'] },
      {
        name: 'eviction',
        responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
        verbs: ['create'],
      },
      { name: 'log', responseKind: core('Pod'), verbs: ['get'] },
    ],
  }),
  resource({
    ...core('Service'),
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [statusOf(core('Service'))],
  }),
  resource({
    ...core('Endpoints'),
    plural: 'endpoints',
    singular: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
  }),
  resource({ ...core('ConfigMap'), plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  resource({ ...core('Secret'), plural: 'secrets', namespaced: true }),
  resource({
    ...core('Event'),
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    modelName: 'CoreV1Event',
  }),
  resource({ ...core('ServiceAccount'), plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
  resource({
    ...apps('Deployment'),
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [statusOf(apps('Deployment')), scaleOf()],
  }),
  resource({
    ...apps('ReplicaSet'),
    plural: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [statusOf(apps('ReplicaSet')), scaleOf()],
  }),
  resource({
    ...apps('DaemonSet'),
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [statusOf(apps('DaemonSet'))],
  }),
  resource({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
  }),
  resource({ ...rbac('Role'), plural: 'roles', namespaced: true }),
  resource({ ...rbac('ClusterRole'), plural: 'clusterroles', namespaced: false }),
  resource({ ...rbac('RoleBinding'), plural: 'rolebindings', namespaced: true }),
  resource({ ...rbac('ClusterRoleBinding'), plural: 'clusterrolebindings', namespaced: false }),
  // A review is computed, never stored: only `create` is served (see self-subject-access-review.ts).
  resource({
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
  }),
];

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return groupVersion(info.group, info.version);
}

/** The groups served, each with its versions in preference order, core (`''`) first. */
export function servedGroups(resources: readonly ResourceInfo[] = RESOURCES): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return groups;
}

export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceInfo>();
  private readonly byKind = new Map<string, ResourceInfo>();

  constructor(readonly resources: readonly ResourceInfo[] = RESOURCES) {
    for (const r of resources) {
      this.byPath.set(`${groupVersion(r.group, r.version)}/${r.plural}`, r);
      this.byKind.set(`${groupVersion(r.group, r.version)}/${r.kind}`, r);
    }
  }

  /** Looks a resource up by the URL's group, version and plural name. */
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byPath.get(`${groupVersion(group, version)}/${plural}`);
  }

  lookupKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.resources.filter((r) => r.group === group && r.version === version);
  }
}
