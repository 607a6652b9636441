import { deleteOptions, queryBool, queryInt, writeOptions } from './request-query.js';

describe('query parameters', () => {
  it('parses booleans and integers, and rejects malformed integers with 400', () => {
    expect(queryBool({ watch: 'true' }, 'watch')).toBe(true);
    expect(queryBool({ watch: '1' }, 'watch')).toBe(true);
    expect(queryBool({ watch: 'false' }, 'watch')).toBe(false);
    expect(queryInt({ limit: '500' }, 'limit')).toBe(500);
    expect(() => queryInt({ limit: 'lots' }, 'limit')).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('reads write options and ignores unknown parameters', () => {
    expect(
      writeOptions({
        fieldManager: 'kubectl-create',
        fieldValidation: 'Strict',
        dryRun: 'All',
        pretty: 'true',
      }),
    ).toEqual({
      dryRun: true,
      fieldValidation: 'Strict',
      fieldManager: 'kubectl-create',
    });
    expect(() => writeOptions({ dryRun: 'Some' })).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => writeOptions({ fieldValidation: 'Loose' })).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('prefers DeleteOptions from the body, as kubectl sends them, over the query', () => {
    expect(
      deleteOptions(
        { gracePeriodSeconds: '5' },
        { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, dryRun: ['All'] },
      ),
    ).toMatchObject({
      propagationPolicy: 'Foreground',
      gracePeriodSeconds: 0,
      dryRun: true,
    });
    expect(deleteOptions({ propagationPolicy: 'Orphan' }, undefined)).toMatchObject({
      propagationPolicy: 'Orphan',
      dryRun: false,
    });
    expect(() => deleteOptions({}, { propagationPolicy: 'Sideways' })).toThrow(
      expect.objectContaining({ code: 400 }),
    );
    expect(() => deleteOptions({}, [1])).toThrow(expect.objectContaining({ code: 400 }));
  });
});
