import { ApiError } from '../api-error.js';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';

function pod() {
  return {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.1' }] },
  };
}

function failure(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('applyJsonPatch', () => {
  it.each([
    [
      'add',
      [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }],
      (p: ReturnType<typeof pod>) => ({
        ...p,
        metadata: { ...p.metadata, labels: { app: 'web', tier: 'front' } },
      }),
    ],
    [
      'remove',
      [{ op: 'remove', path: '/metadata/labels/app' }],
      (p: ReturnType<typeof pod>) => ({ ...p, metadata: { ...p.metadata, labels: {} } }),
    ],
    [
      'replace',
      [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.2' }],
      (p: ReturnType<typeof pod>) => ({
        ...p,
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.2' }] },
      }),
    ],
    [
      'test then replace',
      [
        { op: 'test', path: '/metadata/name', value: 'web' },
        { op: 'replace', path: '/metadata/name', value: 'api' },
      ],
      (p: ReturnType<typeof pod>) => ({ ...p, metadata: { ...p.metadata, name: 'api' } }),
    ],
    [
      'move',
      [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/name' }],
      (p: ReturnType<typeof pod>) => ({ ...p, metadata: { ...p.metadata, labels: { name: 'web' } } }),
    ],
    [
      'copy',
      [{ op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' }],
      (p: ReturnType<typeof pod>) => ({
        ...p,
        spec: { containers: [p.spec.containers[0], p.spec.containers[0]] },
      }),
    ],
    ['an empty list', [], (p: ReturnType<typeof pod>) => p],
  ])('applies %s', (_name, operations, expected) => {
    expect(applyJsonPatch(pod(), operations)).toEqual(expected(pod()));
  });

  it('can replace the whole document', () => {
    expect(applyJsonPatch(pod(), [{ op: 'replace', path: '', value: 5 }])).toBe(5);
  });

  it.each([
    ['a failed test', [{ op: 'test', path: '/metadata/name', value: 'other' }]],
    ['a test of a missing path', [{ op: 'test', path: '/metadata/nope/deeper', value: 1 }]],
    ['removing a missing path', [{ op: 'remove', path: '/metadata/annotations' }]],
    ['replacing a missing path', [{ op: 'replace', path: '/spec/nodeName', value: 'n1' }]],
    ['adding under a missing parent', [{ op: 'add', path: '/metadata/annotations/a', value: 'b' }]],
    ['adding past the end of a list', [{ op: 'add', path: '/spec/containers/5', value: {} }]],
    ['a non-numeric list index', [{ op: 'replace', path: '/spec/containers/x', value: {} }]],
    ['an unknown op', [{ op: 'frobnicate', path: '/metadata/name' }]],
    ["the library's private op", [{ op: '_get', path: '/metadata/name' }]],
    ['a missing value', [{ op: 'add', path: '/metadata/labels/x' }]],
    ['a missing from', [{ op: 'copy', path: '/metadata/labels/x' }]],
    ['a moved missing path', [{ op: 'move', from: '/nope', path: '/metadata/labels/x' }]],
    ['a path without a slash', [{ op: 'add', path: 'metadata', value: {} }]],
    ['a prototype write', [{ op: 'add', path: '/__proto__/polluted', value: true }]],
  ])('answers 422 Invalid for %s', (_name, operations) => {
    const error = failure(() => applyJsonPatch(pod(), operations));
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.message).toBe('the server rejected our request due to an error in our request');
  });

  it('is atomic: a late failure leaves no partial change behind', () => {
    const original = pod();
    failure(() =>
      applyJsonPatch(original, [
        { op: 'replace', path: '/metadata/name', value: 'changed' },
        { op: 'test', path: '/metadata/name', value: 'web' },
      ]),
    );
    expect(original).toEqual(pod());
  });

  it.each([
    [
      { op: 'add', path: '/a', value: 1 },
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    ],
    ['[]', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [null, 'json: cannot unmarshal null into Go value of type jsonpatch.Patch'],
    [['add'], 'json: cannot unmarshal string into Go value of type jsonpatch.Operation'],
    [[[]], 'json: cannot unmarshal array into Go value of type jsonpatch.Operation'],
  ])('answers 400 for the body %j', (body, message) => {
    const error = failure(() => applyJsonPatch(pod(), body));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
    expect(error.message).toBe(message);
  });

  it('answers 413 past the operation limit', () => {
    const operations = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/metadata/name',
      value: 'web',
    }));
    expect(failure(() => applyJsonPatch(pod(), operations)).code).toBe(413);
  });

  it('mutates neither the document nor the operations, and shares no values with them', () => {
    const original = pod();
    const value = { name: 'side', image: 'busybox' };
    const operations = [
      { op: 'add', path: '/spec/containers/-', value },
      { op: 'test', path: '/metadata/name', value: 'web' },
    ];
    const operationsCopy = structuredClone(operations);
    const result = applyJsonPatch(original, operations) as ReturnType<typeof pod>;
    expect(original).toEqual(pod());
    expect(operations).toEqual(operationsCopy);
    result.spec.containers[1].image = 'changed';
    expect(value.image).toBe('busybox');
  });
});
