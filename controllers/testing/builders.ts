/**
 * Builders for the workload controllers' unit tests: ReplicaSets, Deployments and pods with just the
 * fields a test is about. Times count in seconds from the fixture's T0 so tables stay readable.
 */
import type { OwnerReference } from '../../apiserver/api-object.js';
import type { Deployment, Pod, ReplicaSet } from '../workload-types.js';
import { T0 } from './fixture.js';

export const NS = 'default';
export const LABELS = { app: 'web' };

/** RFC 3339 for T0 + `seconds`. */
export const at = (seconds: number): string =>
  new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');

export function controllerRefTo(
  owner: { metadata: { name?: string; uid?: string } },
  kind: string,
): OwnerReference {
  return {
    apiVersion: kind === 'ReplicaSet' || kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function newReplicaSet(
  name: string,
  replicas: number,
  extra: {
    minReadySeconds?: number;
    generation?: number;
    status?: ReplicaSet['status'];
    owner?: OwnerReference;
  } = {},
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      resourceVersion: '10',
      generation: extra.generation ?? 1,
      creationTimestamp: at(0),
      ...(extra.owner ? { ownerReferences: [extra.owner] } : {}),
    },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds,
      selector: { matchLabels: { ...LABELS } },
      template: {
        metadata: { labels: { ...LABELS, tier: 'front' }, annotations: { note: 'x' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    },
    status: extra.status ?? { replicas: 0 },
  };
}

export interface PodShape {
  owner?: { metadata: { name?: string; uid?: string } };
  ownerKind?: string;
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  node?: string;
  /** Seconds after T0 at which the pod became ready; undefined: not ready. */
  readyAt?: number;
  restarts?: number;
  createdAt?: number;
  labels?: Record<string, string>;
  deleting?: boolean;
  annotations?: Record<string, string>;
}

export function newPod(name: string, shape: PodShape = {}): Pod {
  const ready = shape.readyAt !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: at(shape.createdAt ?? 0),
      labels: shape.labels ?? { ...LABELS, tier: 'front' },
      ...(shape.annotations ? { annotations: shape.annotations } : {}),
      ...(shape.owner
        ? { ownerReferences: [controllerRefTo(shape.owner, shape.ownerKind ?? 'ReplicaSet')] }
        : {}),
      ...(shape.deleting ? { deletionTimestamp: at(100) } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...(shape.node ? { nodeName: shape.node } : {}) },
    status: {
      phase: shape.phase ?? (ready ? 'Running' : 'Pending'),
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(shape.readyAt ?? 0) },
      ],
      containerStatuses: [
        { name: 'app', image: 'nginx', imageID: '', ready, restartCount: shape.restarts ?? 0 },
      ],
    },
  };
}

export function newDeployment(
  name: string,
  replicas: number,
  extra: {
    strategy?: NonNullable<Deployment['spec']>['strategy'];
    image?: string;
    generation?: number;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
    paused?: boolean;
    status?: Deployment['status'];
    annotations?: Record<string, string>;
  } = {},
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      resourceVersion: '20',
      generation: extra.generation ?? 1,
      creationTimestamp: at(0),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...LABELS } },
      template: {
        metadata: { labels: { ...LABELS } },
        spec: { containers: [{ name: 'app', image: extra.image ?? 'nginx:1' }] },
      },
      strategy: extra.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      minReadySeconds: extra.minReadySeconds,
      revisionHistoryLimit: extra.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: extra.progressDeadlineSeconds ?? 600,
      ...(extra.paused ? { paused: true } : {}),
    },
    status: extra.status ?? {},
  };
}

/** A ReplicaSet of `d` (its template unless given), with counts in its status. */
export function replicaSetOf(
  d: Deployment,
  name: string,
  replicas: number,
  extra: {
    available?: number;
    ready?: number;
    current?: number;
    revision?: number;
    createdAt?: number;
    image?: string;
    annotations?: Record<string, string>;
  } = {},
): ReplicaSet {
  const template = structuredClone(d.spec!.template);
  if (extra.image) template.spec!.containers[0].image = extra.image;
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, 'pod-template-hash': name },
  };
  const available = extra.available ?? 0;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${name}`,
      namespace: NS,
      uid: `uid-${d.metadata.name}-${name}`,
      resourceVersion: '30',
      generation: 1,
      creationTimestamp: at(extra.createdAt ?? 0),
      labels: template.metadata.labels,
      annotations: {
        ...(extra.revision !== undefined
          ? { 'deployment.kubernetes.io/revision': String(extra.revision) }
          : {}),
        ...extra.annotations,
      },
      ownerReferences: [controllerRefTo(d, 'Deployment')],
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...d.spec!.selector.matchLabels, 'pod-template-hash': name } },
      template,
    },
    status: {
      replicas: extra.current ?? replicas,
      readyReplicas: extra.ready ?? available,
      availableReplicas: available,
      observedGeneration: 1,
    },
  };
}
