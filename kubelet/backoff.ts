/**
 * The kubelet's restart and pull backoff, as upstream's flowcontrol.Backoff with the kubelet's
 * settings: 10 s, doubling per failure, capped at 5 min, no jitter.
 *
 * Contract:
 * - Entries are keyed; `next(key, eventTime)` records a failure. An entry whose last update is more
 *   than twice the cap (10 min) older than the new event starts over at the initial delay: a
 *   container that ran for 10 minutes before crashing again is no longer crash-looping.
 * - `isInBackOffSince(key, t)`: still waiting, counting from `t` (for containers: when the previous
 *   run finished). `isInBackOffSinceUpdate(key, now)`: counting from the last recorded failure (for
 *   image pulls, which have no finish time).
 * - `gc()` forgets entries idle for twice the cap, so deleted pods do not accumulate.
 */
import type { Clock } from '../machinery/clock.js';
import type { Pod } from './api-types.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  /** The current delay for the key; 0 when it has none. */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    const backoffMs =
      !entry || this.hasExpired(eventTime, entry.lastUpdate)
        ? this.initialMs
        : Math.min(entry.backoffMs * 2, this.maxMs);
    this.entries.set(key, { backoffMs, lastUpdate: this.clock.now() });
  }

  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(eventTime, entry.lastUpdate)) return false;
    return this.clock.now() - eventTime < entry.backoffMs;
  }

  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(eventTime, entry.lastUpdate)) return false;
    return eventTime - entry.lastUpdate < entry.backoffMs;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  gc(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries)
      if (this.hasExpired(now, entry.lastUpdate)) this.entries.delete(key);
  }

  private hasExpired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}

/** time.Duration's String(): `10s`, `1m20s`, `5m0s`. */
export function formatGoDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** format.Pod: `name_namespace(uid)`, how kubelet messages name a pod. */
export function formatPod(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** One entry per container definition: a changed image starts its backoff afresh. */
export function containerBackoffKey(pod: Pod, containerName: string, hash: string): string {
  const m = pod.metadata ?? {};
  return `${m.name}_${m.namespace}_${m.uid}_${containerName}_${hash}`;
}

export function imagePullBackoffKey(podUid: string, image: string): string {
  return `${podUid}_${image}`;
}

export type CrashLoopDecision =
  | { inBackOff: false }
  | {
      inBackOff: true;
      /** The container's waiting message under reason CrashLoopBackOff. */
      message: string;
      /** The text of the BackOff event. */
      eventMessage: string;
    };

/**
 * Upstream's doBackOff, run just before (re)starting a container. While the newest exited run of the
 * container is within its backoff window, the start is skipped with CrashLoopBackOff; otherwise the
 * failure is recorded and the start goes ahead, so the next crash waits twice as long.
 */
export function checkCrashLoopBackOff(
  backoff: Backoff,
  pod: Pod,
  containerName: string,
  hash: string,
  status: RuntimePodStatus,
): CrashLoopDecision {
  const previous = status.containers.find((c) => c.name === containerName && c.state === 'exited');
  if (!previous) return { inBackOff: false };
  const finishedAt = previous.finishedAt ?? previous.createdAt;
  const key = containerBackoffKey(pod, containerName, hash);
  if (backoff.isInBackOffSince(key, finishedAt)) {
    return {
      inBackOff: true,
      message: `back-off ${formatGoDuration(backoff.get(key))} restarting failed container=${containerName} pod=${formatPod(pod)}`,
      eventMessage: `Back-off restarting failed container ${containerName} in pod ${formatPod(pod)}`,
    };
  }
  backoff.next(key, finishedAt);
  return { inBackOff: false };
}
