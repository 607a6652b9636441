/**
 * The `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions upstream publishes
 * (from the Go struct tags). kubectl reads them from the OpenAPI document when it builds the
 * strategic merge patch for `apply`, so a list left without them would be replaced whole instead of
 * merged by key.
 */

export interface PatchExtension {
  strategy: string;
  mergeKey?: string;
}

const merge = (mergeKey: string): PatchExtension => ({ strategy: 'merge', mergeKey });
const mergeRetainingKeys = (mergeKey: string): PatchExtension => ({ strategy: 'merge,retainKeys', mergeKey });
const conditions = { conditions: merge('type') };
const containerLists = {
  env: merge('name'),
  ports: merge('containerPort'),
  volumeDevices: merge('devicePath'),
  volumeMounts: merge('mountPath'),
};

const PATCH_EXTENSIONS: Readonly<Record<string, Readonly<Record<string, PatchExtension>>>> = {
  V1ObjectMeta: { finalizers: { strategy: 'merge' }, ownerReferences: merge('uid') },
  V1PodSpec: {
    containers: merge('name'),
    ephemeralContainers: merge('name'),
    hostAliases: merge('ip'),
    imagePullSecrets: merge('name'),
    initContainers: merge('name'),
    resourceClaims: mergeRetainingKeys('name'),
    schedulingGates: merge('name'),
    topologySpreadConstraints: merge('topologyKey'),
    volumes: mergeRetainingKeys('name'),
  },
  V1Container: containerLists,
  V1EphemeralContainer: containerLists,
  V1PodStatus: {
    ...conditions,
    hostIPs: merge('ip'),
    podIPs: merge('ip'),
    resourceClaimStatuses: mergeRetainingKeys('name'),
  },
  V1ServiceSpec: { ports: merge('port') },
  V1ServiceStatus: conditions,
  V1ServiceAccount: { secrets: merge('name') },
  V1NodeSpec: { podCIDRs: { strategy: 'merge' } },
  V1NodeStatus: { ...conditions, addresses: merge('type') },
  V1NamespaceStatus: conditions,
  V1DeploymentSpec: { strategy: { strategy: 'retainKeys' } },
  V1DeploymentStatus: conditions,
  V1ReplicaSetStatus: conditions,
  V1DaemonSetStatus: conditions,
  V1StatefulSetStatus: conditions,
};

export function patchExtension(modelName: string, field: string): PatchExtension | undefined {
  return PATCH_EXTENSIONS[modelName]?.[field];
}
