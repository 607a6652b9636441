import { FakeClock } from './clock.js';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
} from './rate-limiter.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles the delay per failure of the same item, up to the cap', () => {
    const limiter = new ItemExponentialFailureRateLimiter<string>(5, 100);
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(limiter.numRequeues('a')).toBe(6);
  });

  it('keeps a separate history per item and forgets it on request', () => {
    const limiter = new ItemExponentialFailureRateLimiter<string>(1, 1000);
    limiter.when('a');
    limiter.when('a');
    expect(limiter.when('b')).toBe(1);
    expect(limiter.when('a')).toBe(4);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(1);
  });

  it('stays at the cap after very many failures instead of overflowing', () => {
    const limiter = new ItemExponentialFailureRateLimiter<string>(5, 1000_000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = limiter.when('a');
    expect(last).toBe(1000_000);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through at once, then spaces retries at qps', () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter<string>(10, 3, clock);
    expect([1, 2, 3].map((i) => limiter.when(`k${i}`))).toEqual([0, 0, 0]);
    expect(limiter.when('k4')).toBeCloseTo(100);
    expect(limiter.when('k5')).toBeCloseTo(200);
    expect(limiter.numRequeues('k4')).toBe(0);
  });

  it('refills with time, never above the burst', async () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter<string>(10, 2, clock);
    limiter.when('a');
    limiter.when('a');
    await clock.advance(10_000);
    expect([limiter.when('a'), limiter.when('a')]).toEqual([0, 0]);
    expect(limiter.when('a')).toBeCloseTo(100);
  });

  it('tryAccept takes only tokens that are there, without going into debt', async () => {
    const clock = new FakeClock(0);
    const bucket = new BucketRateLimiter<string>(1, 2, clock);
    expect([bucket.tryAccept(), bucket.tryAccept(), bucket.tryAccept()]).toEqual([true, true, false]);
    await clock.advance(999);
    expect(bucket.tryAccept()).toBe(false);
    await clock.advance(1);
    expect(bucket.tryAccept()).toBe(true);
  });
});

describe('MaxOfRateLimiter', () => {
  it('waits as long as the slowest limiter and lets every limiter count the retry', () => {
    const clock = new FakeClock(0);
    const exp = new ItemExponentialFailureRateLimiter<string>(1, 1000);
    const bucket = new BucketRateLimiter<string>(1, 1, clock);
    const limiter = new MaxOfRateLimiter(exp, bucket);
    expect(limiter.when('a')).toBe(1);
    expect(limiter.when('a')).toBeCloseTo(1000);
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(exp.numRequeues('a')).toBe(0);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs off per item from 5 ms and lets 100 distinct items retry at once', () => {
    const limiter = defaultControllerRateLimiter<string>(new FakeClock(0));
    expect([limiter.when('x'), limiter.when('x'), limiter.when('x')]).toEqual([5, 10, 20]);
    const firstRetries = Array.from({ length: 97 }, (_, i) => limiter.when(`item-${i}`));
    expect(Math.max(...firstRetries)).toBe(5);
    // The bucket is empty now: the next retry waits for a token at 10 per second.
    expect(limiter.when('one-more')).toBeCloseTo(100);
  });

  it('caps a single item at 1000 s', () => {
    const limiter = defaultControllerRateLimiter<string>(new FakeClock(0));
    let last = 0;
    for (let i = 0; i < 40; i++) last = limiter.when('x');
    expect(last).toBe(1000_000);
  });
});
