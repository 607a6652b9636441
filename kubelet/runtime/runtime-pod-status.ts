/**
 * RuntimePodStatus: everything the runtime knows about one pod, as upstream's kubecontainer.PodStatus.
 * It is the input of the kubelet's pure decisions (computePodActions, computePodStatus). Sandboxes and
 * containers are ordered newest first, and every attempt the runtime still has is kept: the newest
 * container of a name is its current state, the one before it is its `lastState`.
 */
import type { ContainerRuntime, ContainerStatus, PodRef, SandboxStatus } from './runtime.js';

export interface RuntimePodStatus {
  pod: PodRef;
  /** The pod IPs of the newest sandbox that is ready; empty when there is none. */
  ips: string[];
  sandboxes: SandboxStatus[];
  containers: ContainerStatus[];
}

/** Sandboxes by attempt, then creation; containers by creation, then restart count (same-second ties). */
export function sortNewestFirst(status: RuntimePodStatus): RuntimePodStatus {
  const sandboxes = [...status.sandboxes].sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  const containers = [...status.containers].sort(
    (a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount,
  );
  const ready = sandboxes.find((s) => s.state === 'ready');
  return { ...status, sandboxes, containers, ips: ready?.ip ? [ready.ip] : [] };
}

/** The current (newest) container of that name, if the runtime has one. */
export function latestContainer(status: RuntimePodStatus, name: string): ContainerStatus | undefined {
  return status.containers.find((c) => c.name === name);
}

export function emptyRuntimePodStatus(pod: PodRef): RuntimePodStatus {
  return { pod, ips: [], sandboxes: [], containers: [] };
}

/**
 * Reads one pod's state from the runtime. A container removed between the list and its inspection is
 * simply left out: the next read will not list it either.
 */
export async function readRuntimePodStatus(
  runtime: ContainerRuntime,
  pod: PodRef,
): Promise<RuntimePodStatus> {
  const [sandboxes, summaries] = await Promise.all([
    runtime.listSandboxes({ podUid: pod.uid }),
    runtime.listContainers({ podUid: pod.uid }),
  ]);
  const inspected = await Promise.all(summaries.map((c) => runtime.inspectContainer(c.id)));
  const containers = inspected.filter((c): c is ContainerStatus => c !== undefined);
  return sortNewestFirst({ pod, ips: [], sandboxes, containers });
}
