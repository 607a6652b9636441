import { FakeClock } from '../machinery/clock.js';
import { PodWorkers } from './pod-workers.js';

/** A sync whose calls stay open until the test releases them. */
function gatedSync() {
  const calls: { uid: string; work: string; release: (err?: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const sync = (uid: string, work: string) =>
    new Promise<void>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      calls.push({
        uid,
        work,
        release: (err) => {
          running--;
          if (err) reject(err);
          else resolve();
        },
      });
    });
  return { calls, sync, maxRunning: () => maxRunning };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('PodWorkers', () => {
  it('never runs two syncs of one pod at once, and runs different pods concurrently', async () => {
    const gate = gatedSync();
    const workers = new PodWorkers<string>({ sync: gate.sync, log: () => undefined });
    workers.update('a', 'a1');
    workers.update('a', 'a2');
    workers.update('b', 'b1');
    await settle();
    expect(gate.calls.map((c) => c.work)).toEqual(['a1', 'b1']);
    gate.calls[0].release();
    await settle();
    expect(gate.calls.map((c) => c.work)).toEqual(['a1', 'b1', 'a2']);
    expect(gate.maxRunning()).toBe(2);
  });

  it('keeps only the newest update that arrived while a sync ran', async () => {
    const gate = gatedSync();
    const workers = new PodWorkers<string>({ sync: gate.sync, log: () => undefined });
    workers.update('a', 'v1');
    await settle();
    for (const v of ['v2', 'v3', 'v4']) workers.update('a', v);
    gate.calls[0].release();
    await settle();
    expect(gate.calls.map((c) => c.work)).toEqual(['v1', 'v4']);
    gate.calls[1].release();
    await settle();
    expect(gate.calls).toHaveLength(2);
    await workers.idle();
  });

  it('retries a failed sync after a doubling delay, and starts over after a success', async () => {
    const clock = new FakeClock();
    const gate = gatedSync();
    const workers = new PodWorkers<string>({
      sync: gate.sync,
      clock,
      retryInitialMs: 100,
      log: () => undefined,
    });
    workers.update('a', 'v1');
    await settle();
    gate.calls[0].release(new Error('runtime down'));
    await clock.advance(99);
    expect(gate.calls).toHaveLength(1);
    await clock.advance(1);
    expect(gate.calls).toHaveLength(2);
    gate.calls[1].release(new Error('still down'));
    await clock.advance(199);
    expect(gate.calls).toHaveLength(2);
    await clock.advance(1);
    expect(gate.calls).toHaveLength(3);
    gate.calls[2].release();
    await clock.advance(10_000);
    expect(gate.calls).toHaveLength(3);
  });

  it('syncs again when a requested resync falls due; the earlier of two requests wins', async () => {
    const clock = new FakeClock();
    const gate = gatedSync();
    const workers = new PodWorkers<string>({ sync: gate.sync, clock, log: () => undefined });
    workers.update('a', 'v1');
    await settle();
    gate.calls[0].release();
    await settle();
    workers.syncAfter('a', 5_000);
    workers.syncAfter('a', 2_000);
    workers.syncAfter('a', 9_000);
    await clock.advance(1_999);
    expect(gate.calls).toHaveLength(1);
    await clock.advance(1);
    expect(gate.calls.map((c) => c.work)).toEqual(['v1', 'v1']);
    gate.calls[1].release();
    await clock.advance(20_000);
    expect(gate.calls).toHaveLength(2);
  });

  it('forgets a pod: its timers no longer fire, and a later update starts afresh', async () => {
    const clock = new FakeClock();
    const gate = gatedSync();
    const workers = new PodWorkers<string>({ sync: gate.sync, clock, log: () => undefined });
    workers.update('a', 'v1');
    await settle();
    workers.syncAfter('a', 1_000);
    workers.forget('a');
    gate.calls[0].release();
    await clock.advance(5_000);
    expect(gate.calls).toHaveLength(1);
    expect(workers.known()).toEqual([]);
    workers.update('a', 'v2');
    await settle();
    expect(gate.calls.map((c) => c.work)).toEqual(['v1', 'v2']);
  });

  it('takes no more work once stopped, and idle() waits for the syncs in flight', async () => {
    const gate = gatedSync();
    const workers = new PodWorkers<string>({ sync: gate.sync, log: () => undefined });
    workers.update('a', 'v1');
    await settle();
    workers.stop();
    workers.update('b', 'v1');
    let idle = false;
    const waiting = workers.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    gate.calls[0].release();
    await waiting;
    expect(gate.calls).toHaveLength(1);
  });
});
