/**
 * Per-resource rules on top of the generic store, as upstream's registry strategies: which resources
 * split status into a subresource, which track generation, which may be created by PUT, and how a
 * create or update prepares the object. All pure.
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import type { ResourceInfo } from '../resource-registry.js';
import { jsonEqual } from './object-meta.js';

export interface ResourceStrategy {
  /** Status is written only through `/status`; the main resource keeps the stored status. */
  statusSubresource: boolean;
  /** `metadata.generation` counts changes to everything but metadata and status. */
  tracksGeneration: boolean;
  /** PUT of a missing object creates it (upstream: endpoints, events, leases). */
  allowCreateOnUpdate: boolean;
  /** The status a new object starts with, replacing whatever the client sent; undefined keeps it. */
  initialStatus?: (obj: KubeObject) => unknown;
}

const STATUS_RESETS: Record<string, (obj: KubeObject) => unknown> = {
  pods: () => ({ phase: 'Pending', qosClass: undefined }),
  services: () => ({ loadBalancer: {} }),
  namespaces: () => ({ phase: 'Active' }),
  deployments: () => ({}),
  replicasets: () => ({ replicas: 0 }),
  daemonsets: () => ({
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  }),
};

export function strategyFor(resource: ResourceInfo): ResourceStrategy {
  const statusSubresource = resource.subresources.some((s) => s.name === 'status');
  return {
    statusSubresource,
    tracksGeneration: resource.group === 'apps',
    allowCreateOnUpdate: ['endpoints', 'events', 'leases'].includes(resource.plural),
    initialStatus: STATUS_RESETS[resource.plural],
  };
}

function withoutUndefined<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

export function prepareForCreate(strategy: ResourceStrategy, obj: KubeObject): KubeObject {
  const result: KubeObject = { ...obj, metadata: { ...obj.metadata } };
  if (strategy.initialStatus) {
    const status = strategy.initialStatus(obj);
    if (isPlainObject(status)) result.status = withoutUndefined(status);
  }
  if (strategy.tracksGeneration) result.metadata.generation = 1;
  return result;
}

/** The parts of an object whose change bumps generation. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** A main-resource update: keeps the stored status and bumps generation when the spec changed. */
export function prepareForUpdate(
  strategy: ResourceStrategy,
  next: KubeObject,
  current: KubeObject,
): KubeObject {
  const result: KubeObject = { ...next, metadata: { ...next.metadata } };
  if (strategy.statusSubresource) {
    if (current.status === undefined) delete result.status;
    else result.status = current.status;
  }
  if (strategy.tracksGeneration) {
    const generation = current.metadata.generation ?? 1;
    result.metadata.generation = jsonEqual(specOf(next), specOf(current)) ? generation : generation + 1;
  }
  return result;
}

/** A `/status` update: only status comes from the request; spec and metadata stay as stored. */
export function prepareForStatusUpdate(next: KubeObject, current: KubeObject): KubeObject {
  const result: KubeObject = { ...current, metadata: { ...current.metadata } };
  if (next.status === undefined) delete result.status;
  else result.status = next.status;
  return result;
}

/**
 * How long a pod deletion waits for the kubelet. Zero means delete at once: a pod never bound to a
 * node, or one that already finished, has no containers to stop.
 */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const status = isPlainObject(pod.status) ? pod.status : {};
  if (!spec.nodeName) return 0;
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  if (requested !== undefined) return Math.max(0, requested);
  const fromSpec = spec.terminationGracePeriodSeconds;
  return typeof fromSpec === 'number' ? Math.max(0, fromSpec) : 30;
}
