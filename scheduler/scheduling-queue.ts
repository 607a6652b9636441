/**
 * SchedulingQueue: the pending pods, after upstream's PriorityQueue. A pure data structure driven by an
 * injected clock; the caller pops, schedules, reports the outcome, and calls `flush()` periodically (or
 * at `nextWakeAt()`).
 *
 * Three places a pending pod can be:
 * - active: ready now, ordered by priority (higher first), then by when it was queued (older first);
 * - backoff: failed recently, waits initialBackoff × 2^(attempts−1), capped at maxBackoff (1 s → 10 s);
 * - unschedulable: no node fit; stays until a cluster event might change that (a node added or
 *   updated, an assigned pod deleted, or an assigned pod added that its affinity terms match), or until
 *   it has waited maxUnschedulableStay (60 s).
 * Pods with spec.schedulingGates wait, gated, until an update removes the gates.
 *
 * Between `pop()` and `addUnschedulableIfNotPresent`/`done`, a pod is in flight. An update meanwhile is
 * remembered (the requeued pod is the latest version, and it retries through backoff instead of waiting
 * for an event); a delete meanwhile means the pod is not requeued. A cluster event while pods are in flight
 * makes their failure go to backoff rather than unschedulable, so the event is not missed.
 */

import type { Pod } from './api-types.js';
import type { Clock } from './framework.js';
import { KeyedHeap } from './keyed-heap.js';
import { affinityTermMatches, PodInfo } from './pod-info.js';

export const DEFAULT_INITIAL_BACKOFF_MS = 1_000;
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
export const DEFAULT_MAX_UNSCHEDULABLE_STAY_MS = 60_000;

export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'UnschedulableTimeout'
  | 'ForceActivate';

export interface QueuedPodInfo {
  readonly key: string;
  podInfo: PodInfo;
  /** When the pod was queued or last failed: age order in active, start of backoff. */
  timestamp: number;
  /** When the pod was first popped. */
  initialAttemptTimestamp?: number;
  attempts: number;
  /** Plugins that rejected the pod last time; empty after an error. */
  unschedulablePlugins: Set<string>;
  /** Tie-breaker keeping insertion order among equal priority and timestamp. */
  sequence: number;
}

export interface SchedulingQueueOptions {
  clock: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableStayMs?: number;
}

export interface RequeueOptions {
  /** Plugins that rejected the pod; omit or leave empty for an error, which always retries via backoff. */
  unschedulablePlugins?: Iterable<string>;
  /** The pod as the informer has it now, if fresher than the one popped. */
  pod?: Pod;
}

function isGated(pod: Pod): boolean {
  return (pod.spec?.schedulingGates ?? []).length > 0;
}

