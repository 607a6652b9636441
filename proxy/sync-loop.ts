/**
 * When the proxy syncs: a bounded-frequency runner in the spirit of kube-proxy's, driven by change
 * notifications and a clock.
 *
 * Contract:
 * - Nothing runs before the first `request()`: the caller asks once its caches are complete, so a
 *   first sync never installs a partial view of the cluster.
 * - Changes are coalesced: any number of `request()` calls while a sync runs or waits lead to one
 *   more sync, which reads the state as it is when it starts.
 * - Two sync starts are at least `minIntervalMs` apart; a change after a long quiet spell syncs at
 *   once.
 * - Every `fullSyncPeriodMs` after the last full sync (and after any failure) the next sync is asked
 *   to be full; with no changes the periodic full sync still runs on time.
 * - A sync that rejects is logged and retried after a backoff that doubles from `retryInitialMs` up
 *   to `retryMaxMs` (never sooner than the minimum interval) and resets after a success; the retry
 *   is full. Changes arriving meanwhile wait for the retry rather than hammering a failing backend.
 * - Syncs never overlap. `run` resolves once `signal` aborts and the sync in progress (if any) ended.
 */
import { realClock } from '../machinery/clock.js';
import type { Clock, TimerHandle } from '../machinery/clock.js';

export interface SyncOutcome {
  /** Whether the sync rewrote everything; the proxier decides (first sync, after failures). */
  readonly full: boolean;
}

export interface SyncLoopOptions {
  /** Applies the current state; `full` asks for a full resync. Rejecting counts as a failure. */
  sync(full: boolean): Promise<SyncOutcome>;
  minIntervalMs: number;
  fullSyncPeriodMs: number;
  /** First retry delay after a failure; default the larger of 1 s and the minimum interval. */
  retryInitialMs?: number;
  /** Longest retry delay; default the full sync period. */
  retryMaxMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export class SyncLoop {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private pending = false;
  private fullPending = false;
  private requestedOnce = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SyncLoopOptions) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.retryInitialMs = options.retryInitialMs ?? Math.max(1000, options.minIntervalMs);
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? options.fullSyncPeriodMs);
  }

  /** Something changed: sync as soon as the minimum interval allows. */
  request(): void {
    this.pending = true;
    this.requestedOnce = true;
    this.wake?.();
  }

  /** Ask for a full sync (as soon as the minimum interval allows). */
  requestFull(): void {
    this.fullPending = true;
    this.request();
  }

  async run(signal: AbortSignal): Promise<void> {
    let lastStart = Number.NEGATIVE_INFINITY;
    let lastFull: number | undefined;
    let retryAt = Number.NEGATIVE_INFINITY;
    let failures = 0;
    while (!signal.aborted) {
      const now = this.clock.now();
      if (lastFull !== undefined && now >= lastFull + this.options.fullSyncPeriodMs) {
        this.pending = true;
        this.fullPending = true;
      }
      if (!this.pending || !this.requestedOnce) {
        const periodicAt = lastFull === undefined ? Infinity : lastFull + this.options.fullSyncPeriodMs;
        await this.waitFor(periodicAt - now, signal);
        continue;
      }
      const dueAt = Math.max(lastStart + this.options.minIntervalMs, retryAt);
      if (now < dueAt) {
        await this.waitFor(dueAt - now, signal);
        continue;
      }
      const askFull = this.fullPending;
      this.pending = false;
      this.fullPending = false;
      lastStart = now;
      try {
        const outcome = await this.options.sync(askFull);
        failures = 0;
        retryAt = Number.NEGATIVE_INFINITY;
        if (outcome.full || askFull) lastFull = this.clock.now();
      } catch (err) {
        failures++;
        const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** (failures - 1));
        retryAt = this.clock.now() + delay;
        this.pending = true;
        this.fullPending = true;
        this.log(
          `proxy sync failed (attempt ${failures}), retrying in ${delay} ms: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  /** Sleeps up to `ms` (forever when infinite), waking early on a request or on abort. */
  private waitFor(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        this.wake = undefined;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
      if (Number.isFinite(ms)) timer = this.clock.setTimeout(done, Math.max(0, ms));
    });
  }
}
