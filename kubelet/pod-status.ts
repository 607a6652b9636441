/**
 * computePodStatus: the pod's API status from what the runtime reports, the probe results and the
 * start failures of the last sync, as upstream's generateAPIPodStatus and the status manager make it.
 *
 * Contract:
 * - Container statuses: every spec container gets one. The newest runtime container of a name gives
 *   `state`, the one before it `lastState`; with no runtime container yet, the state is waiting with
 *   reason ContainerCreating (PodInitializing when the pod has init containers). A container that
 *   will be started again and whose last start failed shows that failure as its waiting reason
 *   (CrashLoopBackOff, ErrImagePull, ImagePullBackOff, CreateContainerConfigError, ...), with the
 *   terminated state it came from moved to `lastState`. App statuses are sorted by name, init
 *   statuses follow the spec, as upstream's clients expect.
 * - `started`/`ready`: a running container without a startup probe has started; with one, once the
 *   probe succeeded. A started, running container is ready without a readiness probe, or once it
 *   succeeded. Init containers are ready once they exited 0.
 * - Phase follows upstream's getPhase; Succeeded and Failed are final and never left again.
 * - Conditions owned by the kubelet (Initialized, Ready, ContainersReady, PodScheduled) are
 *   recomputed, keeping `lastTransitionTime` while their status is unchanged; other conditions (e.g.
 *   readiness gates set by controllers) are kept as they were, and feed the Ready condition.
 * - Fields the kubelet does not own (nominatedNodeName, reason, message, ...) are carried over.
 */
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from './api-types.js';
import { rfc3339 } from './api-types.js';
import { podQosClass } from './container-resources.js';
import { shouldContainerBeRestarted } from './pod-actions.js';
import type { ProbeResults } from './probe-results.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import type { ContainerStatus as RuntimeContainerStatus } from './runtime/runtime.js';

export interface StartFailure {
  reason: string;
  message: string;
}

export interface PodStatusContext {
  hostIPs?: string[];
  /** Why each container's last start did not happen (upstream's reason cache), by container name. */
  startFailures?: ReadonlyMap<string, StartFailure>;
  /** The pod has finished for good (e.g. it was deleted and its containers are stopped). */
  podIsTerminal?: boolean;
  /** The runtime's scheme for container IDs. */
  runtimeType?: string;
}

const KUBELET_CONDITIONS = new Set([
  'PodScheduled',
  'Ready',
  'Initialized',
  'ContainersReady',
  'PodReadyToStartContainers',
]);

type Condition = Pick<PodCondition, 'type' | 'status' | 'reason' | 'message'>;

