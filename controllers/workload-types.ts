/**
 * The objects the workload controllers read and write, typed as the plain JSON that machinery's
 * ApiClient and informers deliver: client-node's model shapes with every `Date` turned back into the
 * RFC 3339 string the server sends, joined with the server's own `KubeObject` so informers accept them.
 */
import type {
  V1Deployment,
  V1DeploymentCondition,
  V1DeploymentStatus,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1ReplicaSetCondition,
  V1ReplicaSetStatus,
} from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';

/** A client-node model as JSON: timestamps are strings, everything else is unchanged. */
export type PlainJson<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? PlainJson<U>[]
    : T extends object
      ? { [K in keyof T]: PlainJson<T[K]> }
      : T;

export type Pod = KubeObject & PlainJson<V1Pod>;
export type ReplicaSet = KubeObject & PlainJson<V1ReplicaSet>;
export type ReplicaSetStatus = PlainJson<V1ReplicaSetStatus>;
export type ReplicaSetCondition = PlainJson<V1ReplicaSetCondition>;
export type Deployment = KubeObject & PlainJson<V1Deployment>;
export type DeploymentStatus = PlainJson<V1DeploymentStatus>;
export type DeploymentCondition = PlainJson<V1DeploymentCondition>;
export type PodTemplateSpec = PlainJson<V1PodTemplateSpec>;

/** metav1.Time's wire form: RFC 3339 in whole seconds, as the API server and kubectl expect. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
