/**
 * What a simulated node reports for a pod: the runtime state a real node would have once the pod
 * is up (a ready sandbox holding the pod IP, init containers done, app containers running and, with
 * no real probes, passing them), turned into API status by the kubelet's own computePodStatus, so
 * simulated pods look exactly like real ones to every reader.
 *
 * A pod whose restartPolicy is not Always may ask to finish: the annotation
 * `simulation.kubicle.io/run-ms` says how long its containers run once ready, and
 * `simulation.kubicle.io/exit-code` (default 0) how they exit; the pod then ends Succeeded or Failed.
 */
import type { ContainerStatus as ApiContainerStatus, Pod, PodStatus } from './api-types.js';
import { computePodStatus } from './pod-status.js';
import type { ProbeResult, ProbeResults } from './probe-results.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import { sortNewestFirst } from './runtime/runtime-pod-status.js';
import { terminationReason } from './runtime/runtime.js';
import type { ContainerStatus, PodRef } from './runtime/runtime.js';

export const SIMULATED_RUNTIME = 'simulated';
export const ANNOTATION_RUN_MS = 'simulation.kubicle.io/run-ms';
export const ANNOTATION_EXIT_CODE = 'simulation.kubicle.io/exit-code';

export interface SimulatedPodTimes {
  /** When the node first saw the pod: its sandbox and init containers date from then. */
  seenAt: number;
  /** When its app containers started (and became ready). */
  startedAt: number;
}

function podRef(pod: Pod): PodRef {
  const m = pod.metadata ?? {};
  return { uid: m.uid ?? '', name: m.name ?? '', namespace: m.namespace ?? '' };
}

/** When the containers of a finishing pod exit; undefined for pods that run until deleted. */
export function simulatedFinishAt(pod: Pod, startedAt: number): number | undefined {
  if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return undefined;
  const runMs = Number(pod.metadata?.annotations?.[ANNOTATION_RUN_MS]);
  return Number.isFinite(runMs) && runMs >= 0 ? startedAt + runMs : undefined;
}

function simulatedExitCode(pod: Pod): number {
  const code = Number(pod.metadata?.annotations?.[ANNOTATION_EXIT_CODE] ?? 0);
  return Number.isInteger(code) ? code : 1;
}

/** The start time a pod already reports for its containers, so a restarted simulator keeps it. */
export function reportedStartedAt(pod: Pod): number | undefined {
  const times = (pod.status?.containerStatuses ?? [])
    .map((s: ApiContainerStatus) => s.state?.running?.startedAt ?? s.state?.terminated?.startedAt)
    .filter((t): t is string => typeof t === 'string')
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.min(...times) : undefined;
}

function container(
  pod: Pod,
  name: string,
  image: string,
  times: { createdAt: number; startedAt: number; finishedAt?: number; exitCode?: number },
): ContainerStatus {
  const ref = podRef(pod);
  const exited = times.finishedAt !== undefined;
  const exitCode = times.exitCode ?? 0;
  return {
    id: `${ref.uid}-${name}`,
    sandboxId: `${ref.uid}-sandbox`,
    pod: ref,
    name,
    image,
    imageRef: `${SIMULATED_RUNTIME}://${image}`,
    state: exited ? 'exited' : 'running',
    createdAt: times.createdAt,
    startedAt: times.startedAt,
    finishedAt: times.finishedAt,
    exitCode: exited ? exitCode : undefined,
    reason: exited ? terminationReason(exitCode, false) : undefined,
    oomKilled: false,
    restartCount: 0,
    labels: {},
  };
}

export function simulatedRuntimeStatus(
  pod: Pod,
  podIP: string | undefined,
  times: SimulatedPodTimes,
  now: number,
): RuntimePodStatus {
  const ref = podRef(pod);
  const finishAt = simulatedFinishAt(pod, times.startedAt);
  const finished = finishAt !== undefined && now >= finishAt;
  const inits = (pod.spec?.initContainers ?? []).map((c) =>
    container(pod, c.name, c.image ?? '', {
      createdAt: times.seenAt,
      startedAt: times.seenAt,
      finishedAt: times.seenAt,
      exitCode: 0,
    }),
  );
  const apps = (pod.spec?.containers ?? []).map((c) =>
    container(pod, c.name, c.image ?? '', {
      createdAt: times.startedAt,
      startedAt: times.startedAt,
      finishedAt: finished ? finishAt : undefined,
      exitCode: finished ? simulatedExitCode(pod) : undefined,
    }),
  );
  const hostNetwork = pod.spec?.hostNetwork === true;
  return sortNewestFirst({
    pod: ref,
    ips: [],
    sandboxes: [
      {
        id: `${ref.uid}-sandbox`,
        pod: ref,
        attempt: 0,
        state: finished ? 'notready' : 'ready',
        createdAt: times.seenAt,
        ip: finished || hostNetwork ? undefined : podIP,
        hostNetwork,
        labels: {},
      },
    ],
    containers: [...inits, ...apps],
  });
}

export function simulatedPodStatus(
  pod: Pod,
  addresses: { podIP?: string; hostIP: string },
  times: SimulatedPodTimes,
  now: number,
): PodStatus {
  const runtime = simulatedRuntimeStatus(pod, addresses.podIP, times, now);
  const passing = new Map<string, ProbeResult>(runtime.containers.map((c) => [c.id, 'Success']));
  const probes: ProbeResults = { liveness: passing, readiness: passing, startup: passing };
  const finishAt = simulatedFinishAt(pod, times.startedAt);
  return computePodStatus(pod, runtime, probes, now, {
    hostIPs: [addresses.hostIP],
    runtimeType: SIMULATED_RUNTIME,
    podIsTerminal: finishAt !== undefined && now >= finishAt,
  });
}
