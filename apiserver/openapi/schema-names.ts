/**
 * Maps the generated client's model names (`V1PodSpec`, `CoreV1Event`, `V1ObjectMeta`) to the
 * upstream OpenAPI definition names (`io.k8s.api.core.v1.PodSpec`, `io.k8s.api.core.v1.Event`,
 * `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`). The client drops the Go package, so the API
 * group of an unprefixed `V1…` model comes from the tables below; anything not listed is core/v1.
 * Serving a new API group means listing its v1 type names here.
 */

export interface ParsedModelName {
  /** The client's group prefix (`Core`, `Events`, …) for the few names it disambiguates, else ''. */
  groupPrefix: string;
  /** `v1`, `v2`, `v1beta1`. */
  version: string;
  /** The Go type name: `PodSpec`. */
  name: string;
}

export const QUANTITY_SCHEMA = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING_SCHEMA = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME_SCHEMA = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
export const MICRO_TIME_SCHEMA = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
export const PATCH_SCHEMA = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

const META_PACKAGE = 'io.k8s.apimachinery.pkg.apis.meta';

const PREFIX_PACKAGES: Readonly<Record<string, string>> = {
  Core: 'io.k8s.api.core',
  Events: 'io.k8s.api.events',
  Discovery: 'io.k8s.api.discovery',
  Storage: 'io.k8s.api.storage',
  Authentication: 'io.k8s.api.authentication',
  Rbac: 'io.k8s.api.rbac',
  Flowcontrol: 'io.k8s.api.flowcontrol',
  Admissionregistration: 'io.k8s.api.admissionregistration',
  Resource: 'io.k8s.api.resource',
  Apiextensions: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  Apiregistration: 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

const META_V1_TYPES = [
  'APIGroup',
  'APIGroupList',
  'APIResource',
  'APIResourceList',
  'APIVersions',
  'Condition',
  'DeleteOptions',
  'FieldSelectorRequirement',
  'GroupVersionForDiscovery',
  'LabelSelector',
  'LabelSelectorRequirement',
  'ListMeta',
  'ManagedFieldsEntry',
  'ObjectMeta',
  'OwnerReference',
  'Preconditions',
  'ServerAddressByClientCIDR',
  'Status',
  'StatusCause',
  'StatusDetails',
  'WatchEvent',
];

/** Non-core v1 API types by package; unlisted `V1…` names are core. */
const GROUP_V1_TYPES: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.apps': [
    'ControllerRevision',
    'ControllerRevisionList',
    'DaemonSet',
    'DaemonSetCondition',
    'DaemonSetList',
    'DaemonSetSpec',
    'DaemonSetStatus',
    'DaemonSetUpdateStrategy',
    'Deployment',
    'DeploymentCondition',
    'DeploymentList',
    'DeploymentSpec',
    'DeploymentStatus',
    'DeploymentStrategy',
    'ReplicaSet',
    'ReplicaSetCondition',
    'ReplicaSetList',
    'ReplicaSetSpec',
    'ReplicaSetStatus',
    'RollingUpdateDaemonSet',
    'RollingUpdateDeployment',
    'RollingUpdateStatefulSetStrategy',
    'StatefulSet',
    'StatefulSetCondition',
    'StatefulSetList',
    'StatefulSetOrdinals',
    'StatefulSetPersistentVolumeClaimRetentionPolicy',
    'StatefulSetSpec',
    'StatefulSetStatus',
    'StatefulSetUpdateStrategy',
  ],
  'io.k8s.api.autoscaling': [
    'CrossVersionObjectReference',
    'HorizontalPodAutoscaler',
    'HorizontalPodAutoscalerList',
    'HorizontalPodAutoscalerSpec',
    'HorizontalPodAutoscalerStatus',
    'Scale',
    'ScaleSpec',
    'ScaleStatus',
  ],
  'io.k8s.api.policy': [
    'Eviction',
    'PodDisruptionBudget',
    'PodDisruptionBudgetList',
    'PodDisruptionBudgetSpec',
    'PodDisruptionBudgetStatus',
  ],
  'io.k8s.api.coordination': ['Lease', 'LeaseList', 'LeaseSpec'],
  'io.k8s.api.batch': [
    'CronJob',
    'CronJobList',
    'CronJobSpec',
    'CronJobStatus',
    'Job',
    'JobCondition',
    'JobList',
    'JobSpec',
    'JobStatus',
    'JobTemplateSpec',
    'PodFailurePolicy',
    'PodFailurePolicyOnExitCodesRequirement',
    'PodFailurePolicyOnPodConditionsPattern',
    'PodFailurePolicyRule',
    'SuccessPolicy',
    'SuccessPolicyRule',
    'UncountedTerminatedPods',
  ],
  'io.k8s.api.rbac': [
    'AggregationRule',
    'ClusterRole',
    'ClusterRoleBinding',
    'ClusterRoleBindingList',
    'ClusterRoleList',
    'PolicyRule',
    'Role',
    'RoleBinding',
    'RoleBindingList',
    'RoleList',
    'RoleRef',
  ],
  'io.k8s.api.authorization': [
    'FieldSelectorAttributes',
    'LabelSelectorAttributes',
    'LocalSubjectAccessReview',
    'NonResourceAttributes',
    'NonResourceRule',
    'ResourceAttributes',
    'ResourceRule',
    'SelfSubjectAccessReview',
    'SelfSubjectAccessReviewSpec',
    'SelfSubjectRulesReview',
    'SelfSubjectRulesReviewSpec',
    'SubjectAccessReview',
    'SubjectAccessReviewSpec',
    'SubjectAccessReviewStatus',
    'SubjectRulesReviewStatus',
  ],
  'io.k8s.api.networking': [
    'HTTPIngressPath',
    'HTTPIngressRuleValue',
    'IPBlock',
    'Ingress',
    'IngressBackend',
    'IngressClass',
    'IngressClassList',
    'IngressClassParametersReference',
    'IngressClassSpec',
    'IngressList',
    'IngressLoadBalancerIngress',
    'IngressLoadBalancerStatus',
    'IngressPortStatus',
    'IngressRule',
    'IngressServiceBackend',
    'IngressSpec',
    'IngressStatus',
    'IngressTLS',
    'NetworkPolicy',
    'NetworkPolicyEgressRule',
    'NetworkPolicyIngressRule',
    'NetworkPolicyList',
    'NetworkPolicyPeer',
    'NetworkPolicyPort',
    'NetworkPolicySpec',
    'ServiceBackendPort',
  ],
};

