import { FakeClock, realClock } from './clock.js';

describe('FakeClock', () => {
  it('does not move until advanced', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('a'), 10);
    expect(clock.now()).toBe(1000);
    await clock.advance(9);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1009);
    await clock.advance(1);
    expect(fired).toEqual(['a']);
  });

  it('fires due timers in due-time order, ties in the order they were set, each at its own time', async () => {
    const clock = new FakeClock(0);
    const fired: [string, number][] = [];
    const record = (name: string) => () => fired.push([name, clock.now()]);
    clock.setTimeout(record('late'), 30);
    clock.setTimeout(record('first'), 10);
    clock.setTimeout(record('second'), 10);
    clock.setTimeout(record('never'), 31);
    await clock.advance(30);
    expect(fired).toEqual([
      ['first', 10],
      ['second', 10],
      ['late', 30],
    ]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('fires timers set while advancing when they fall inside the window', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(clock.now());
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('lets an async loop with sleeps make every turn that fits in the window', async () => {
    const clock = new FakeClock(0);
    const turns: number[] = [];
    const controller = new AbortController();
    const loop = (async () => {
      while (!controller.signal.aborted) {
        await Promise.resolve();
        turns.push(clock.now());
        await clock.sleep(100, controller.signal);
      }
    })();
    await clock.advance(350);
    expect(turns).toEqual([0, 100, 200, 300]);
    controller.abort();
    await loop;
  });

  it('does not fire cleared timers', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const handle = clock.setTimeout(() => calls++, 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    await clock.advance(10);
    expect(calls).toBe(0);
  });

  it('ends a sleep early when its signal aborts, without rejecting', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    await expect(clock.sleep(1000, controller.signal)).resolves.toBeUndefined();
  });
});

describe('realClock', () => {
  it('sleeps for real and can be woken by its signal', async () => {
    const started = realClock.now();
    await realClock.sleep(20);
    expect(realClock.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const long = realClock.sleep(60_000, controller.signal);
    controller.abort();
    await long;
  });
});
