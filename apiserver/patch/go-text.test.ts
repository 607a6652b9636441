import { goTypeName, goValue, jsonKindName } from './go-text.js';

describe('Go spellings of JSON values', () => {
  it.each([
    [{ image: 'nginx', b: [1, true, null] }, 'map[b:[1 true <nil>] image:nginx]'],
    [[{ name: 'x' }], '[map[name:x]]'],
    [null, '<nil>'],
    ['text', 'text'],
  ])('prints %j as %s', (value, text) => {
    expect(goValue(value)).toBe(text);
  });

  it.each([
    ['x', 'string'],
    [[], '[]interface {}'],
    [{}, 'map[string]interface {}'],
    [1, 'int64'],
    [1.5, 'float64'],
    [null, '<nil>'],
  ])('names the Go type of %j', (value, name) => {
    expect(goTypeName(value)).toBe(name);
  });

  it.each([
    [null, 'null'],
    [[], 'array'],
    [{}, 'object'],
    [true, 'bool'],
    ['s', 'string'],
    [2, 'number'],
  ])('names the JSON kind of %j', (value, name) => {
    expect(jsonKindName(value)).toBe(name);
  });
});
