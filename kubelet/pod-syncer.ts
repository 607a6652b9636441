/**
 * PodSyncer: what the kubelet does for one pod, each call run by that pod's serial worker.
 *
 * - `syncPod` brings the runtime in line with a live pod, as upstream's SyncPod, in numbered steps:
 *   compute the actions (pure, pod-actions.ts), kill what must go, set up volumes, create the
 *   sandbox, start the next init container, start app containers, then write the status.
 * - `terminatePod` runs a graceful deletion to its end: preStop hooks, SIGTERM, the grace period,
 *   SIGKILL, a final status, removal of containers and volumes, then the DELETE with grace period 0
 *   that lets the API server drop the pod.
 * - `cleanupPod` removes what the runtime still has of a pod the API no longer has.
 *
 * Start failures (backoff, image pulls, configuration errors) are remembered per container and shown
 * as the container's waiting reason (upstream's reason cache); each is also recorded as an Event.
 * Status is written through the status subresource as a merge patch, only when it changed.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isConflict, isNotFound } from '../machinery/api-status-error.js';
import type { Clock } from '../machinery/clock.js';
import type { EventType } from '../machinery/event-recorder.js';
import type { ConfigMap, Container, Pod, PodStatus, Secret, Service } from './api-types.js';
import type { Backoff } from './backoff.js';
import { checkCrashLoopBackOff, containerBackoffKey, formatPod, imagePullBackoffKey } from './backoff.js';
import { containerConfigFor, sandboxConfigFor } from './container-config.js';
import type { DnsSettings } from './container-config.js';
import { ContainerConfigError, makeEnvironmentVariables } from './container-env.js';
import { decideImagePull, recordImagePullFailure } from './image-pull.js';
import { mergePatchDiff } from './merge-patch-diff.js';
import { jsonEqual } from './node-status.js';
import { computePodActions, containerHash, nextRestartCount } from './pod-actions.js';
import { computePodStatus } from './pod-status.js';
import type { StartFailure } from './pod-status.js';
import type { ProbeManager } from './prober.js';
import { runHandler } from './prober.js';
import { readRuntimePodStatus } from './runtime/runtime-pod-status.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import type { ContainerRuntime, ContainerStatus, SandboxConfig } from './runtime/runtime.js';
import type { VolumeManager } from './volume-manager.js';
import { containerMounts, planPodVolumes } from './volume-plan.js';
import type { VolumePlan } from './volume-plan.js';

/** Event reasons, as upstream's kubelet events package names them. */
export const EVENT_PULLING = 'Pulling';
export const EVENT_PULLED = 'Pulled';
export const EVENT_CREATED = 'Created';
export const EVENT_STARTED = 'Started';
export const EVENT_KILLING = 'Killing';
export const EVENT_FAILED = 'Failed';
export const EVENT_BACKOFF = 'BackOff';
export const EVENT_UNHEALTHY = 'Unhealthy';
export const EVENT_FAILED_MOUNT = 'FailedMount';
export const EVENT_FAILED_SANDBOX = 'FailedCreatePodSandBox';
export const EVENT_NEVER_PULL = 'ErrImageNeverPull';
export const EVENT_INVALID_ENV = 'InvalidEnvironmentVariableNames';
export const EVENT_FAILED_PRESTOP = 'FailedPreStopHook';

/** Upstream's floor for any container stop: a process always gets a moment to react to SIGTERM. */
const MINIMUM_GRACE_SECONDS = 2;
const DEFAULT_GRACE_SECONDS = 30;
/** How soon a pod waiting for something outside the kubelet's control (a volume source) is tried again. */
const WAITING_RESYNC_MS = 5_000;
/** Dead containers kept per container name beyond the current one (upstream's MaxPerPodContainer). */
const DEAD_CONTAINERS_KEPT = 1;

export interface PodSources {
  configMaps(namespace: string): ReadonlyMap<string, ConfigMap>;
  secrets(namespace: string): ReadonlyMap<string, Secret>;
  services(): readonly Service[];
}

