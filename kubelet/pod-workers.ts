/**
 * PodWorkers: one serial worker per pod, as upstream's podWorkers.
 *
 * Contract:
 * - `update(uid, work)` asks for a sync of that pod. Syncs of one pod never overlap; syncs of
 *   different pods run concurrently.
 * - Newest update wins: updates that arrive while a sync runs are not queued one by one; only the
 *   last one is kept, and it runs once the current sync is done. An update never gets lost.
 * - `syncAfter(uid, ms)` asks for a sync later (a backoff that expires, a periodic resync), with the
 *   pod's latest work; an earlier request wins over a later one, and any update in between runs it
 *   sooner. A sync that throws is retried the same way, after a delay that doubles from
 *   `retryInitialMs` to `retryMaxMs` and starts over after a sync that succeeds.
 * - `forget(uid)` drops a pod's timers and remembered work once nothing more is to be done for it; a
 *   sync already running finishes.
 * - `stop()` cancels every timer and refuses new work; `idle()` resolves once no sync is running.
 */
import { realClock } from '../machinery/clock.js';
import type { Clock, TimerHandle } from '../machinery/clock.js';

export interface PodWorkersOptions<T> {
  sync(uid: string, work: T): Promise<void>;
  clock?: Clock;
  retryInitialMs?: number;
  retryMaxMs?: number;
  log?: (line: string) => void;
}

interface Worker<T> {
  /** The newest work, handed to the next sync. */
  latest: T;
  running: boolean;
  /** An update arrived while running: sync again once done. */
  pending: boolean;
  timer?: TimerHandle;
  timerAt?: number;
  failures: number;
  /** `forget` was called while a sync ran: drop the worker once it ends, unless updated meanwhile. */
  forgotten: boolean;
}

export class PodWorkers<T> {
  private readonly workers = new Map<string, Worker<T>>();
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private stopped = false;
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: PodWorkersOptions<T>) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.retryInitialMs = options.retryInitialMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
  }

  update(uid: string, work: T): void {
    if (this.stopped) return;
    const worker = this.workers.get(uid);
    if (!worker) {
      this.workers.set(uid, { latest: work, running: false, pending: false, failures: 0, forgotten: false });
      this.start(uid);
      return;
    }
    worker.latest = work;
    worker.forgotten = false;
    if (worker.running) worker.pending = true;
    else this.start(uid);
  }

  syncAfter(uid: string, ms: number): void {
    const worker = this.workers.get(uid);
    if (!worker || worker.forgotten || this.stopped) return;
    const at = this.clock.now() + Math.max(0, ms);
    if (worker.timer !== undefined && worker.timerAt! <= at) return;
    this.clearTimer(worker);
    worker.timerAt = at;
    worker.timer = this.clock.setTimeout(() => {
      worker.timer = undefined;
      worker.timerAt = undefined;
      if (this.workers.get(uid) !== worker) return;
      if (worker.running) worker.pending = true;
      else this.start(uid);
    }, ms);
  }

  forget(uid: string): void {
    const worker = this.workers.get(uid);
    if (!worker) return;
    this.clearTimer(worker);
    if (worker.running) worker.forgotten = true;
    else this.workers.delete(uid);
  }

  /** Pods that have a worker: being synced, waiting for one, or remembered until forgotten. */
  known(): string[] {
    return [...this.workers.keys()];
  }

  isBusy(uid: string): boolean {
    return this.workers.get(uid)?.running === true;
  }

  stop(): void {
    this.stopped = true;
    for (const worker of this.workers.values()) this.clearTimer(worker);
  }

  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(uid: string): void {
    const worker = this.workers.get(uid)!;
    worker.running = true;
    worker.pending = false;
    this.clearTimer(worker);
    this.running++;
    void this.run(uid, worker);
  }

  private async run(uid: string, worker: Worker<T>): Promise<void> {
    for (;;) {
      try {
        await this.options.sync(uid, worker.latest);
        worker.failures = 0;
      } catch (err) {
        const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** worker.failures);
        worker.failures++;
        this.log(`pod workers: sync of pod ${uid} failed, retrying in ${delay} ms: ${describe(err)}`);
        this.syncAfter(uid, delay);
      }
      if (!worker.pending || this.stopped) break;
      worker.pending = false;
    }
    worker.running = false;
    this.running--;
    if (worker.forgotten && this.workers.get(uid) === worker) this.workers.delete(uid);
    if (this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private clearTimer(worker: Worker<T>): void {
    if (worker.timer !== undefined) this.clock.clearTimeout(worker.timer);
    worker.timer = undefined;
    worker.timerAt = undefined;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
