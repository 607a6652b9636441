import { ApiError } from '../api-error.js';
import {
  APPLY_PATCH,
  applyPatch,
  JSON_PATCH,
  MERGE_PATCH,
  parseApplyConfiguration,
  patchMediaType,
  STRATEGIC_MERGE_PATCH,
  SUPPORTED_PATCH_TYPES,
} from './patch-type.js';

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.1' },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
    },
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

const containerPatch = {
  spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.2' }] } } },
};

describe('applyPatch', () => {
  it('lists the four patch types in upstream order', () => {
    expect(SUPPORTED_PATCH_TYPES).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]);
  });

  it.each([
    ['application/merge-patch+json; charset=utf-8', 'application/merge-patch+json'],
    [' Application/JSON-Patch+JSON ', 'application/json-patch+json'],
  ])('reads the media type of %j', (header, mediaType) => {
    expect(patchMediaType(header)).toBe(mediaType);
  });

  it('merges containers by name for a strategic merge patch', () => {
    const result = applyPatch(STRATEGIC_MERGE_PATCH, deployment(), containerPatch, 'V1Deployment');
    expect(result.spec).toEqual({
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.2' },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
    });
  });

  it('replaces the container list for a JSON merge patch', () => {
    const result = applyPatch(`${MERGE_PATCH}; charset=utf-8`, deployment(), containerPatch, 'V1Deployment');
    expect((result.spec as { template: unknown }).template).toEqual(containerPatch.spec.template);
  });

  it('applies a JSON patch', () => {
    const result = applyPatch(
      JSON_PATCH,
      deployment(),
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      'V1Deployment',
    );
    expect((result.spec as { replicas: number }).replicas).toBe(3);
  });

  it.each([
    ['parsed', { spec: { replicas: 5 } }],
    ['JSON text', '{"spec":{"replicas":5}}'],
    ['YAML text', 'spec:\n  replicas: 5\n'],
    ['YAML bytes', new TextEncoder().encode('spec:\n  replicas: 5\n')],
  ])('applies a %s configuration with server-side apply', (_name, body) => {
    const result = applyPatch(APPLY_PATCH, deployment(), body, 'V1Deployment');
    expect(result).toEqual({ ...deployment(), spec: { ...deployment().spec, replicas: 5 } });
  });

  it('decodes JSON patch bodies given as text', () => {
    const result = applyPatch(MERGE_PATCH, deployment(), '{"metadata":{"labels":null}}', 'V1Deployment');
    expect(result.metadata).toEqual({ name: 'web' });
  });

  it.each([
    ['text/plain', 'V1Deployment', SUPPORTED_PATCH_TYPES],
    ['application/json', 'V1Deployment', SUPPORTED_PATCH_TYPES],
    [STRATEGIC_MERGE_PATCH, 'Widget', [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]],
  ])('answers 415 for %s on %s', (contentType, model, accepted) => {
    const error = failure(() => applyPatch(contentType, deployment(), {}, model));
    expect(error.code).toBe(415);
    expect(error.reason).toBe('UnsupportedMediaType');
    expect(error.message).toBe(
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  });

  it('lets the caller turn strategic merge off', () => {
    const error = failure(() =>
      applyPatch(STRATEGIC_MERGE_PATCH, deployment(), {}, 'V1Deployment', { strategicMerge: false }),
    );
    expect(error.code).toBe(415);
  });

  it.each([
    [JSON_PATCH, [{ op: 'replace', path: '', value: 5 }]],
    [JSON_PATCH, [{ op: 'remove', path: '' }]],
    [MERGE_PATCH, ['a']],
  ])('answers 422 when a %s patch leaves no object', (contentType, body) => {
    const error = failure(() => applyPatch(contentType, deployment(), body, 'V1Deployment'));
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.details?.causes?.[0]).toEqual(
      expect.objectContaining({ reason: 'FieldValueInvalid', field: 'patch' }),
    );
  });

  it.each([
    [MERGE_PATCH, null, 'Invalid JSON Patch'],
    [MERGE_PATCH, 'not json', undefined],
    [MERGE_PATCH, 5, 'Invalid JSON Patch'],
    [
      STRATEGIC_MERGE_PATCH,
      '[]',
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    ],
    [JSON_PATCH, { op: 'add' }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    [APPLY_PATCH, 'a: [unclosed', undefined],
    [
      APPLY_PATCH,
      '- a\n- b\n',
      'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
    ],
    [APPLY_PATCH, 'a: 1\n---\nb: 2\n', undefined],
    [
      APPLY_PATCH,
      7,
      'error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}',
    ],
  ])('answers 400 for the %s body %j', (contentType, body, message) => {
    const error = failure(() => applyPatch(contentType, deployment(), body, 'V1Deployment'));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
    if (message !== undefined) expect(error.message).toBe(message);
  });

  it('creates the object from an apply configuration when there is none', () => {
    expect(applyPatch(APPLY_PATCH, undefined, 'kind: Pod\nmetadata:\n  name: p\n', 'V1Pod')).toEqual({
      kind: 'Pod',
      metadata: { name: 'p' },
    });
  });

  it.each([[JSON_PATCH], [MERGE_PATCH], [STRATEGIC_MERGE_PATCH]])(
    'needs an object to patch for %s',
    (type) => {
      expect(failure(() => applyPatch(type, undefined, {}, 'V1Pod')).code).toBe(500);
    },
  );

  it('parses an apply configuration once for callers that create objects', () => {
    expect(parseApplyConfiguration('kind: Pod\nmetadata:\n  name: p\n')).toEqual({
      kind: 'Pod',
      metadata: { name: 'p' },
    });
  });

  it.each(SUPPORTED_PATCH_TYPES.map((type) => [type]))('leaves the original alone for %s', (contentType) => {
    const original = deployment();
    const body =
      contentType === JSON_PATCH
        ? [{ op: 'remove', path: '/metadata/labels' }]
        : { metadata: { labels: null } };
    const result = applyPatch(contentType, original, body, 'V1Deployment');
    expect(result.metadata).toEqual({ name: 'web' });
    expect(original).toEqual(deployment());
  });
});
