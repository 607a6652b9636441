/**
 * computePodActions: step 1 of syncPod, upstream's kuberuntime `computePodActions`. Given the pod spec
 * and what the runtime has, it says what to do, and does nothing itself:
 * - a new sandbox (and with it, every container killed and started over) when there is none, when
 *   the newest one is not ready or has no IP, when several are ready, or when host networking changed;
 * - init containers strictly one at a time, in order; a failed one is retried unless the restart
 *   policy is Never, which kills the pod instead;
 * - for app containers: start those that are missing or dead and should restart under the policy;
 *   kill (and restart) running ones whose definition changed (always restarted) or whose liveness or
 *   startup probe failed (restarted unless the policy is Never);
 * - kill the whole pod when nothing is left to run.
 * Backoff is deliberately not decided here: as upstream, it is checked when a container is about to
 * be started, against the finish time of its previous run (see backoff.ts).
 */
import crypto from 'node:crypto';
import type { Container, Pod } from './api-types.js';
import { NO_PROBE_RESULTS } from './probe-results.js';
import type { ProbeResults } from './probe-results.js';
import { latestContainer } from './runtime/runtime-pod-status.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import type { ContainerStatus } from './runtime/runtime.js';

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'Unknown';

export interface ContainerToKill {
  containerId: string;
  name: string;
  /** Undefined for a changed definition, as upstream leaves it empty. */
  reason?: KillReason;
  /** The text of the Killing event. */
  message: string;
}

export interface PodActions {
  /** Stop every container and the sandbox (before recreating it, or because nothing is left to run). */
  killPod: boolean;
  createSandbox: boolean;
  /** The newest sandbox, if any: the one to run containers in when no new one is created. */
  sandboxId?: string;
  /** The attempt number a new sandbox gets. */
  attempt: number;
  initContainerToStart?: string;
  /** Names of app containers to start, in spec order. */
  containersToStart: string[];
  containersToKill: ContainerToKill[];
}

/**
 * Only what can change in a live pod's container spec is hashed (name and image), so that defaulting
 * new fields in a later version never restarts running containers; upstream made the same choice.
 */
export function containerHash(container: Container): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([container.name, container.image ?? '']))
    .digest('hex')
    .slice(0, 16);
}

function restartPolicy(pod: Pod): string {
  return pod.spec?.restartPolicy ?? 'Always';
}

function shouldRestartOnFailure(pod: Pod): boolean {
  return restartPolicy(pod) !== 'Never';
}

function containerSucceeded(status: ContainerStatus | undefined): boolean {
  return status?.state === 'exited' && status.exitCode === 0;
}

function isInitContainerFailed(status: ContainerStatus): boolean {
  return (status.state === 'exited' && status.exitCode !== 0) || status.state === 'unknown';
}

/** The restart count a new container of that name gets: one more than its newest predecessor. */
export function nextRestartCount(status: RuntimePodStatus, name: string): number {
  const previous = latestContainer(status, name);
  return previous ? previous.restartCount + 1 : 0;
}

export function podSandboxChanged(
  pod: Pod,
  status: RuntimePodStatus,
): { changed: boolean; attempt: number; sandboxId?: string } {
  const newest = status.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0 };
  const next = { changed: true, attempt: newest.attempt + 1, sandboxId: newest.id };
  const ready = status.sandboxes.filter((s) => s.state === 'ready').length;
  if (ready > 1 || newest.state !== 'ready') return next;
  const hostNetwork = pod.spec?.hostNetwork === true;
  if (newest.hostNetwork !== hostNetwork) return next;
  if (!hostNetwork && !newest.ip) return next;
  return { changed: false, attempt: newest.attempt, sandboxId: newest.id };
}

export function shouldContainerBeRestarted(
  container: Container,
  pod: Pod,
  status: RuntimePodStatus,
): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const current = latestContainer(status, container.name);
  if (!current) return true;
  if (current.state === 'running') return false;
  if (current.state === 'unknown' || current.state === 'created') return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && current.exitCode === 0) return false;
  return true;
}

/**
 * Where initialization stands: `done`, or the next init container to run (`next`), with the status of
 * the failed one when it is a retry (`lastFailed`).
 */
