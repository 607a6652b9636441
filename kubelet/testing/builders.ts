/**
 * Builders for the kubelet's unit tests: pods with just the fields a test is about, and runtime
 * states (sandboxes, containers) as the runtime would report them. Times count in seconds from T0 so
 * tables stay readable.
 */
import type { Container, Pod } from '../api-types.js';
import { containerHash } from '../pod-actions.js';
import type { RuntimePodStatus } from '../runtime/runtime-pod-status.js';
import { sortNewestFirst } from '../runtime/runtime-pod-status.js';
import type { ContainerState, ContainerStatus, SandboxStatus } from '../runtime/runtime.js';

export const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
export const at = (seconds: number): number => T0 + seconds * 1000;
export const POD_REF = { uid: 'uid-1', name: 'web', namespace: 'default' };

export function makeContainer(name: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'busybox', ...extra };
}

export function makePod(
  spec: {
    containers?: (string | Container)[];
    initContainers?: (string | Container)[];
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    hostNetwork?: boolean;
  } = {},
  metadata: Partial<NonNullable<Pod['metadata']>> = {},
): Pod {
  const toContainer = (c: string | Container) => (typeof c === 'string' ? makeContainer(c) : c);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD_REF.name, namespace: POD_REF.namespace, uid: POD_REF.uid, ...metadata },
    spec: {
      containers: (spec.containers ?? ['app']).map(toContainer),
      initContainers: spec.initContainers?.map(toContainer),
      restartPolicy: spec.restartPolicy ?? 'Always',
      hostNetwork: spec.hostNetwork,
    },
  };
}

export function sandbox(state: 'ready' | 'notready', extra: Partial<SandboxStatus> = {}): SandboxStatus {
  const attempt = extra.attempt ?? 0;
  return {
    id: `sandbox-${attempt}`,
    pod: POD_REF,
    attempt,
    state,
    createdAt: at(attempt),
    ip: state === 'ready' && !extra.hostNetwork ? '172.17.0.5' : undefined,
    hostNetwork: false,
    labels: {},
    ...extra,
  };
}

let containerSeq = 0;

/** A container of the given spec name; `created` orders attempts (later = newer). */
export function runtimeContainer(
  name: string,
  state: ContainerState,
  extra: Partial<ContainerStatus> & { created?: number } = {},
): ContainerStatus {
  const { created = 10, ...rest } = extra;
  const restartCount = rest.restartCount ?? 0;
  const exited = state === 'exited';
  const exitCode = rest.exitCode ?? (exited ? 0 : undefined);
  return {
    id: `${name}-${restartCount}-${++containerSeq}`,
    sandboxId: 'sandbox-0',
    pod: POD_REF,
    name,
    image: 'busybox',
    imageRef: 'docker://sha256:1111',
    state,
    createdAt: at(created),
    startedAt: state === 'created' ? undefined : at(created + 1),
    finishedAt: exited ? at(created + 5) : undefined,
    exitCode,
    reason: exited ? (exitCode === 0 ? 'Completed' : 'Error') : undefined,
    oomKilled: false,
    restartCount,
    hash: containerHash({ name, image: 'busybox' }),
    labels: {},
    ...rest,
  };
}

export function podStatus(sandboxes: SandboxStatus[], containers: ContainerStatus[] = []): RuntimePodStatus {
  return sortNewestFirst({ pod: POD_REF, ips: [], sandboxes, containers });
}
