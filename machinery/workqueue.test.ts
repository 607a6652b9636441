import { FakeClock } from './clock.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './workqueue.js';

const newQueue = (clock = new FakeClock(0)) =>
  new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });

/** Whether a promise has settled, without waiting for it. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> {
  const marker = Symbol('pending');
  const value = await Promise.race([
    promise,
    new Promise<typeof marker>((r) => setImmediate(() => r(marker))),
  ]);
  return value === marker ? { done: false } : { done: true, value: value as T };
}

describe('WorkQueue: the basic queue', () => {
  it('hands keys out in the order they were first added', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    q.add('c');
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
  });

  it('coalesces repeated adds of a key that is still queued', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(2);
    expect([await q.get(), await q.get()]).toEqual(['a', 'b']);
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = newQueue();
    const waiting = q.get();
    expect((await settled(waiting)).done).toBe(false);
    q.add('a');
    expect(await waiting).toBe('a');
  });

  it('never hands a key to a second worker while the first still holds it', async () => {
    const q = newQueue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    const second = q.get();
    expect((await settled(second)).done).toBe(false);
    q.done('a');
    expect(await second).toBe('a');
  });

  it('re-delivers a key added during processing once it is done, and only once', async () => {
    const q = newQueue();
    q.add('a');
    await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('does not re-deliver a key that was not added again during processing', async () => {
    const q = newQueue();
    q.add('a');
    await q.get();
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('lets other keys pass a key that is being processed', async () => {
    const q = newQueue();
    q.add('a');
    await q.get();
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('b');
  });

  it('keeps every key with one worker at a time and loses no add, under many racing workers', async () => {
    const q = newQueue();
    const keys = ['a', 'b', 'c', 'd'];
    const inFlight = new Set<string>();
    const addedSinceStart = new Map<string, number>();
    const lastAddAt = new Map<string, number>();
    const lastStartAt = new Map<string, number>();
    let step = 0;
    let violations = 0;
    const worker = async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (inFlight.has(key)) violations++;
        inFlight.add(key);
        lastStartAt.set(key, ++step);
        addedSinceStart.set(key, 0);
        for (let i = 0; i < (key.charCodeAt(0) % 3) + 1; i++) await Promise.resolve();
        inFlight.delete(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 5 }, worker);
    for (let i = 0; i < 400; i++) {
      const key = keys[(i * 7) % keys.length];
      q.add(key);
      lastAddAt.set(key, ++step);
      if (i % 3 === 0) await Promise.resolve();
    }
    await q.shutDownWithDrain();
    await Promise.all(workers);
    expect(violations).toBe(0);
    // Every key's last processing started after its last add: nothing was lost.
    for (const key of keys) expect(lastStartAt.get(key)!).toBeGreaterThan(lastAddAt.get(key)!);
  });
});

describe('WorkQueue: delayed adds', () => {
  it('adds a key once its delay has passed on the clock', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter('a', 100);
    expect(q.len()).toBe(0);
    await clock.advance(99);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('releases keys in the order of their ready times, not of the calls', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter('late', 300);
    q.addAfter('early', 100);
    q.addAfter('middle', 200);
    await clock.advance(300);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['early', 'middle', 'late']);
  });

  it('keeps the earlier time when a waiting key is added again', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter('a', 500);
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    await clock.advance(100);
    expect(q.len()).toBe(1);
    await q.get();
    q.done('a');
    await clock.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('adds at once for a zero or negative delay', () => {
    const q = newQueue();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
  });

  it('still dedups a delayed key against the same key already queued', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add('a');
    q.addAfter('a', 10);
    await clock.advance(10);
    expect(q.len()).toBe(1);
  });
});

describe('WorkQueue: rate limiting', () => {
  it('backs a failing key off exponentially until it is forgotten', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    const readyAfter = async () => {
      const start = clock.now();
      q.addRateLimited('a');
      while (q.len() === 0) await clock.advance(1);
      const key = (await q.get())!;
      q.done(key);
      return clock.now() - start;
    };
    expect([await readyAfter(), await readyAfter(), await readyAfter(), await readyAfter()]).toEqual([
      5, 10, 20, 40,
    ]);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(await readyAfter()).toBe(5);
  });

  it('uses the default controller rate limiter when given none', async () => {
    const clock = new FakeClock(0);
    const q = new WorkQueue<string>({ clock });
    q.addRateLimited('a');
    await clock.advance(4);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
  });
});

describe('WorkQueue: shutdown', () => {
  it('shutDown wakes waiting workers with undefined and ignores later adds', async () => {
    const q = newQueue();
    const waiting = [q.get(), q.get()];
    q.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    q.add('a');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
    expect(q.isShuttingDown()).toBe(true);
  });

  it('shutDown drops queued and delayed keys but lets held keys be done', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add('held');
    q.add('queued');
    q.addAfter('delayed', 10);
    expect(await q.get()).toBe('held');
    q.add('held');
    q.shutDown();
    expect(clock.pendingTimers).toBe(0);
    q.done('held');
    expect(await q.get()).toBeUndefined();
  });

  it('shutDownWithDrain hands out what is queued and resolves once everything is done', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add('a');
    q.add('b');
    q.addAfter('delayed', 10);
    expect(await q.get()).toBe('a');
    q.add('a');
    const drained = q.shutDownWithDrain();
    q.add('c');
    expect(await q.get()).toBe('b');
    expect((await settled(drained)).done).toBe(false);
    q.done('b');
    q.done('a');
    // 'a' was added before the shutdown while held, so it is processed once more.
    expect(await q.get()).toBe('a');
    expect((await settled(drained)).done).toBe(false);
    q.done('a');
    await drained;
    expect(await q.get()).toBeUndefined();
    await clock.advance(100);
    expect(q.len()).toBe(0);
  });

  it('shutDownWithDrain resolves at once on an idle queue and releases idle workers', async () => {
    const q = newQueue();
    const idle = q.get();
    await q.shutDownWithDrain();
    expect(await idle).toBeUndefined();
  });
});
