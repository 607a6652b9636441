import { FakeClock } from '../machinery/clock.js';
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations.js';

describe('ControllerExpectations', () => {
  const key = 'default/web';

  it('is satisfied for a key it has never heard of', () => {
    expect(new ControllerExpectations().satisfied(key)).toBe(true);
  });

  it('waits until every expected creation has been observed', () => {
    const expectations = new ControllerExpectations();
    expectations.expectCreations(key, 2);
    expect(expectations.satisfied(key)).toBe(false);
    expectations.creationObserved(key);
    expect(expectations.satisfied(key)).toBe(false);
    expectations.creationObserved(key);
    expect(expectations.satisfied(key)).toBe(true);
  });

  it('counts a deletion once even when the pod is seen going away twice', () => {
    const expectations = new ControllerExpectations();
    expectations.expectDeletions(key, ['default/a', 'default/b']);
    expectations.deletionObserved(key, 'default/a');
    expectations.deletionObserved(key, 'default/a');
    expect(expectations.pending(key)).toEqual({ add: 0, del: 1 });
    expect(expectations.satisfied(key)).toBe(false);
    expectations.deletionObserved(key, 'default/b');
    expect(expectations.satisfied(key)).toBe(true);
  });

  it('ignores deletions of pods it did not delete', () => {
    const expectations = new ControllerExpectations();
    expectations.expectDeletions(key, ['default/a']);
    expectations.deletionObserved(key, 'default/other');
    expect(expectations.satisfied(key)).toBe(false);
  });

  it('gives up waiting once the record is older than the TTL', async () => {
    const clock = new FakeClock(0);
    const expectations = new ControllerExpectations({ clock });
    expectations.expectCreations(key, 1);
    await clock.advance(EXPECTATIONS_TTL_MS);
    expect(expectations.satisfied(key)).toBe(false);
    await clock.advance(1);
    expect(expectations.satisfied(key)).toBe(true);
  });

  it('starts over when new expectations replace old ones, and forgets deleted keys', () => {
    const expectations = new ControllerExpectations();
    expectations.expectCreations(key, 5);
    expectations.expectCreations(key, 1);
    expectations.creationObserved(key);
    expect(expectations.satisfied(key)).toBe(true);
    expectations.expectCreations(key, 1);
    expectations.delete(key);
    expect(expectations.pending(key)).toBeUndefined();
    expect(expectations.satisfied(key)).toBe(true);
  });
});
