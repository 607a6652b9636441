/**
 * WorkQueue: client-go's rate-limiting work queue (queue.go + delaying_queue.go +
 * rate_limiting_queue.go) in one class, on an injected Clock.
 *
 * Contract, for any number of concurrent workers that each loop `get` → process → `done`:
 * - A key is never handed to two workers at once: between `get` returning it and `done(it)` the key is
 *   in `processing`, and `get` only hands out keys that are not.
 * - No add is lost: an `add` while the key is being processed marks it dirty, and `done` puts it back on
 *   the queue, so the key is processed again after the add.
 * - Adds coalesce: a key added many times before a worker takes it is processed once.
 * - Keys come out in the order they were first added (FIFO among keys that are not being processed).
 * - `addAfter(key, ms)` adds the key once `ms` have passed on the clock; a key waiting twice keeps the
 *   earlier time. `addRateLimited(key)` is `addAfter(key, rateLimiter.when(key))`; call `forget(key)`
 *   after a successful sync or the key keeps its growing backoff.
 * - `shutDown()` stops at once: adds are ignored, queued and waiting keys are dropped, every pending and
 *   future `get` resolves `undefined`. Keys already handed out may still be `done`. (client-go's
 *   ShutDown keeps handing out queued keys; here a stopping controller stops now, and being
 *   level-triggered it finds that work again when it next starts.)
 * - `shutDownWithDrain()` stops accepting adds but keeps handing out what is already queued (including
 *   keys re-queued by `done` because they were added before the shutdown), and resolves once nothing is
 *   queued or being processed. Keys waiting for `addAfter` are dropped.
 * Not guaranteed: which waiting worker gets the next key; that `len()` means anything a moment later.
 */
import { realClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions<T> {
  clock?: Clock;
  /** Used by addRateLimited/forget/numRequeues; defaults to defaultControllerRateLimiter(clock). */
  rateLimiter?: RateLimiter<T>;
}

interface Waiting<T> {
  item: T;
  readyAt: number;
  seq: number;
}

export class WorkQueue<T extends NonNullable<unknown> = string> {
  // Invariant: every key in `queue` is in `dirty` and not in `processing`, and appears in `queue` once.
  // A key in both `dirty` and `processing` waits for `done` to be queued again.
  private queue: T[] = [];
  private head = 0;
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly getters: ((item: T | undefined) => void)[] = [];
  private stopping = false;
  private drained: (() => void)[] = [];

  // Delayed adds: a min-heap on readyAt with lazy deletion; `readyAt` holds each key's live entry.
  private waiting: Waiting<T>[] = [];
  private readonly readyAt = new Map<T, number>();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<T>;

  constructor(options: WorkQueueOptions<T> = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  add(item: T): void {
    if (this.stopping || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.dispatch();
  }

  /**
   * The next key to process, once there is one; `undefined` means the queue is shut down and the
   * worker should return. Every key received must be passed to `done`.
   */
  get(): Promise<T | undefined> {
    if (this.length > 0) return Promise.resolve(this.take());
    if (this.stopping) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks a key as processed; if it was added meanwhile, it goes back on the queue. */
  done(item: T): void {
    this.processing.delete(item);
    // After shutDown `dirty` is empty, so only drain re-queues here.
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.dispatch();
    }
    this.checkDrained();
  }

  /**
   * How many keys are queued, for information only: it changes under you, so never gate `add` or
   * `get` on it. Keys being processed or waiting for `addAfter` are not counted.
   */
  len(): number {
    return this.length;
  }

  addAfter(item: T, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const current = this.readyAt.get(item);
    // Only ever move a waiting key earlier, as upstream does: the earlier request is the binding one.
    if (current !== undefined && current <= readyAt) return;
    this.readyAt.set(item, readyAt);
    heapPush(this.waiting, { item, readyAt, seq: this.seq++ });
    this.schedule();
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  isShuttingDown(): boolean {
    return this.stopping;
  }

  shutDown(): void {
    this.stopping = true;
    this.queue = [];
    this.head = 0;
    this.dirty.clear();
    this.dropWaiting();
    this.releaseGetters();
    this.checkDrained();
  }

  shutDownWithDrain(): Promise<void> {
    const done = new Promise<void>((resolve) => this.drained.push(resolve));
    if (!this.stopping) {
      this.stopping = true;
      this.dropWaiting();
    }
    if (this.length === 0) this.releaseGetters();
    this.checkDrained();
    return done;
  }

  private get length(): number {
    return this.queue.length - this.head;
  }

  private take(): T {
    const item = this.queue[this.head++];
    // Compact now and then so a long-lived queue does not keep every key it ever held.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(item);
    this.processing.add(item);
    return item;
  }

  private dispatch(): void {
    while (this.getters.length > 0 && this.length > 0) {
      const getter = this.getters.shift()!;
      getter(this.take());
    }
    if (this.stopping && this.length === 0) this.releaseGetters();
  }

  private releaseGetters(): void {
    for (const getter of this.getters.splice(0)) getter(undefined);
  }

  private checkDrained(): void {
    if (!this.stopping || this.length > 0 || this.processing.size > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }

  private dropWaiting(): void {
    this.waiting = [];
    this.readyAt.clear();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Keeps exactly one timer, set for the earliest waiting key. */
  private schedule(): void {
    const next = this.waiting[0];
    if (!next) return;
    if (this.timer !== undefined && this.timerAt <= next.readyAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = next.readyAt;
    this.timer = this.clock.setTimeout(() => this.onTimer(), next.readyAt - this.clock.now());
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    while (this.waiting.length > 0 && this.waiting[0].readyAt <= now) {
      const entry = heapPop(this.waiting)!;
      // A key moved earlier leaves its old entry behind; only the live one counts.
      if (this.readyAt.get(entry.item) !== entry.readyAt) continue;
      this.readyAt.delete(entry.item);
      this.add(entry.item);
    }
    this.schedule();
  }
}

function before<T>(a: Waiting<T>, b: Waiting<T>): boolean {
  return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
}

function heapPush<T>(heap: Waiting<T>[], entry: Waiting<T>): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}

function heapPop<T>(heap: Waiting<T>[]): Waiting<T> | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
    if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
    if (smallest === i) return top;
    [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
    i = smallest;
  }
}