/** Whether an update could change a scheduling decision: spec, labels or annotations changed. */
function schedulingRelevantChange(oldPod: Pod, newPod: Pod): boolean {
  const view = (p: Pod): string =>
    JSON.stringify([p.spec ?? null, p.metadata?.labels ?? null, p.metadata?.annotations ?? null]);
  return view(oldPod) !== view(newPod);
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxStayMs: number;

  private readonly activeQ = new KeyedHeap<QueuedPodInfo>(
    (p) => p.key,
    (a, b) =>
      a.podInfo.priority !== b.podInfo.priority
        ? a.podInfo.priority > b.podInfo.priority
        : a.timestamp !== b.timestamp
          ? a.timestamp < b.timestamp
          : a.sequence < b.sequence,
  );
  private readonly backoffQ = new KeyedHeap<QueuedPodInfo>(
    (p) => p.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  /** Ordered by timestamp so the longest-waiting pod is found first. */
  private readonly unschedulable = new KeyedHeap<QueuedPodInfo>(
    (p) => p.key,
    (a, b) => a.timestamp < b.timestamp,
  );
  private readonly gated = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, QueuedPodInfo & { updated: boolean }>();

  private sequence = 0;
  private cycle = 0;
  /** The scheduling cycle during which the last cluster event moved pods. */
  private moveRequestCycle = -1;

  constructor(options: SchedulingQueueOptions) {
    this.clock = options.clock;
    this.initialBackoffMs = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.maxStayMs = options.maxUnschedulableStayMs ?? DEFAULT_MAX_UNSCHEDULABLE_STAY_MS;
  }

  /** Incremented by every pop; pass the value at pop time to addUnschedulableIfNotPresent. */
  get schedulingCycle(): number {
    return this.cycle;
  }

  get activeCount(): number {
    return this.activeQ.size;
  }

  get backoffCount(): number {
    return this.backoffQ.size;
  }

  get unschedulableCount(): number {
    return this.unschedulable.size + this.gated.size;
  }

  /** Whether the pod is queued anywhere or in flight. */
  has(pod: Pod): boolean {
    const key = PodInfo.of(pod).key;
    return (
      this.activeQ.has(key) ||
      this.backoffQ.has(key) ||
      this.unschedulable.has(key) ||
      this.gated.has(key) ||
      this.inFlight.has(key)
    );
  }

  /** initialBackoff doubled per failed attempt after the first, capped at maxBackoff; 0 before any attempt. */
  backoffDuration(attempts: number): number {
    if (attempts <= 0) return 0;
    let duration = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      if (duration > this.maxBackoffMs - duration) return this.maxBackoffMs;
      duration += duration;
    }
    return Math.min(duration, this.maxBackoffMs);
  }

  private backoffExpiry(p: QueuedPodInfo): number {
    return p.timestamp + this.backoffDuration(p.attempts);
  }

  private isBackingOff(p: QueuedPodInfo, now: number): boolean {
    return this.backoffExpiry(p) > now;
  }

  // ---------------------------------------------------------------------------------------------------
  // Informer events for pending pods

  /** A new pending pod. Ignored if the pod is already queued or in flight. */
  add(pod: Pod): void {
    const podInfo = PodInfo.of(pod);
    if (this.has(pod)) return;
    const queued: QueuedPodInfo = {
      key: podInfo.key,
      podInfo,
      timestamp: this.clock.now(),
      attempts: 0,
      unschedulablePlugins: new Set(),
      sequence: this.sequence++,
    };
    if (isGated(pod)) this.gated.set(queued.key, queued);
    else this.activeQ.push(queued);
  }

  update(oldPod: Pod, newPod: Pod): void {
    const podInfo = PodInfo.of(newPod);
    const key = podInfo.key;

    const flying = this.inFlight.get(key);
    if (flying) {
      flying.podInfo = podInfo;
      flying.updated = true;
      return;
    }
    const gated = this.gated.get(key);
    if (gated) {
      gated.podInfo = podInfo;
      if (!isGated(newPod)) {
        this.gated.delete(key);
        this.activeQ.push(gated);
      }
      return;
    }
    for (const heap of [this.activeQ, this.backoffQ]) {
      const queued = heap.get(key);
      if (queued) {
        queued.podInfo = podInfo;
        heap.push(queued);
        return;
      }
    }
    const waiting = this.unschedulable.get(key);
    if (waiting) {
      waiting.podInfo = podInfo;
      if (!schedulingRelevantChange(oldPod, newPod)) return;
      this.unschedulable.delete(key);
      this.requeueFromUnschedulable(waiting, this.clock.now());
      return;
    }
    this.add(newPod);
  }

  delete(pod: Pod): void {
    const key = PodInfo.of(pod).key;
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.gated.delete(key);
    this.inFlight.delete(key);
  }

  // ---------------------------------------------------------------------------------------------------
  // The scheduling loop

  /** The next pod to schedule, or undefined when none is ready; the pod is then in flight. */
  pop(): QueuedPodInfo | undefined {
    const next = this.activeQ.pop();
    if (!next) return undefined;
    next.attempts++;
    next.initialAttemptTimestamp ??= this.clock.now();
    this.cycle++;
    this.inFlight.set(next.key, { ...next, updated: false });
    return next;
  }

  /** The in-flight pod was scheduled (assumed); it leaves the queue's care. */
  done(pod: Pod): void {
    this.inFlight.delete(PodInfo.of(pod).key);
  }

  /**
   * Puts a pod that failed to schedule back. Rejected by plugins: waits as unschedulable, unless a
   * cluster event happened since it was popped (cycle `podSchedulingCycle`) or it was updated meanwhile,
   * in which case it retries after backoff. Failed with an error: retries after backoff. Returns false
   * (and does nothing) when the pod is not in flight, e.g. it was deleted meanwhile.
   */
  addUnschedulableIfNotPresent(pod: Pod, podSchedulingCycle: number, options: RequeueOptions = {}): boolean {
    const key = PodInfo.of(pod).key;
    const flying = this.inFlight.get(key);
    if (!flying) return false;
    this.inFlight.delete(key);

    const { updated, ...rest } = flying;
    const queued: QueuedPodInfo = {
      ...rest,
      podInfo: options.pod ? PodInfo.of(options.pod) : flying.podInfo,
      timestamp: this.clock.now(),
      unschedulablePlugins: new Set(options.unschedulablePlugins ?? []),
    };
    const rejected = queued.unschedulablePlugins.size > 0;
    if (isGated(queued.podInfo.pod)) this.gated.set(key, queued);
    else if (!rejected || updated || this.moveRequestCycle >= podSchedulingCycle) this.backoffQ.push(queued);
    else this.unschedulable.push(queued);
    return true;
  }

  /**
   * A cluster change that may let unschedulable pods fit: every one (or those `filter` accepts) moves to
   * backoff if still backing off, else to active.
   */
  moveAllToActiveOrBackoffQueue(_event: ClusterEvent, filter?: (pod: QueuedPodInfo) => boolean): void {
    const now = this.clock.now();
    for (const waiting of this.unschedulable.list()) {
      if (filter && !filter(waiting)) continue;
      this.unschedulable.delete(waiting.key);
      this.requeueFromUnschedulable(waiting, now);
    }
    this.moveRequestCycle = this.cycle;
  }

  /**
   * A pod was bound or appeared bound: unschedulable pods whose required affinity terms match it may fit
   * now (anti-affinity only ever gets stricter with more pods).
   */
  assignedPodAdded(pod: Pod): void {
    const added = PodInfo.of(pod);
    this.moveAllToActiveOrBackoffQueue('AssignedPodAdd', (waiting) =>
      waiting.podInfo.requiredAffinityTerms.some((term) => affinityTermMatches(term, added)),
    );
  }

  /** An assigned pod changed; its labels may now satisfy someone's affinity. */
  assignedPodUpdated(pod: Pod): void {
    const updated = PodInfo.of(pod);
    this.moveAllToActiveOrBackoffQueue('AssignedPodUpdate', (waiting) =>
      waiting.podInfo.requiredAffinityTerms.some((term) => affinityTermMatches(term, updated)),
    );
  }

  private requeueFromUnschedulable(waiting: QueuedPodInfo, now: number): void {
    if (this.isBackingOff(waiting, now)) this.backoffQ.push(waiting);
    else this.activeQ.push(waiting);
  }

  // ---------------------------------------------------------------------------------------------------
  // Time

  /** Moves pods whose backoff ended to active, and long-waiting unschedulable pods out. */
  flush(): void {
    this.flushBackoffCompleted();
    this.flushUnschedulableLeftover();
  }

  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (
      let next = this.backoffQ.peek();
      next && !this.isBackingOff(next, now);
      next = this.backoffQ.peek()
    ) {
      this.backoffQ.pop();
      this.activeQ.push(next);
    }
  }

  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (
      let oldest = this.unschedulable.peek();
      oldest && now - oldest.timestamp >= this.maxStayMs;
      oldest = this.unschedulable.peek()
    ) {
      this.unschedulable.pop();
      this.requeueFromUnschedulable(oldest, now);
    }
  }

  /** When the next flush would move a pod (undefined: nothing is waiting on time). */
  nextWakeAt(): number | undefined {
    const backoff = this.backoffQ.peek();
    const oldest = this.unschedulable.peek();
    const times = [
      backoff ? this.backoffExpiry(backoff) : Infinity,
      oldest ? oldest.timestamp + this.maxStayMs : Infinity,
    ];
    const earliest = Math.min(...times);
    return Number.isFinite(earliest) ? earliest : undefined;
  }

  /** Every pending pod, for debugging and metrics. */
  pendingPods(): { active: Pod[]; backoff: Pod[]; unschedulable: Pod[] } {
    const pods = (list: QueuedPodInfo[]): Pod[] => list.map((p) => p.podInfo.pod);
    return {
      active: pods(this.activeQ.list()),
      backoff: pods(this.backoffQ.list()),
      unschedulable: pods([...this.unschedulable.list(), ...this.gated.values()]),
    };
  }
}
