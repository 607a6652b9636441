/**
 * The pure half of the pod lifecycle event generator (upstream's GenericPLEG): turning two relists of
 * the runtime into events. The relisting loop itself (timer, cache update, retry of pods whose
 * inspection failed) lives with the kubelet's sync loop.
 *
 * Contract:
 * - A relist is a snapshot: per pod UID, the state of each container (sandboxes included) by id.
 * - Each container whose state differs between two snapshots yields events: running gives
 *   ContainerStarted; exited gives ContainerDied; disappearing gives ContainerRemoved, preceded by
 *   ContainerDied unless it was already reported dead; any other change gives ContainerChanged.
 * - Like upstream's relist, this only sees what both snapshots show: a container created and removed
 *   between two relists produces nothing.
 */
import type { ContainerState, ContainerSummary, SandboxStatus } from './runtime/runtime.js';

export type PlegContainerState = 'running' | 'exited' | 'unknown' | 'non-existent';

export type PodLifecycleEventType =
  'ContainerStarted' | 'ContainerDied' | 'ContainerRemoved' | 'ContainerChanged';

export interface PodLifecycleEvent {
  podUid: string;
  type: PodLifecycleEventType;
  /** The runtime id of the container (or sandbox) the event is about. */
  containerId: string;
}

/** Per pod UID: container (and sandbox) id → state. */
export type RelistSnapshot = ReadonlyMap<string, ReadonlyMap<string, PlegContainerState>>;

/** A created-but-not-started container is "unknown" to the PLEG, as upstream's convertState has it. */
export function plegState(state: ContainerState | undefined): PlegContainerState {
  switch (state) {
    case undefined:
      return 'non-existent';
    case 'running':
      return 'running';
    case 'exited':
      return 'exited';
    default:
      return 'unknown';
  }
}

export function generateEvents(
  podUid: string,
  containerId: string,
  oldState: PlegContainerState,
  newState: PlegContainerState,
): PodLifecycleEvent[] {
  if (oldState === newState) return [];
  const event = (type: PodLifecycleEventType): PodLifecycleEvent => ({ podUid, type, containerId });
  switch (newState) {
    case 'running':
      return [event('ContainerStarted')];
    case 'exited':
      return [event('ContainerDied')];
    case 'unknown':
      return [event('ContainerChanged')];
    case 'non-existent':
      // A container that vanished without being seen dead still died first.
      return oldState === 'exited'
        ? [event('ContainerRemoved')]
        : [event('ContainerDied'), event('ContainerRemoved')];
  }
}

export function snapshotOf(sandboxes: SandboxStatus[], containers: ContainerSummary[]): RelistSnapshot {
  const pods = new Map<string, Map<string, PlegContainerState>>();
  const podOf = (uid: string) => {
    let pod = pods.get(uid);
    if (!pod) pods.set(uid, (pod = new Map()));
    return pod;
  };
  for (const s of sandboxes) podOf(s.pod.uid).set(s.id, s.state === 'ready' ? 'running' : 'exited');
  for (const c of containers) podOf(c.pod.uid).set(c.id, plegState(c.state));
  return pods;
}

/**
 * Events between two relists, grouped by pod in a stable order. ContainerChanged is left out, as
 * upstream does not send it: the sync it would trigger has nothing to act on.
 */
export function relistEvents(previous: RelistSnapshot, current: RelistSnapshot): PodLifecycleEvent[] {
  const events: PodLifecycleEvent[] = [];
  const podUids = new Set([...previous.keys(), ...current.keys()]);
  for (const uid of podUids) {
    const before = previous.get(uid) ?? new Map<string, PlegContainerState>();
    const after = current.get(uid) ?? new Map<string, PlegContainerState>();
    const ids = new Set([...before.keys(), ...after.keys()]);
    for (const id of ids) {
      const generated = generateEvents(
        uid,
        id,
        before.get(id) ?? 'non-existent',
        after.get(id) ?? 'non-existent',
      );
      events.push(...generated.filter((e) => e.type !== 'ContainerChanged'));
    }
  }
  return events;
}
