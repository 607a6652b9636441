import { FakeClock } from './clock.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.js';
import { runWorkers } from './run-workers.js';
import { WorkQueue } from './workqueue.js';

function setup() {
  const clock = new FakeClock(0);
  const queue = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
  const controller = new AbortController();
  const logs: string[] = [];
  return { clock, queue, controller, logs, log: (line: string) => logs.push(line) };
}

describe('runWorkers', () => {
  it('syncs every key and forgets its failures once a sync succeeds', async () => {
    const { clock, queue, controller, log, logs } = setup();
    const attempts = new Map<string, number>();
    const running = runWorkers(
      queue,
      2,
      async (key) => {
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (key === 'flaky' && n < 3) throw new Error(`attempt ${n} failed`);
      },
      { signal: controller.signal, name: 'test-controller', log },
    );
    queue.add('ok');
    queue.add('flaky');
    await clock.advance(100);
    expect(attempts).toEqual(
      new Map([
        ['ok', 1],
        ['flaky', 3],
      ]),
    );
    expect(queue.numRequeues('flaky')).toBe(0);
    expect(logs).toEqual([
      'test-controller: error syncing flaky, requeuing: attempt 1 failed',
      'test-controller: error syncing flaky, requeuing: attempt 2 failed',
    ]);
    controller.abort();
    await running;
  });

  it('retries a failing key with growing delays', async () => {
    const { clock, queue, controller, log } = setup();
    const times: number[] = [];
    const running = runWorkers(
      queue,
      1,
      async () => {
        times.push(clock.now());
        throw new Error('nope');
      },
      { signal: controller.signal, log },
    );
    queue.add('k');
    await clock.advance(40);
    expect(times).toEqual([0, 5, 15, 35]);
    controller.abort();
    await running;
  });

  it('never runs two syncs of the same key at once', async () => {
    const { clock, queue, controller, log } = setup();
    const active = new Set<string>();
    let overlaps = 0;
    let syncs = 0;
    const running = runWorkers(
      queue,
      4,
      async (key) => {
        if (active.has(key)) overlaps++;
        active.add(key);
        syncs++;
        await clock.sleep(10);
        active.delete(key);
      },
      { signal: controller.signal, log },
    );
    for (let i = 0; i < 20; i++) {
      queue.add('same');
      queue.add(`other-${i % 3}`);
      await clock.advance(3);
    }
    await clock.advance(100);
    expect(overlaps).toBe(0);
    expect(syncs).toBeGreaterThan(4);
    controller.abort();
    await running;
  });

  it('stops when the signal aborts, after the running syncs finish', async () => {
    const { clock, queue, controller, log } = setup();
    let finished = 0;
    const running = runWorkers(
      queue,
      2,
      async () => {
        await clock.sleep(50);
        finished++;
      },
      { signal: controller.signal, log },
    );
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await clock.advance(10);
    controller.abort();
    let done = false;
    void running.then(() => (done = true));
    await clock.advance(10);
    expect(done).toBe(false);
    await clock.advance(50);
    expect(done).toBe(true);
    expect(finished).toBe(2);
    expect(queue.isShuttingDown()).toBe(true);
  });
});
