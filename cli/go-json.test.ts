import { goJson, goJsonIndent } from './go-json.js';

describe('goJson', () => {
  it.each<[string, unknown, string]>([
    ['sorts keys at every level', { b: 1, a: { d: [], c: null } }, '{"a":{"c":null,"d":[]},"b":1}'],
    [
      'escapes HTML characters as Go does',
      { s: '<a href="x">&</a>' },
      '{"s":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"}',
    ],
    ['escapes line and paragraph separators', '\u2028\u2029', '"\\u2028\\u2029"'],
    ['leaves out undefined members', { a: undefined, b: 2 }, '{"b":2}'],
    ['keeps empty objects', { annotations: {} }, '{"annotations":{}}'],
  ])('%s', (_name, value, expected) => {
    expect(goJson(value)).toBe(expected);
  });

  it('indents with four spaces like kubectl -o json', () => {
    expect(goJsonIndent({ kind: 'List', items: [{ a: 1 }], empty: [] })).toBe(
      '{\n    "empty": [],\n    "items": [\n        {\n            "a": 1\n        }\n    ],\n    "kind": "List"\n}',
    );
  });
});
