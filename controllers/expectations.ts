/**
 * Expectations: what a controller is still waiting to see in its informer cache after its own creates
 * and deletes, so it does not act twice on a stale cache (upstream's UIDTrackingControllerExpectations).
 *
 * Example, for one ReplicaSet key:
 *   sync 1 creates 3 pods     → expects 3 adds
 *   the informer shows 2 pods → expects 1 add: not satisfied, sync 2 leaves the pod count alone
 *   the third pod shows up    → expects 0 adds: satisfied, sync 3 counts pods again
 *
 * Contract:
 * - A key is satisfied when it has no record (a controller just started, or the object is new),
 *   when all expected adds and deletes have been observed, or when its record is older than the TTL
 *   (5 minutes, as upstream): a lost watch event must not stall a controller for ever.
 * - `expectCreations`/`expectDeletions` replace the key's record; observations can only lower it.
 * - Deletions are tracked by pod key: a pod observed going away twice (marked for deletion, then
 *   removed) lowers the count once, and a pod the controller did not delete does not lower it at all.
 */
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';

/** Upstream's ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  setAt: number;
  /** Keys of the objects whose deletion is expected. */
  deleting: Set<string>;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor({ clock = realClock, ttlMs = EXPECTATIONS_TTL_MS }: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  satisfied(key: string): boolean {
    const record = this.records.get(key);
    if (!record) return true;
    if (record.add <= 0 && record.del <= 0) return true;
    return this.clock.now() - record.setAt > this.ttlMs;
  }

  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, setAt: this.clock.now(), deleting: new Set() });
  }

  expectDeletions(key: string, objectKeys: readonly string[]): void {
    this.records.set(key, {
      add: 0,
      del: objectKeys.length,
      setAt: this.clock.now(),
      deleting: new Set(objectKeys),
    });
  }

  creationObserved(key: string): void {
    const record = this.records.get(key);
    if (record) record.add--;
  }

  deletionObserved(key: string, objectKey: string): void {
    const record = this.records.get(key);
    if (record?.deleting.delete(objectKey)) record.del--;
  }

  /** Forgets the key, e.g. when its object is deleted. */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** Outstanding adds and deletes, for logs and tests. */
  pending(key: string): { add: number; del: number } | undefined {
    const record = this.records.get(key);
    return record && { add: record.add, del: record.del };
  }
}
