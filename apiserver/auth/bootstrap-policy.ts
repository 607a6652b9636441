/**
 * The ClusterRoles and ClusterRoleBindings a cluster starts with, as upstream's bootstrap policy
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) defines them, reduced to the resources this API
 * server and common clients know. `admin`, `edit` and `view` are written out flat: upstream builds
 * them by aggregation, which is not served here. Pure data.
 */
import type { KubeObject } from '../api-object.js';
import type { PolicyRule } from './rbac-authorizer.js';
import { SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, SYSTEM_UNAUTHENTICATED } from './user-info.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const BOOTSTRAP_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { verbs, apiGroups, resources };
}

function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name, ...BOOTSTRAP_METADATA },
    rules,
  } as KubeObject;
}

function bindToGroups(role: string, groups: string[]): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: role, ...BOOTSTRAP_METADATA },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name })),
  } as KubeObject;
}

function bindToUser(role: string, user: string): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: role, ...BOOTSTRAP_METADATA },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: user }],
  } as KubeObject;
}

function named(verbs: string[], apiGroups: string[], resources: string[], names: string[]): PolicyRule {
  return { verbs, apiGroups, resources, resourceNames: names };
}

/*
 * The components' own roles, each holding what that component's code calls and nothing more:
 * informers list and watch, the event recorder creates and patches core Events, leader election gets,
 * creates and updates its Lease (a create cannot be limited to a name: it has none in the URL).
 */
const COORDINATION = 'coordination.k8s.io';
const LIST_WATCH = ['list', 'watch'];
const EVENT_WRITES = rule(['create', 'patch'], [''], ['events']);

/**
 * The controller manager. The garbage collector reads, patches (owner references, finalizers) and
 * deletes objects of any kind, and namespace deletion lists and deletes every namespaced kind, so
 * both are granted over everything as upstream grants its garbage collector; that also covers every
 * other controller's reads, updates and deletes (ReplicaSets, Deployments and their status,
 * Endpoints, Nodes and nodes/status, pods/status, namespaces/status and /finalize, its Lease).
 * Creates are listed one by one.
 */
const KUBE_CONTROLLER_MANAGER_RULES: PolicyRule[] = [
  rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']),
  rule(['create'], [''], ['pods', 'endpoints']),
  rule(['create'], ['apps'], ['replicasets']),
  EVENT_WRITES,
  rule(['create'], [COORDINATION], ['leases']),
];

/** The scheduler: watches nodes, pods and namespaces, binds pods, writes PodScheduled, its Lease. */
const KUBE_SCHEDULER_RULES: PolicyRule[] = [
  rule(LIST_WATCH, [''], ['nodes', 'pods', 'namespaces']),
  rule(['create'], [''], ['pods/binding']),
  rule(['patch'], [''], ['pods/status']),
  EVENT_WRITES,
  rule(['create'], [COORDINATION], ['leases']),
  named(['get', 'update'], [COORDINATION], ['leases'], ['kube-scheduler']),
];

/** The service proxy: watches Services, Endpoints and Nodes, writes LoadBalancer ingress. */
const NODE_PROXIER_RULES: PolicyRule[] = [
  rule(LIST_WATCH, [''], ['services', 'endpoints', 'nodes']),
  rule(['update'], [''], ['services/status']),
];

/** The cluster DNS: watches Services and Endpoints, keeps its own kube-dns Service and Endpoints. */
const KUBICLE_DNS_RULES: PolicyRule[] = [
  rule(LIST_WATCH, [''], ['services', 'endpoints']),
  rule(['create'], [''], ['services', 'endpoints']),
  named(['get', 'update'], [''], ['services', 'endpoints'], ['kube-dns']),
  // A kube-dns Service with the wrong cluster IP is deleted and created again.
  named(['delete'], [''], ['services'], ['kube-dns']),
];

const VIEW_RULES: PolicyRule[] = [
  rule(
    READ,
    [''],
    [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
    ],
  ),
  rule(
    READ,
    [''],
    [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
  ),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(
    READ,
    ['apps'],
    [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
  ),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(
    WRITE,
    [''],
    [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
  ),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(
    WRITE,
    ['apps'],
    [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
  ),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(WRITE, ['coordination.k8s.io'], ['leases']),
  rule(
    READ,
    [''],
    ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
  ),
  rule(READ, ['coordination.k8s.io'], ['leases']),
  ...VIEW_RULES,
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...READ, ...WRITE], [RBAC_GROUP], ['rolebindings', 'roles']),
  ...EDIT_RULES,
];

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*'];
/** Upstream's public-info paths, plus the cluster CA a joining agent fetches before it has a token's rights checked. */
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/', '/cacerts'];

export const DEFAULT_CLUSTER_ROLES: readonly KubeObject[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }]),
  clusterRole('admin', ADMIN_RULES),
  clusterRole('edit', EDIT_RULES),
  clusterRole('view', VIEW_RULES),
  clusterRole('system:discovery', [
    { verbs: ['get'], nonResourceURLs: [...DISCOVERY_URLS, ...PUBLIC_INFO_URLS] },
  ]),
  clusterRole('system:public-info-viewer', [{ verbs: ['get'], nonResourceURLs: PUBLIC_INFO_URLS }]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
  ]),
  clusterRole('system:kube-controller-manager', KUBE_CONTROLLER_MANAGER_RULES),
  clusterRole('system:kube-scheduler', KUBE_SCHEDULER_RULES),
  clusterRole('system:node-proxier', NODE_PROXIER_RULES),
  clusterRole('system:kubicle-dns', KUBICLE_DNS_RULES),
  // The join secret's only right: trading CSRs for its node's certificates (non-resource verbs are
  // the lower-cased HTTP method).
  clusterRole('system:kubicle-node-bootstrapper', [
    { verbs: ['post'], nonResourceURLs: ['/v1-kubicle/node-credentials'] },
  ]),
];

export const DEFAULT_CLUSTER_ROLE_BINDINGS: readonly KubeObject[] = [
  bindToGroups('cluster-admin', [SYSTEM_MASTERS]),
  bindToGroups('system:discovery', [SYSTEM_AUTHENTICATED]),
  bindToGroups('system:basic-user', [SYSTEM_AUTHENTICATED]),
  bindToGroups('system:kubicle-node-bootstrapper', ['system:bootstrappers']),
  bindToGroups('system:public-info-viewer', [SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED]),
  bindToUser('system:kube-controller-manager', 'system:kube-controller-manager'),
  bindToUser('system:kube-scheduler', 'system:kube-scheduler'),
  bindToUser('system:node-proxier', 'system:kube-proxy'),
  bindToUser('system:kubicle-dns', 'system:kubicle-dns'),
];
