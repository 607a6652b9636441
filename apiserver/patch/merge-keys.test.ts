import { fieldType } from '../schema/model-schema.js';
import { fieldPatchInfo, isMergeList, PATCH_META, patchMeta } from './merge-keys.js';

const entries = Object.entries(PATCH_META).flatMap(([model, fields]) =>
  Object.entries(fields).map(([field, meta]) => [model, field, meta] as const),
);

describe('patch merge keys', () => {
  it.each(entries)('%s.%s names a field the client model knows', (model, field, meta) => {
    const type = fieldType(model, field);
    expect(type).toBeDefined();
    if (meta.strategy === 'retainKeys') {
      expect(type?.kind).toBe('model');
    } else {
      expect(type?.kind).toBe('array');
    }
  });

  it.each(entries.filter(([, , meta]) => meta.mergeKey))(
    '%s.%s merge key is a field of the list items',
    (model, field, meta) => {
      const type = fieldType(model, field);
      if (type?.kind !== 'array' || type.items.kind !== 'model') throw new Error('not a list of objects');
      expect(fieldType(type.items.model, meta.mergeKey as string)).toBeDefined();
    },
  );

  it.each([
    ['V1PodSpec', 'containers', 'name'],
    ['V1Container', 'env', 'name'],
    ['V1Container', 'ports', 'containerPort'],
    ['V1Container', 'volumeMounts', 'mountPath'],
    ['V1ServiceSpec', 'ports', 'port'],
    ['V1ObjectMeta', 'ownerReferences', 'uid'],
    ['V1NodeStatus', 'addresses', 'type'],
    ['V1DeploymentStatus', 'conditions', 'type'],
  ])('%s.%s merges by %s', (model, field, key) => {
    expect(patchMeta(model, field)).toEqual(expect.objectContaining({ mergeKey: key }));
  });

  it.each([
    ['V1PodSpec', 'tolerations'],
    ['V1Container', 'envFrom'],
    ['V1Container', 'args'],
    ['V1EndpointSubset', 'addresses'],
  ])('%s.%s is atomic', (model, field) => {
    expect(isMergeList(patchMeta(model, field))).toBe(false);
  });

  it('treats finalizers as a set of primitives', () => {
    expect(patchMeta('V1ObjectMeta', 'finalizers')).toEqual({ strategy: 'merge' });
  });

  it('walks models, maps and free-form values', () => {
    expect(fieldPatchInfo({ kind: 'model', model: 'V1PodSpec' }, 'containers')).toEqual({
      type: { kind: 'array', items: { kind: 'model', model: 'V1Container' } },
      meta: { strategy: 'merge', mergeKey: 'name' },
    });
    expect(fieldPatchInfo({ kind: 'map', values: { kind: 'string' } }, 'app')).toEqual({
      type: { kind: 'string' },
      meta: undefined,
    });
    expect(fieldPatchInfo(undefined, 'anything')).toEqual({ type: undefined, meta: undefined });
  });
});
