import { mergePatchDiff } from './merge-patch-diff.js';

/** RFC 7386 application, to check that a diff really turns `before` into `after`. */
function apply(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = apply(result[k], v);
  }
  return result;
}

describe('mergePatchDiff', () => {
  it.each([
    ['no change', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, undefined],
    ['a changed scalar', { phase: 'Pending' }, { phase: 'Running' }, { phase: 'Running' }],
    ['a nested change only', { a: { x: 1, y: 2 }, b: 1 }, { a: { x: 1, y: 3 }, b: 1 }, { a: { y: 3 } }],
    [
      'an array replaced whole',
      { c: [{ t: 'Ready', s: 'False' }, { t: 'X' }] },
      { c: [{ t: 'Ready', s: 'True' }, { t: 'X' }] },
      { c: [{ t: 'Ready', s: 'True' }, { t: 'X' }] },
    ],
    ['a removed field', { podIP: '1.2.3.4', phase: 'Running' }, { phase: 'Running' }, { podIP: null }],
    ['an undefined field counts as absent', { a: 1 }, { a: 1, b: undefined }, undefined],
    ['an added object', {}, { hostIPs: [{ ip: '1.1.1.1' }] }, { hostIPs: [{ ip: '1.1.1.1' }] }],
  ])('%s', (_what, before, after, expected) => {
    const patch = mergePatchDiff(before, after);
    expect(patch).toEqual(expected);
    if (patch !== undefined) expect(apply(before, patch)).toEqual(JSON.parse(JSON.stringify(after)));
  });
});
