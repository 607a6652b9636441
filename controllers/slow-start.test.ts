import { slowStartBatch } from './slow-start.js';

/** Records the size of each batch: calls that start before any of the running ones finished. */
function recorder(failOnCall: (n: number) => boolean = () => false) {
  const batches: number[] = [];
  let calls = 0;
  let inFlight = 0;
  const fn = async () => {
    const n = ++calls;
    if (inFlight === 0) batches.push(0);
    inFlight++;
    batches[batches.length - 1]++;
    await Promise.resolve();
    inFlight--;
    if (failOnCall(n)) throw new Error(`call ${n} failed`);
  };
  return { fn, batches, calls: () => calls };
}

describe('slowStartBatch', () => {
  it.each([
    { count: 0, initial: 1, batches: [] },
    { count: 1, initial: 1, batches: [1] },
    { count: 10, initial: 1, batches: [1, 2, 4, 3] },
    { count: 50, initial: 1, batches: [1, 2, 4, 8, 16, 19] },
    { count: 7, initial: 3, batches: [3, 4] },
  ])('runs $count calls starting at $initial as batches $batches', async ({ count, initial, batches }) => {
    const r = recorder();
    await expect(slowStartBatch(count, initial, r.fn)).resolves.toEqual({ successes: count });
    expect(r.batches).toEqual(batches);
  });

  it('stops after the first batch with a failure and reports the successes and the error', async () => {
    const r = recorder((n) => n === 5 || n === 6);
    const result = await slowStartBatch(20, 1, r.fn);
    // Batches 1, 2, 4: the third batch (calls 4-7) has two failures, nothing after it runs.
    expect(r.calls()).toBe(7);
    expect(result.successes).toBe(5);
    expect(String(result.error)).toContain('call 5 failed');
  });
});