/** Go's %s of a []string: `[a b]`. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function timeOf(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : rfc3339(ms);
}

function convertState(
  cs: RuntimeContainerStatus,
  old: ContainerStatus | undefined,
  containerId: string,
): { state: ContainerState; restartCount: number } {
  switch (cs.state) {
    case 'running':
      return { state: { running: { startedAt: timeOf(cs.startedAt) } }, restartCount: cs.restartCount };
    case 'created':
      return { state: { waiting: {} }, restartCount: cs.restartCount };
    case 'exited':
      return {
        state: {
          terminated: {
            exitCode: cs.exitCode ?? 0,
            reason: cs.reason,
            message: cs.message,
            startedAt: timeOf(cs.startedAt),
            finishedAt: timeOf(cs.finishedAt),
            containerID: containerId,
          },
        },
        restartCount: cs.restartCount,
      };
    default:
      // It was running and can no longer be found: it did run, so it must not look as if it never had.
      if (old?.state?.running) {
        return {
          state: {
            terminated: {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
            },
          },
          restartCount: old.restartCount + 1,
        };
      }
      return { state: { waiting: {} }, restartCount: cs.restartCount };
  }
}

function convertContainerStatuses(
  pod: Pod,
  runtime: RuntimePodStatus,
  containers: Container[],
  oldStatuses: ContainerStatus[],
  isInit: boolean,
  context: PodStatusContext,
): ContainerStatus[] {
  const scheme = context.runtimeType ?? 'docker';
  const hasInits = (pod.spec?.initContainers ?? []).length > 0;
  const defaultWaiting = (): ContainerState => ({
    waiting: { reason: hasInits ? 'PodInitializing' : 'ContainerCreating' },
  });
  const oldByName = new Map(oldStatuses.map((s) => [s.name, s]));
  const statuses = new Map<string, ContainerStatus>();

  for (const container of containers) {
    const old = oldByName.get(container.name);
    if (old?.state?.terminated) {
      statuses.set(container.name, structuredClone(old));
      continue;
    }
    statuses.set(container.name, {
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready: false,
      restartCount: old?.restartCount ?? 0,
      state: defaultWaiting(),
      lastState: old?.lastState ?? {},
    });
  }

  const seen = new Map<string, number>();
  for (const cs of runtime.containers) {
    const status = statuses.get(cs.name);
    const count = seen.get(cs.name) ?? 0;
    if (!status || count >= 2) continue;
    const containerId = `${scheme}://${cs.id}`;
    const converted = convertState(cs, oldByName.get(cs.name), containerId);
    if (count === 0) {
      statuses.set(cs.name, {
        name: cs.name,
        image: cs.image,
        imageID: cs.imageRef,
        containerID: containerId,
        ready: false,
        restartCount: converted.restartCount,
        state: converted.state,
        lastState: status.lastState ?? {},
      });
    } else {
      status.lastState = converted.state;
    }
    seen.set(cs.name, count + 1);
  }

  for (const container of containers) {
    const newest = runtime.containers.find((c) => c.name === container.name);
    // An init container that succeeded is never run again, so a stale failure must not show.
    if (isInit && newest?.state === 'exited' && newest.exitCode === 0) continue;
    if (!shouldContainerBeRestarted(container, pod, runtime)) continue;
    const failure = context.startFailures?.get(container.name);
    const status = statuses.get(container.name);
    if (!failure || !status) continue;
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: { reason: failure.reason, message: failure.message } };
  }

  const ordered = containers.map((c) => statuses.get(c.name)!);
  return isInit ? ordered : ordered.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function hasProbe(container: Container | undefined, kind: 'startupProbe' | 'readinessProbe'): boolean {
  return container?.[kind] !== undefined && container[kind] !== null;
}

function applyProbeResults(
  pod: Pod,
  appStatuses: ContainerStatus[],
  initStatuses: ContainerStatus[],
  probes: ProbeResults,
  scheme: string,
): void {
  const specs = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c]));
  for (const status of appStatuses) {
    const spec = specs.get(status.name);
    const id = status.containerID?.startsWith(`${scheme}://`)
      ? status.containerID.slice(scheme.length + 3)
      : '';
    const running = status.state?.running !== undefined;
    const started = running && (hasProbe(spec, 'startupProbe') ? probes.startup.get(id) === 'Success' : true);
    status.started = started;
    status.ready =
      started && (hasProbe(spec, 'readinessProbe') ? probes.readiness.get(id) === 'Success' : true);
  }
  for (const status of initStatuses) {
    status.started = status.state?.running !== undefined;
    status.ready = status.state?.terminated !== undefined && status.state.terminated.exitCode === 0;
  }
}

function hasAnyRegularContainerStarted(pod: Pod, statuses: ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running || s.state?.terminated));
}

/** upstream getPhase. */
export function podPhase(
  pod: Pod,
  initStatuses: ContainerStatus[],
  appStatuses: ContainerStatus[],
  podIsTerminal: boolean,
): string {
  const spec = pod.spec;
  const policy = spec?.restartPolicy ?? 'Always';
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const container of spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === container.name);
    if (!s?.state) pendingInitialization++;
    else if (s.state.running) pendingInitialization++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else pendingInitialization++;
    } else pendingInitialization++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const container of spec?.containers ?? []) {
    const s = appStatuses.find((x) => x.name === container.name);
    if (!s?.state) unknown++;
    else if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInitialization > 0 && policy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !hasAnyRegularContainerStarted(pod, appStatuses)) || waiting > 0) {
    return 'Pending';
  }
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function initializedCondition(
  pod: Pod,
  initStatuses: ContainerStatus[],
  appStatuses: ContainerStatus[],
  phase: string,
): Condition {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const container of pod.spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === container.name);
    if (!s) unknown.push(container.name);
    else if (!s.ready) incomplete.push(container.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0)
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (hasAnyRegularContainerStarted(pod, appStatuses)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  }
  return { type: 'Initialized', status: 'True' };
}

