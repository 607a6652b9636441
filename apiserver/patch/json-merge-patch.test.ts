import { applyJsonMergePatch } from './json-merge-patch.js';

describe('applyJsonMergePatch', () => {
  // The examples of RFC 7386 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('patches %j with %j', (target, patch, expected) => {
    expect(applyJsonMergePatch(target, patch)).toEqual(expected);
  });

  it('changes labels and deletes one with null', () => {
    const pod = { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } }, spec: { x: 1 } };
    expect(applyJsonMergePatch(pod, { metadata: { labels: { tier: null, env: 'prod' } } })).toEqual({
      metadata: { name: 'web', labels: { app: 'web', env: 'prod' } },
      spec: { x: 1 },
    });
  });

  it('keeps nulls inside arrays, which are values, not deletions', () => {
    expect(applyJsonMergePatch({}, { a: [null, 1] })).toEqual({ a: [null, 1] });
  });

  it('treats __proto__ as an ordinary key', () => {
    const result = applyJsonMergePatch({ a: {} }, JSON.parse('{"a":{"__proto__":{"polluted":true}}}')) as {
      a: Record<string, unknown>;
    };
    expect(result.a.polluted).toBeUndefined();
    expect(Object.keys(result.a)).toEqual(['__proto__']);
  });

  it('never mutates its inputs nor shares structure with them', () => {
    const target = { keep: { deep: [1] }, change: { x: 1 } };
    const patch = { change: { y: { z: 2 } } };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    const result = applyJsonMergePatch(target, patch) as typeof target & { change: { y: { z: number } } };
    expect(target).toEqual(targetCopy);
    expect(patch).toEqual(patchCopy);
    result.keep.deep.push(2);
    result.change.y.z = 3;
    expect(target).toEqual(targetCopy);
    expect(patch).toEqual(patchCopy);
  });
});