const V1_PACKAGE_BY_TYPE = new Map<string, string>([
  ...META_V1_TYPES.map((name): [string, string] => [name, META_PACKAGE]),
  ...Object.entries(GROUP_V1_TYPES).flatMap(([pkg, names]) =>
    names.map((name): [string, string] => [name, pkg]),
  ),
]);

/** Packages of API versions that belong to a single group. */
const VERSION_PACKAGES: Readonly<Record<string, string>> = { v2: 'io.k8s.api.autoscaling' };

const MODEL_NAME = /^((?:[A-Z][a-z]+)?)V(\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/;

export function parseModelName(modelName: string): ParsedModelName | undefined {
  const match = MODEL_NAME.exec(modelName);
  if (!match) return undefined;
  return { groupPrefix: match[1], version: `v${match[2]}`, name: match[3] };
}

/** The upstream definition name of a client model, e.g. `io.k8s.api.apps.v1.Deployment`. */
export function schemaName(modelName: string): string {
  const parsed = parseModelName(modelName);
  if (!parsed) return modelName;
  const { groupPrefix, version, name } = parsed;
  let pkg: string;
  if (groupPrefix) pkg = PREFIX_PACKAGES[groupPrefix] ?? `io.k8s.api.${groupPrefix.toLowerCase()}`;
  else if (version === 'v1') pkg = V1_PACKAGE_BY_TYPE.get(name) ?? 'io.k8s.api.core';
  else pkg = VERSION_PACKAGES[version] ?? 'io.k8s.api.core';
  return `${pkg}.${version}.${name}`;
}
