import { cloneJson } from './clone-json.js';

describe('cloneJson', () => {
  it('copies nested objects and arrays without sharing any of them', () => {
    const input = { a: { b: [1, { c: 'x' }], d: null }, e: [[true]] };
    const copy = cloneJson(input);
    expect(copy).toEqual(input);
    expect(copy).not.toBe(input);
    expect(copy.a).not.toBe(input.a);
    expect(copy.a.b).not.toBe(input.a.b);
    expect(copy.a.b[1]).not.toBe(input.a.b[1]);
    expect(copy.e[0]).not.toBe(input.e[0]);
    (copy.a.b[1] as { c: string }).c = 'changed';
    expect((input.a.b[1] as { c: string }).c).toBe('x');
  });

  it.each([['text'], [42], [true], [null], [undefined]])('returns the scalar %p as is', (value) => {
    expect(cloneJson(value)).toBe(value);
  });

  it('keeps keys whose value is undefined, as structuredClone does', () => {
    const copy = cloneJson({ a: undefined, b: 1 });
    expect(Object.keys(copy)).toEqual(['a', 'b']);
    expect(copy).toStrictEqual({ a: undefined, b: 1 });
  });

  it('keeps key order', () => {
    expect(Object.keys(cloneJson({ z: 1, a: 2, m: 3 }))).toEqual(['z', 'a', 'm']);
  });

  it('copies a parsed "__proto__" member as an own key without touching the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const copy = cloneJson(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"x":1}');
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('copies values that are not plain JSON the way structuredClone does', () => {
    const date = new Date(0);
    const copy = cloneJson({ when: date });
    // Compared by tag: under jest, structuredClone builds the Date in another realm.
    expect(Object.prototype.toString.call(copy.when)).toBe('[object Date]');
    expect(copy.when).not.toBe(date);
    expect(copy.when.getTime()).toBe(0);
  });
});
