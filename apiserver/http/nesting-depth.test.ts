import { checkNestingDepth, nestingDepth } from './nesting-depth.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('nestingDepth', () => {
  it.each([
    ['{}', 1],
    ['{"a":[1,{"b":2}]}', 3],
    ['[[[]]]', 3],
    ['{"a":"[[[[[[{{{{"}', 1],
    ['{"a":"quote \\" then [[["}', 1],
    ['{"a":"backslash \\\\"}', 1],
    ['a: [1, {b: [2]}]', 3],
    ['"just a string"', 0],
    [']]]{', 1],
  ])('%s → %d', (text, depth) => {
    expect(nestingDepth(bytes(text))).toBe(depth);
  });
});

describe('checkNestingDepth', () => {
  it('refuses ten thousand nested arrays with a 400', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(() => checkNestingDepth(bytes(deep))).toThrow(
      expect.objectContaining({ code: 400, reason: 'BadRequest' }),
    );
  });

  it('takes a large but shallow body, and a body exactly at the limit', () => {
    expect(() =>
      checkNestingDepth(bytes(JSON.stringify({ data: { k: 'x'.repeat(100_000) } }))),
    ).not.toThrow();
    expect(() => checkNestingDepth(bytes('{"a":'.repeat(1000) + '1' + '}'.repeat(1000)))).not.toThrow();
    expect(() => checkNestingDepth(bytes('{"a":'.repeat(1001) + '1' + '}'.repeat(1001)))).toThrow();
  });
});