function containersReadyCondition(pod: Pod, appStatuses: ContainerStatus[], phase: string): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const container of pod.spec?.containers ?? []) {
    const s = appStatuses.find((x) => x.name === container.name);
    if (!s) unknown.push(container.name);
    else if (!s.ready) unready.push(container.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0)
    return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length) {
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: messages.join(', '),
    };
  }
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, containersReady: Condition, otherConditions: PodCondition[]): Condition {
  if (containersReady.status !== 'True') {
    return { ...containersReady, type: 'Ready' };
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = otherConditions.find((x) => x.type === gate.conditionType);
    if (!c)
      messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') {
      messages.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
    }
  }
  if (messages.length)
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** Keeps the old transition time while the status stays the same. */
function withTransitionTime(condition: Condition, old: PodCondition[], now: number): PodCondition {
  const previous = old.find((c) => c.type === condition.type);
  const lastTransitionTime =
    previous && previous.status === condition.status && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : rfc3339(now);
  const result: PodCondition = { type: condition.type, status: condition.status, lastTransitionTime };
  if (condition.reason) result.reason = condition.reason;
  if (condition.message) result.message = condition.message;
  return result;
}

export function computePodStatus(
  pod: Pod,
  runtimeStatus: RuntimePodStatus,
  probeResults: ProbeResults,
  now: number,
  context: PodStatusContext = {},
): PodStatus {
  const old = pod.status ?? {};
  const scheme = context.runtimeType ?? 'docker';
  const initStatuses = convertContainerStatuses(
    pod,
    runtimeStatus,
    pod.spec?.initContainers ?? [],
    old.initContainerStatuses ?? [],
    true,
    context,
  );
  const appStatuses = convertContainerStatuses(
    pod,
    runtimeStatus,
    pod.spec?.containers ?? [],
    old.containerStatuses ?? [],
    false,
    context,
  );
  applyProbeResults(pod, appStatuses, initStatuses, probeResults, scheme);

  let phase = podPhase(pod, initStatuses, appStatuses, context.podIsTerminal ?? false);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;

  const oldConditions = old.conditions ?? [];
  const otherConditions = oldConditions.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const containersReady = containersReadyCondition(pod, appStatuses, phase);
  const owned: Condition[] = [
    initializedCondition(pod, initStatuses, appStatuses, phase),
    readyCondition(pod, containersReady, otherConditions),
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];

  const hostIPs = context.hostIPs ?? (old.hostIP ? [old.hostIP] : []);
  let podIPs = pod.spec?.hostNetwork ? hostIPs : runtimeStatus.ips;
  // A stopped sandbox has no address, but the pod that finished in it keeps reporting the one it had.
  if (podIPs.length === 0) podIPs = (old.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);

  const status: PodStatus = {
    ...old,
    phase,
    conditions: [...otherConditions, ...owned.map((c) => withTransitionTime(c, oldConditions, now))],
    hostIP: hostIPs[0],
    hostIPs: hostIPs.map((ip) => ({ ip })),
    podIP: podIPs[0],
    podIPs: podIPs.map((ip) => ({ ip })),
    startTime: old.startTime ?? rfc3339(now),
    containerStatuses: appStatuses,
    qosClass: old.qosClass ?? podQosClass(pod),
  };
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  for (const key of ['hostIP', 'podIP'] as const) if (status[key] === undefined) delete status[key];
  return status;
}
