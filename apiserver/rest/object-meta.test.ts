import {
  generateName,
  jsonEqual,
  metadataForCreate,
  metadataForUpdate,
  sameContent,
  timestamp,
} from './object-meta.js';

describe('object metadata', () => {
  it('appends five characters from an alphabet without vowels to generateName', () => {
    const name = generateName('web-');
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(generateName('x'.repeat(80))).toHaveLength(63);
  });

  it('writes RFC3339 timestamps with whole seconds', () => {
    expect(timestamp(new Date('2026-11-23T03:03:48.123Z'))).toBe('2026-11-23T03:03:48Z');
  });

  it('sets uid, creationTimestamp and namespace on create and drops client-set server fields', () => {
    const meta = metadataForCreate(
      { name: 'a', resourceVersion: '5', deletionTimestamp: 'x', namespace: 'ignored' },
      'ns',
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(meta).toMatchObject({ name: 'a', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.resourceVersion).toBeUndefined();
    expect(meta.deletionTimestamp).toBeUndefined();
  });

  it('keeps the fields a client cannot change on update', () => {
    const current = {
      name: 'a',
      namespace: 'ns',
      uid: 'u1',
      creationTimestamp: 't0',
      resourceVersion: '9',
      generation: 2,
    };
    const next = metadataForUpdate(
      { name: 'b', uid: 'u2', creationTimestamp: 't1', labels: { x: 'y' }, generation: 7 },
      current,
    );
    expect(next).toEqual({ ...current, labels: { x: 'y' } });
  });

  it('compares JSON ignoring key order and undefined fields', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(
      sameContent(
        { metadata: { name: 'a', resourceVersion: '1' } },
        { metadata: { name: 'a', resourceVersion: '2' } },
      ),
    ).toBe(true);
  });
});
