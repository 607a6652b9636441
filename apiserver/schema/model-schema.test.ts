import { fieldType, modelFields, parseTypeName } from './model-schema.js';

describe('model schema from the client models', () => {
  it.each([
    ['string', { kind: 'string' }],
    ['Array<V1Container>', { kind: 'array', items: { kind: 'model', model: 'V1Container' } }],
    ['{ [key: string]: string; }', { kind: 'map', values: { kind: 'string' } }],
    [
      '{ [key: string]: Array<string>; }',
      { kind: 'map', values: { kind: 'array', items: { kind: 'string' } } },
    ],
    ['IntOrString', { kind: 'int-or-string' }],
    ['Date', { kind: 'date' }],
  ])('parses %s', (text, expected) => {
    expect(parseTypeName(text)).toEqual(expected);
  });

  it('knows the fields of a deployment spec', () => {
    expect(fieldType('V1DeploymentSpec', 'template')).toEqual({ kind: 'model', model: 'V1PodTemplateSpec' });
    expect(fieldType('V1PodSpec', 'containers')).toEqual({
      kind: 'array',
      items: { kind: 'model', model: 'V1Container' },
    });
    expect(fieldType('V1DeploymentSpec', 'nope')).toBeUndefined();
  });

  it('returns undefined for unknown models', () => {
    expect(modelFields('V9Nothing')).toBeUndefined();
  });
});