export interface PodSyncerDeps {
  runtime: ContainerRuntime;
  client: Pick<ApiClient, 'patch' | 'delete'>;
  recordEvent(obj: KubeObject, type: EventType, reason: string, message: string): void;
  volumes: VolumeManager;
  probes: ProbeManager;
  /** Crash-loop backoff per container. */
  backoff: Backoff;
  /** Image pull backoff per pod and image. */
  pullBackoff: Backoff;
  clock: Clock;
  dataDir: string;
  dns: DnsSettings;
  hostIPs: string[];
  machineMemoryBytes: number;
  nodeAllocatable: Record<string, string>;
  sources: PodSources;
  /**
   * What the runtime held for a pod at the end of each sync (undefined: nothing any more), so the
   * relist compares against what the kubelet itself last saw, including containers it just started.
   */
  observed?(uid: string, status: RuntimePodStatus | undefined): void;
  log(line: string): void;
}

export interface SyncResult {
  /** Sync again after this long (a backoff ends, a volume source may have appeared). */
  resyncAfterMs?: number;
}

interface Written {
  status: PodStatus;
  resourceVersion: number;
}

function podRef(pod: Pod) {
  const m = pod.metadata ?? {};
  return { uid: m.uid ?? '', name: m.name ?? '', namespace: m.namespace ?? '' };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function asObject(pod: Pod): KubeObject {
  return pod as unknown as KubeObject;
}

export function terminationGracePeriod(pod: Pod): number {
  const fromDeletion = pod.metadata?.deletionGracePeriodSeconds;
  if (typeof fromDeletion === 'number') return fromDeletion;
  return pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

export class PodSyncer {
  private readonly startFailures = new Map<string, Map<string, StartFailure>>();
  private readonly written = new Map<string, Written>();
  /** The last status each pod was sent, and whether the sync that sent it left nothing to do. */
  private readonly sent = new Map<string, { status: PodStatus; settled: boolean }>();

  constructor(private readonly deps: PodSyncerDeps) {}

  async syncPod(pod: Pod): Promise<SyncResult> {
    const { runtime, probes } = this.deps;
    const ref = podRef(pod);
    let status = await readRuntimePodStatus(runtime, ref);

    // A pod the API already considers finished never runs anything again.
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.stopEverything(pod, status, terminationGracePeriod(pod));
      probes.removePod(ref.uid);
      return {};
    }

    // Step 1: compute what to do.
    const actions = computePodActions(pod, status, probes.results);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    let resyncAfterMs: number | undefined;

    // Step 2: kill the whole pod when its sandbox must be replaced or nothing is left to run.
    if (actions.killPod) {
      await this.stopEverything(pod, status, grace);
    } else {
      // Step 3: kill the containers that must not keep running (changed, failed probes).
      for (const kill of actions.containersToKill) {
        const spec = this.containerSpec(pod, kill.name);
        await this.killContainer(pod, kill.containerId, spec, kill.message, grace);
      }
    }

    // Step 4: set up volumes, on every sync so that changed ConfigMaps and Secrets reach the files;
    // containers wait for all of them, as upstream waits for mounts.
    const plan = await this.setUpVolumes(pod, status);
    const starting =
      actions.createSandbox || actions.initContainerToStart || actions.containersToStart.length;
    if (starting && plan.errors.size > 0) {
      resyncAfterMs = WAITING_RESYNC_MS;
    } else if (starting) {
      // Step 5: create the sandbox.
      let sandboxId = actions.sandboxId;
      const sandboxConfig = sandboxConfigFor(pod, actions.attempt, this.deps.dns);
      if (actions.createSandbox) {
        sandboxId = await this.createSandbox(pod, sandboxConfig);
        status = await readRuntimePodStatus(runtime, ref);
      }
      if (sandboxId) {
        // Step 6: the next init container, if initialization is not done.
        if (actions.initContainerToStart) {
          const init = (pod.spec?.initContainers ?? []).find((c) => c.name === actions.initContainerToStart);
          if (init) {
            const after = await this.startContainer(pod, init, sandboxId, sandboxConfig, status, plan);
            resyncAfterMs = earliest(resyncAfterMs, after);
          }
        }
        // Step 7: app containers.
        for (const name of actions.containersToStart) {
          const container = this.containerSpec(pod, name);
          if (!container) continue;
          const after = await this.startContainer(pod, container, sandboxId, sandboxConfig, status, plan);
          resyncAfterMs = earliest(resyncAfterMs, after);
        }
      }
    }

    // Step 8: forget old dead containers, start or stop probes, write the status.
    status = await readRuntimePodStatus(runtime, ref);
    status = await this.pruneDeadContainers(status);
    this.deps.observed?.(ref.uid, status);
    probes.syncPod(pod, status);
    // A container may have exited while this sync ran; the relist compares with what this sync saw
    // last, so only another sync would act on it.
    const left = computePodActions(pod, status, probes.results);
    const settled =
      !left.killPod &&
      !left.createSandbox &&
      !left.initContainerToStart &&
      left.containersToStart.length === 0 &&
      left.containersToKill.length === 0;
    await this.writeStatus(pod, status, false, settled);
    return { resyncAfterMs };
  }

  async terminatePod(pod: Pod): Promise<void> {
    const { runtime, probes, client } = this.deps;
    const ref = podRef(pod);
    // Step 1: stop every container (preStop, SIGTERM, grace period, SIGKILL) and the sandbox.
    const status = await readRuntimePodStatus(runtime, ref);
    await this.stopEverything(pod, status, terminationGracePeriod(pod));
    probes.removePod(ref.uid);

    // Step 2: report the final state, so the last word on each container is how it ended.
    try {
      await this.writeStatus(pod, await readRuntimePodStatus(runtime, ref), true);
    } catch (err) {
      if (!isNotFound(err)) this.deps.log(`kubelet: final status of ${formatPod(pod)}: ${errorText(err)}`);
    }

    // Step 3: remove containers, sandboxes and volumes.
    await this.removeEverything(ref.uid);
    this.deps.observed?.(ref.uid, undefined);

    // Step 4: let the API server remove the pod; nothing of it runs here any more.
    try {
      await client.delete('v1', 'Pod', ref.namespace, ref.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: ref.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.forget(ref.uid);
  }

  /** The pod is gone from the API (deleted at once, or while this kubelet was away). */
  async cleanupPod(uid: string, lastKnown: Pod | undefined): Promise<void> {
    const { runtime } = this.deps;
    const status = await readRuntimePodStatus(runtime, { uid, name: '', namespace: '' });
    if (status.containers.length || status.sandboxes.length) {
      const grace = lastKnown ? terminationGracePeriod(lastKnown) : MINIMUM_GRACE_SECONDS;
      await this.stopEverything(lastKnown, status, grace);
    }
    this.deps.probes.removePod(uid);
    await this.removeEverything(uid);
    this.deps.observed?.(uid, undefined);
    this.forget(uid);
  }

  /**
   * Whether the pod's status is the one this kubelet last wrote (or is writing), by a sync that left
   * nothing more to do: the watch echoing that write back, which a sync would find nothing in. The
   * echo can arrive before the write's own response, so this compares content.
   */
  holdsOwnSettledStatus(pod: Pod): boolean {
    const sent = this.sent.get(pod.metadata?.uid ?? '');
    return sent !== undefined && sent.settled && jsonEqual(sent.status, pod.status);
  }

  private forget(uid: string): void {
    this.startFailures.delete(uid);
    this.written.delete(uid);
    this.sent.delete(uid);
  }

  private containerSpec(pod: Pod, name: string): Container | undefined {
    return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
      (c) => c.name === name,
    );
  }

  private failuresOf(uid: string): Map<string, StartFailure> {
    let failures = this.startFailures.get(uid);
    if (!failures) this.startFailures.set(uid, (failures = new Map()));
    return failures;
  }

  private event(pod: Pod | undefined, type: EventType, reason: string, message: string): void {
    if (pod) this.deps.recordEvent(asObject(pod), type, reason, message);
  }

  private async setUpVolumes(pod: Pod, status: RuntimePodStatus): Promise<VolumePlan> {
    const ns = pod.metadata?.namespace ?? '';
    const plan = planPodVolumes(pod, this.deps.dataDir, {
      configMaps: this.deps.sources.configMaps(ns),
      secrets: this.deps.sources.secrets(ns),
      podIPs: status.ips,
      hostIPs: this.deps.hostIPs,
    });
    const failures = await this.deps.volumes.setUp(plan.volumes);
    for (const [name, message] of failures) plan.errors.set(name, message);
    for (const [name, message] of plan.errors) {
      this.event(
        pod,
        'Warning',
        EVENT_FAILED_MOUNT,
        `MountVolume.SetUp failed for volume "${name}" : ${message}`,
      );
    }
    return plan;
  }

  private async createSandbox(pod: Pod, config: SandboxConfig): Promise<string | undefined> {
    const { runtime } = this.deps;
    try {
      const id = await runtime.createSandbox(config);
      await runtime.startSandbox(id);
      return id;
    } catch (err) {
      this.event(pod, 'Warning', EVENT_FAILED_SANDBOX, `Failed to create pod sandbox: ${errorText(err)}`);
      throw err;
    }
  }

  /**
   * Starts one container, as upstream's startContainer with its backoff and image checks first.
   * Returns when to sync again if the start has to wait.
   */
  private async startContainer(
    pod: Pod,
    container: Container,
    sandboxId: string,
    sandboxConfig: SandboxConfig,
    status: RuntimePodStatus,
    plan: VolumePlan,
  ): Promise<number | undefined> {
    const { runtime, clock, backoff } = this.deps;
    const ref = podRef(pod);
    const failures = this.failuresOf(ref.uid);
    const name = container.name;
    const hash = containerHash(container);
    const fail = (reason: string, message: string) => failures.set(name, { reason, message });

    const crashLoop = checkCrashLoopBackOff(backoff, pod, name, hash, status);
    if (crashLoop.inBackOff) {
      fail('CrashLoopBackOff', crashLoop.message);
      this.event(pod, 'Warning', EVENT_BACKOFF, crashLoop.eventMessage);
      const previous = status.containers.find((c) => c.name === name && c.state === 'exited');
      const finishedAt = previous?.finishedAt ?? previous?.createdAt ?? clock.now();
      return Math.max(0, backoff.get(containerBackoffKey(pod, name, hash)) - (clock.now() - finishedAt)) + 50;
    }

    const image = container.image ?? '';
    const pull = decideImagePull(
      container,
      await runtime.imageStatus(image),
      this.deps.pullBackoff,
      ref.uid,
      clock.now(),
    );
    if (pull.action === 'use') {
      this.event(pod, 'Normal', EVENT_PULLED, pull.message);
    } else if (pull.action === 'fail') {
      fail(pull.reason, pull.message);
      if (pull.reason === 'ErrImageNeverPull') {
        this.event(pod, 'Warning', EVENT_NEVER_PULL, pull.message);
        return WAITING_RESYNC_MS;
      }
      this.event(pod, 'Normal', EVENT_BACKOFF, pull.message);
      return this.deps.pullBackoff.get(imagePullBackoffKey(ref.uid, image));
    } else {
      this.event(pod, 'Normal', EVENT_PULLING, pull.message);
      const started = clock.now();
      try {
        await runtime.pullImage(image);
      } catch (err) {
        recordImagePullFailure(this.deps.pullBackoff, ref.uid, image, clock.now());
        fail('ErrImagePull', errorText(err));
        this.event(pod, 'Warning', EVENT_FAILED, `Failed to pull image "${image}": ${errorText(err)}`);
        this.event(pod, 'Warning', EVENT_FAILED, 'Error: ErrImagePull');
        return this.deps.pullBackoff.get(imagePullBackoffKey(ref.uid, image));
      }
      const seconds = ((clock.now() - started) / 1000).toFixed(3);
      this.event(pod, 'Normal', EVENT_PULLED, `Successfully pulled image "${image}" in ${seconds}s`);
    }

    let config;
    try {
      const ns = ref.namespace;
      const environment = makeEnvironmentVariables(pod, container, {
        configMaps: this.deps.sources.configMaps(ns),
        secrets: this.deps.sources.secrets(ns),
        services: this.deps.sources.services(),
        podIPs: status.ips,
        hostIPs: this.deps.hostIPs,
        nodeAllocatable: this.deps.nodeAllocatable,
      });
      for (const warning of environment.warnings) this.event(pod, 'Warning', EVENT_INVALID_ENV, warning);
      config = containerConfigFor(pod, container, {
        env: environment.env,
        mounts: containerMounts(container, plan),
        restartCount: this.restartCountFor(pod, name, status),
        machineMemoryBytes: this.deps.machineMemoryBytes,
      });
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      fail(err.reason, err.message);
      this.event(pod, 'Warning', EVENT_FAILED, `Error: ${err.message}`);
      return WAITING_RESYNC_MS;
    }

    let id: string;
    try {
      id = await runtime.createContainer(sandboxId, config, sandboxConfig);
    } catch (err) {
      fail('CreateContainerError', errorText(err));
      this.event(pod, 'Warning', EVENT_FAILED, `Error: ${errorText(err)}`);
      return WAITING_RESYNC_MS;
    }
    this.event(pod, 'Normal', EVENT_CREATED, `Created container ${name}`);
    try {
      await runtime.startContainer(id);
    } catch (err) {
      fail('RunContainerError', errorText(err));
      this.event(
        pod,
        'Warning',
        EVENT_FAILED,
        `Error: failed to start container "${name}": ${errorText(err)}`,
      );
      return WAITING_RESYNC_MS;
    }
    this.event(pod, 'Normal', EVENT_STARTED, `Started container ${name}`);
    failures.delete(name);
    return undefined;
  }

  /**
   * One more than the newest attempt the runtime still has, and never less than the API already
   * reported: a container removed behind the kubelet's back must not take its count with it.
   */
  private restartCountFor(pod: Pod, name: string, status: RuntimePodStatus): number {
    const base = this.baseStatus(pod);
    const reported = [...(base?.containerStatuses ?? []), ...(base?.initContainerStatuses ?? [])].find(
      (s) => s.name === name,
    );
    const fromApi = reported?.containerID ? reported.restartCount + 1 : 0;
    return Math.max(nextRestartCount(status, name), fromApi);
  }

  /** preStop (within the grace period), then stop: SIGTERM, and SIGKILL when the grace period is over. */
  private async killContainer(
    pod: Pod | undefined,
    containerId: string,
    spec: Container | undefined,
    message: string,
    graceSeconds: number,
  ): Promise<void> {
    const { runtime, clock } = this.deps;
    this.event(pod, 'Normal', EVENT_KILLING, message);
    let grace = Math.max(graceSeconds, MINIMUM_GRACE_SECONDS);
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && spec) {
      const started = clock.now();
      const outcome = await runHandler(
        preStop,
        { runtime, containerId, container: spec, podIP: pod?.status?.podIP },
        grace * 1000,
      );
      if (outcome.result === 'Failure') {
        this.event(pod, 'Warning', EVENT_FAILED_PRESTOP, `PreStopHook failed: ${outcome.output}`);
      }
      grace = Math.max(MINIMUM_GRACE_SECONDS, grace - Math.floor((clock.now() - started) / 1000));
    }
    await runtime.stopContainer(containerId, grace);
  }

  /** Stops every container that may still run, all at once, then the sandboxes. */
  private async stopEverything(
    pod: Pod | undefined,
    status: RuntimePodStatus,
    graceSeconds: number,
  ): Promise<void> {
    const { runtime } = this.deps;
    const live = status.containers.filter(
      (c) => c.state === 'running' || c.state === 'created' || c.state === 'unknown',
    );
    await Promise.all(
      live.map((c) =>
        this.killContainer(
          c.state === 'running' ? pod : undefined,
          c.id,
          pod ? this.containerSpec(pod, c.name) : undefined,
          `Stopping container ${c.name}`,
          c.state === 'running' ? graceSeconds : 0,
        ),
      ),
    );
    await Promise.all(
      status.sandboxes
        .filter((s) => s.state === 'ready')
        .map((s) => runtime.stopSandbox(s.id, MINIMUM_GRACE_SECONDS)),
    );
  }

  private async removeEverything(uid: string): Promise<void> {
    const { runtime, volumes } = this.deps;
    const [sandboxes, containers] = await Promise.all([
      runtime.listSandboxes({ podUid: uid }),
      runtime.listContainers({ podUid: uid }),
    ]);
    await Promise.all(containers.map((c) => runtime.removeContainer(c.id)));
    await Promise.all(sandboxes.map((s) => runtime.removeSandbox(s.id)));
    await volumes.tearDown(uid);
  }

  /**
   * Keeps the current container of each name and the one before it (its lastState, and what
   * `logs --previous` reads); older dead ones are removed, and so are dead sandboxes nothing is in.
   */
  private async pruneDeadContainers(status: RuntimePodStatus): Promise<RuntimePodStatus> {
    const { runtime } = this.deps;
    const perName = new Map<string, number>();
    const removed = new Set<string>();
    for (const c of status.containers) {
      const index = perName.get(c.name) ?? 0;
      perName.set(c.name, index + 1);
      // A container that was created but never started (a sync cut short) counts as dead too.
      if (index > DEAD_CONTAINERS_KEPT && c.state !== 'running') removed.add(c.id);
    }
    await Promise.all([...removed].map((id) => runtime.removeContainer(id)));
    const containers = status.containers.filter((c: ContainerStatus) => !removed.has(c.id));
    const inUse = new Set(containers.map((c) => c.sandboxId));
    const newest = status.sandboxes[0]?.id;
    const deadSandboxes = status.sandboxes.filter(
      (s) => s.id !== newest && s.state !== 'ready' && !inUse.has(s.id),
    );
    await Promise.all(deadSandboxes.map((s) => runtime.removeSandbox(s.id)));
    const gone = new Set(deadSandboxes.map((s) => s.id));
    return { ...status, containers, sandboxes: status.sandboxes.filter((s) => !gone.has(s.id)) };
  }

  /** The status the server holds as far as this kubelet knows: its own last write, unless the cache is newer. */
  private baseStatus(pod: Pod): PodStatus | undefined {
    const last = this.written.get(pod.metadata?.uid ?? '');
    if (!last) return pod.status;
    return Number(pod.metadata?.resourceVersion ?? 0) >= last.resourceVersion ? pod.status : last.status;
  }

  private async writeStatus(
    pod: Pod,
    runtimeStatus: RuntimePodStatus,
    podIsTerminal: boolean,
    settled = false,
  ): Promise<void> {
    const ref = podRef(pod);
    const base = this.baseStatus(pod);
    const status = computePodStatus(
      { ...pod, status: base },
      runtimeStatus,
      this.deps.probes.results,
      this.deps.clock.now(),
      {
        hostIPs: this.deps.hostIPs,
        startFailures: this.startFailures.get(ref.uid),
        podIsTerminal,
        runtimeType: this.deps.runtime.type,
      },
    );
    const patch = mergePatchDiff(base ?? {}, status);
    if (patch === undefined) return;
    this.sent.set(ref.uid, { status, settled });
    const updated = await this.deps.client.patch(
      'v1',
      'Pod',
      ref.namespace,
      ref.name,
      { status: patch },
      {
        subresource: 'status',
      },
    );
    this.written.set(ref.uid, { status, resourceVersion: Number(updated.metadata.resourceVersion ?? 0) });
  }
}
