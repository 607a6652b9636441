/**
 * Rate limiters for the work queue, as in client-go's default_rate_limiters.go.
 *
 * Contract:
 * - `when(item)` is called once per retry and returns how long to wait (ms) before that retry; it
 *   counts as a retry, so call it only when the item really goes back on the queue.
 * - `forget(item)` ends the item's failure history (call it after a successful sync, or the item keeps
 *   its long backoff forever); `numRequeues(item)` reports that history.
 * - Items are compared as Map keys (`===`, so strings for object keys).
 * Limiters compose with `MaxOfRateLimiter`; `defaultControllerRateLimiter()` is upstream's default.
 */
import { realClock } from './clock.js';
import type { Clock } from './clock.js';

export interface RateLimiter<T> {
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** baseMs · 2^failures per item, capped at maxMs. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  when(item: T): number {
    const exponent = this.failures.get(item) ?? 0;
    this.failures.set(item, exponent + 1);
    const backoff = this.baseMs * 2 ** exponent;
    // 2 ** exponent reaches Infinity after ~1000 failures; the cap covers that too.
    return Number.isFinite(backoff) && backoff < this.maxMs ? backoff : this.maxMs;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * One token bucket shared by all items: `burst` retries at once, then `qps` per second. A retry that
 * finds the bucket empty reserves a future token and waits for it, so a storm of failures is spread
 * out rather than dropped. It tracks no per-item history.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Takes a token if one is available now, without reserving a future one. */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
  }
}

/** The longest wait of all its limiters; every limiter sees every call. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    // Every limiter must count the retry, so no short-circuiting.
    return this.limiters.map((l) => l.when(item)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiters.map((l) => l.numRequeues(item)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** Upstream's default: per item 5 ms doubling up to 1000 s, overall 10 retries/s with a burst of 100. */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(5, 1000 * 1000),
    new BucketRateLimiter<T>(10, 100, clock),
  );
}
