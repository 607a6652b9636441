import { FakeClock } from '../machinery/clock.js';
import { SyncLoop } from './sync-loop.js';

interface Call {
  readonly at: number;
  readonly full: boolean;
}

function harness(options: { minIntervalMs?: number; fullSyncPeriodMs?: number; syncMs?: number } = {}) {
  const clock = new FakeClock(0);
  const calls: Call[] = [];
  const logs: string[] = [];
  const failures: string[] = [];
  const loop = new SyncLoop({
    clock,
    minIntervalMs: options.minIntervalMs ?? 1000,
    fullSyncPeriodMs: options.fullSyncPeriodMs ?? 30_000,
    log: (line) => logs.push(line),
    sync: async (full) => {
      calls.push({ at: clock.now(), full });
      if (options.syncMs) await clock.sleep(options.syncMs);
      const failure = failures.shift();
      if (failure) throw new Error(failure);
      return { full: full || calls.length === 1 };
    },
  });
  const controller = new AbortController();
  const done = loop.run(controller.signal);
  return {
    clock,
    calls,
    logs,
    failures,
    loop,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

describe('SyncLoop', () => {
  it('does nothing before the first request, then syncs at once', async () => {
    const h = harness();
    await h.clock.advance(120_000);
    expect(h.calls).toEqual([]);
    h.loop.request();
    await h.clock.advance(0);
    expect(h.calls).toEqual([{ at: 120_000, full: false }]);
    await h.stop();
  });

  it('coalesces a burst of changes into one sync per minimum interval', async () => {
    const h = harness({ minIntervalMs: 1000 });
    h.loop.request();
    await h.clock.advance(0);
    for (let i = 0; i < 10; i++) {
      h.loop.request();
      await h.clock.advance(50);
    }
    await h.clock.advance(2000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 1000]);
    await h.stop();
  });

  it('syncs a change after a quiet spell immediately', async () => {
    const h = harness({ minIntervalMs: 1000 });
    h.loop.request();
    await h.clock.advance(5000);
    h.loop.request();
    await h.clock.advance(0);
    expect(h.calls.map((c) => c.at)).toEqual([0, 5000]);
    await h.stop();
  });

  it('runs a full sync every period even without changes', async () => {
    const h = harness({ fullSyncPeriodMs: 30_000 });
    h.loop.request();
    await h.clock.advance(95_000);
    expect(h.calls).toEqual([
      { at: 0, full: false },
      { at: 30_000, full: true },
      { at: 60_000, full: true },
      { at: 90_000, full: true },
    ]);
    await h.stop();
  });

  it('counts the period from the last full sync, not from partial ones', async () => {
    const h = harness({ fullSyncPeriodMs: 30_000 });
    h.loop.request();
    await h.clock.advance(10_000);
    h.loop.request();
    await h.clock.advance(25_000);
    expect(h.calls).toEqual([
      { at: 0, full: false },
      { at: 10_000, full: false },
      { at: 30_000, full: true },
    ]);
    await h.stop();
  });

  it('retries a failed sync with a doubling backoff, full, and resets after success', async () => {
    const h = harness({ minIntervalMs: 100 });
    h.failures.push('restore failed', 'restore failed', 'restore failed');
    h.loop.request();
    await h.clock.advance(20_000);
    expect(h.calls.slice(0, 5)).toEqual([
      { at: 0, full: false },
      { at: 1000, full: true },
      { at: 3000, full: true },
      { at: 7000, full: true },
    ]);
    expect(h.logs).toHaveLength(3);
    expect(h.logs[0]).toMatch(/retrying in 1000 ms: restore failed/);
    h.loop.request();
    await h.clock.advance(0);
    expect(h.calls.at(-1)).toEqual({ at: 20_000, full: false });
    await h.stop();
  });

  it('never starts a sync while one runs', async () => {
    const h = harness({ minIntervalMs: 0, syncMs: 500 });
    h.loop.request();
    await h.clock.advance(100);
    h.loop.request();
    h.loop.request();
    await h.clock.advance(1000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 500]);
    await h.stop();
  });

  it('honours requestFull', async () => {
    const h = harness();
    h.loop.request();
    await h.clock.advance(2000);
    h.loop.requestFull();
    await h.clock.advance(0);
    expect(h.calls.at(-1)).toEqual({ at: 2000, full: true });
    await h.stop();
  });

  it('stops when aborted', async () => {
    const h = harness();
    h.loop.request();
    await h.clock.advance(0);
    await h.stop();
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(1);
  });
});
