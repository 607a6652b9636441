import { decodeContinue, rangeEnd } from './etcd-storage.js';

describe('etcd storage helpers', () => {
  it('ends a prefix range just after the prefix', () => {
    expect(rangeEnd('/registry/pods/').toString()).toBe('/registry/pods0');
    expect(rangeEnd('a').toString()).toBe('b');
  });

  it('refuses continue tokens it did not issue', () => {
    expect(decodeContinue('not-base64-json')).toBeUndefined();
    expect(
      decodeContinue(Buffer.from(JSON.stringify({ rev: 5, start: '/a' })).toString('base64url')),
    ).toEqual({ rev: 5, start: '/a' });
  });
});
