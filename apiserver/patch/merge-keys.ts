/**
 * Patch metadata of Kubernetes fields: the `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api,
 * published upstream as `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` in OpenAPI.
 * The client models carry types but not these tags, so they are listed here by model and JSON field.
 * A list field absent from the table is atomic: a patch replaces it whole.
 */
import { fieldType } from '../schema/model-schema.js';
import type { FieldType } from '../schema/model-schema.js';

export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys';

export interface PatchMeta {
  strategy: PatchStrategy;
  /** Only for lists of objects; lists of primitives with `merge` are sets. */
  mergeKey?: string;
}

const byName: PatchMeta = { strategy: 'merge', mergeKey: 'name' };
const byType: PatchMeta = { strategy: 'merge', mergeKey: 'type' };
const byIp: PatchMeta = { strategy: 'merge', mergeKey: 'ip' };
const primitiveSet: PatchMeta = { strategy: 'merge' };

const containerLists: Record<string, PatchMeta> = {
  env: byName,
  ports: { strategy: 'merge', mergeKey: 'containerPort' },
  volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
  volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
};

export const PATCH_META: Readonly<Record<string, Readonly<Record<string, PatchMeta>>>> = {
  V1ObjectMeta: {
    finalizers: primitiveSet,
    ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  },
  V1PodSpec: {
    containers: byName,
    initContainers: byName,
    ephemeralContainers: byName,
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    imagePullSecrets: byName,
    hostAliases: byIp,
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
    schedulingGates: byName,
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  V1Container: containerLists,
  V1EphemeralContainer: containerLists,
  V1PodStatus: {
    conditions: byType,
    podIPs: byIp,
    hostIPs: byIp,
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  V1NodeSpec: { podCIDRs: primitiveSet },
  V1NodeStatus: { conditions: byType, addresses: byType },
  V1ServiceSpec: { ports: { strategy: 'merge', mergeKey: 'port' } },
  V1ServiceStatus: { conditions: byType },
  V1ServiceAccount: { secrets: byName },
  V1DeploymentSpec: { strategy: { strategy: 'retainKeys' } },
  V1DeploymentStatus: { conditions: byType },
  V1ReplicaSetStatus: { conditions: byType },
  V1StatefulSetStatus: { conditions: byType },
  V1DaemonSetStatus: { conditions: byType },
  V1JobStatus: { conditions: byType },
  V1ReplicationControllerStatus: { conditions: byType },
  V1NamespaceStatus: { conditions: byType },
  V1PersistentVolumeClaimStatus: { conditions: byType },
  V1ComponentStatus: { conditions: byType },
  V1PodDisruptionBudgetStatus: { conditions: byType },
  V2HorizontalPodAutoscalerStatus: { conditions: byType },
  V1APIServiceStatus: { conditions: byType },
};

export function patchMeta(modelName: string, field: string): PatchMeta | undefined {
  return PATCH_META[modelName]?.[field];
}

/** What a merge engine needs to know about one field of a value whose type is `parent`. */
export interface FieldPatchInfo {
  /** Undefined for free-form JSON and for fields the schema does not know. */
  type: FieldType | undefined;
  meta: PatchMeta | undefined;
}

export function fieldPatchInfo(parent: FieldType | undefined, field: string): FieldPatchInfo {
  if (parent?.kind === 'model') {
    return { type: fieldType(parent.model, field), meta: patchMeta(parent.model, field) };
  }
  if (parent?.kind === 'map') return { type: parent.values, meta: undefined };
  return { type: undefined, meta: undefined };
}

export function isMergeList(meta: PatchMeta | undefined): boolean {
  return meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys';
}