export function findNextInitContainerToRun(
  pod: Pod,
  status: RuntimePodStatus,
): { done: boolean; next?: Container; lastFailed?: ContainerStatus } {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };

  // A running app container proves initialization finished once, even if the runtime has since
  // forgotten the init containers; running them again would repeat one-time work.
  for (const c of pod.spec?.containers ?? []) {
    if (latestContainer(status, c.name)?.state === 'running') return { done: true };
  }

  for (let i = inits.length - 1; i >= 0; i--) {
    const s = latestContainer(status, inits[i].name);
    if (s && isInitContainerFailed(s)) return { done: false, next: inits[i], lastFailed: s };
  }

  for (let i = inits.length - 1; i >= 0; i--) {
    const s = latestContainer(status, inits[i].name);
    if (!s) continue;
    if (s.state === 'running') return { done: false };
    if (s.state === 'exited') {
      if (i === inits.length - 1) return { done: true };
      return { done: false, next: inits[i + 1] };
    }
  }
  return { done: false, next: inits[0] };
}

export function computePodActions(
  pod: Pod,
  status: RuntimePodStatus,
  probes: ProbeResults = NO_PROBE_RESULTS,
): PodActions {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const sandbox = podSandboxChanged(pod, status);
  const actions: PodActions = {
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    sandboxId: sandbox.sandboxId,
    attempt: sandbox.attempt,
    containersToStart: [],
    containersToKill: [],
  };

  if (sandbox.changed) {
    // A pod that already ran to completion must not get a fresh sandbox just to be torn down again.
    // With no containers at all, nothing ever started, so creating the sandbox is still worth retrying.
    if (!shouldRestartOnFailure(pod) && sandbox.attempt !== 0 && status.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart = containers
      .filter(
        (c) => !(restartPolicy(pod) === 'OnFailure' && containerSucceeded(latestContainer(status, c.name))),
      )
      .map((c) => c.name);
    if (toStart.length === 0 && findNextInitContainerToRun(pod, status).done) {
      actions.createSandbox = false;
      return actions;
    }
    if (inits.length > 0) {
      actions.initContainerToStart = inits[0].name;
      return actions;
    }
    actions.containersToStart = toStart;
    return actions;
  }

  const init = findNextInitContainerToRun(pod, status);
  if (!init.done) {
    if (init.next) {
      if (init.lastFailed && !shouldRestartOnFailure(pod)) {
        actions.killPod = true;
      } else {
        // A container in unknown state might still be running: kill it before starting it again.
        if (init.lastFailed?.state === 'unknown') {
          actions.containersToKill.push({
            containerId: init.lastFailed.id,
            name: init.next.name,
            reason: 'Unknown',
            message: `Init container is in "unknown" state, try killing it before restart`,
          });
        }
        actions.initContainerToStart = init.next.name;
      }
    }
    // Initialization failed or is still running: app containers wait.
    return actions;
  }

  let keepCount = 0;
  for (const container of containers) {
    const current = latestContainer(status, container.name);
    if (!current || current.state !== 'running') {
      if (shouldContainerBeRestarted(container, pod, status)) {
        actions.containersToStart.push(container.name);
        if (current?.state === 'unknown') {
          actions.containersToKill.push({
            containerId: current.id,
            name: container.name,
            reason: 'Unknown',
            message: `Container is in "unknown" state, try killing it before restart`,
          });
        }
      }
      continue;
    }

    let message: string;
    let reason: KillReason | undefined;
    let restart = shouldRestartOnFailure(pod);
    if (current.hash !== undefined && current.hash !== containerHash(container)) {
      message = `Container ${container.name} definition changed`;
      // A new definition is always applied, whatever the restart policy.
      restart = true;
    } else if (probes.liveness.get(current.id) === 'Failure') {
      message = `Container ${container.name} failed liveness probe`;
      reason = 'LivenessProbe';
    } else if (probes.startup.get(current.id) === 'Failure') {
      message = `Container ${container.name} failed startup probe`;
      reason = 'StartupProbe';
    } else {
      keepCount++;
      continue;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      actions.containersToStart.push(container.name);
    }
    actions.containersToKill.push({ containerId: current.id, name: container.name, reason, message });
  }

  if (keepCount === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}
