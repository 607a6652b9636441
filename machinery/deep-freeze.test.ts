import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes objects and arrays at every depth and returns the same value', () => {
    const value = { a: { b: [{ c: 1 }, [2, { d: 'x' }]] }, e: null, f: 'text' };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(Object.isFrozen((value.a.b[1] as unknown[])[1])).toBe(true);
    expect(() => {
      (value.a.b[0] as { c: number }).c = 2;
    }).toThrow(TypeError);
  });

  it.each([null, undefined, 0, 'text', true])('returns %p as it is', (value) => {
    expect(deepFreeze(value)).toBe(value);
  });

  it('trusts a part that is already frozen to be frozen all the way down', () => {
    const inner = { mutable: { n: 1 } };
    Object.freeze(inner);
    const outer = { inner, other: { n: 2 } };
    deepFreeze(outer);
    expect(Object.isFrozen(outer.other)).toBe(true);
    expect(Object.isFrozen(inner.mutable)).toBe(false);
  });

  it('leaves inherited properties alone', () => {
    const proto = { shared: { n: 1 } };
    const value = Object.assign(Object.create(proto) as { own?: { n: number } }, { own: { n: 2 } });
    deepFreeze(value);
    expect(Object.isFrozen(value.own)).toBe(true);
    expect(Object.isFrozen(proto.shared)).toBe(false);
  });
});
