/**
 * Clock: the one source of time for everything in machinery/ and the components built on it.
 *
 * Contract:
 * - `now()` is wall-clock milliseconds since the epoch (what `Date.now()` returns), so it can be written
 *   into timestamps; it is not guaranteed to be monotonic on a real clock.
 * - `setTimeout(fn, ms)` runs `fn` once, no earlier than `ms` after the call (negative means 0; on the
 *   real clock waits beyond ~24.8 days are cut to that); `clearTimeout(handle)` cancels it and may be
 *   called again or after it fired.
 * - `sleep(ms, signal)` resolves after `ms`, or as soon as `signal` aborts. It never rejects: loops
 *   check `signal.aborted` after waking, which keeps them free of try/catch around every wait.
 * - `FakeClock` only moves when a test calls `advance`, so tests never sleep for real; see its comment.
 */

declare const timerBrand: unique symbol;

/** An opaque timer handle; only the clock that returned it can clear it. */
export interface TimerHandle {
  readonly [timerBrand]: true;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node fires longer timeouts after 1 ms; capping them instead makes a very long wait wake early. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(MAX_TIMEOUT_MS, Math.max(0, ms))) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  sleep(ms, signal) {
    return sleepOn(realClock, ms, signal);
  },
};

interface FakeTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/**
 * A clock for tests. Time stands still until `advance(ms)`, which fires every timer that falls due
 * in that window in due-time order (ties in the order they were set), moving `now()` to each timer's
 * due time before firing it. Between two timers it lets pending promise callbacks and immediates run,
 * so a loop like `while (...) { await work(); await clock.sleep(d) }` makes as many turns as fit in the
 * window, and timers set while advancing fire too when they fall inside it.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2024, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, dueAt: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = handle as unknown as number;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** How many timers are waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers; await it. */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.dueAt;
      next.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.dueAt > limit) continue;
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    }
    return best;
  }
}

/** Lets every queued promise callback run, including chains of them, before returning. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
