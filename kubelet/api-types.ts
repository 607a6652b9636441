/**
 * The API objects the kubelet reads and writes, typed as the plain JSON that machinery's ApiClient and
 * informers deliver: client-node's model shapes with every `Date` turned back into the RFC 3339 string
 * the server sends. Only the shape is borrowed from client-node; no class or serializer is involved.
 */
import type {
  V1ConfigMap,
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';

/** A client-node model as JSON: timestamps are strings, everything else is unchanged. */
export type PlainJson<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? PlainJson<U>[]
    : T extends object
      ? { [K in keyof T]: PlainJson<T[K]> }
      : T;

export type Pod = PlainJson<V1Pod>;
export type PodStatus = PlainJson<V1PodStatus>;
export type PodCondition = PlainJson<V1PodCondition>;
export type Container = PlainJson<V1Container>;
export type ContainerStatus = PlainJson<V1ContainerStatus>;
export type ContainerState = PlainJson<V1ContainerState>;
export type ConfigMap = PlainJson<V1ConfigMap>;
export type Secret = PlainJson<V1Secret>;
export type Service = PlainJson<V1Service>;

/** metav1.Time's wire form: RFC 3339 in whole seconds, as the API server and kubectl expect. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
