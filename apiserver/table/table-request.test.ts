import { ApiError } from '../api-error.js';
import { parseIncludeObject, wantsTable } from './table-request.js';

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('wantsTable', () => {
  it.each<[string, string | undefined, 'v1' | 'v1beta1' | undefined]>([
    ['kubectl get', KUBECTL_ACCEPT, 'v1'],
    ['kubectl get, with spaces after the commas', KUBECTL_ACCEPT.replaceAll(',', ', '), 'v1'],
    ['only the v1beta1 Table', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'v1beta1'],
    ['the parameters in another order', 'application/json;g=meta.k8s.io;v=v1;as=Table', 'v1'],
    [
      'a Table listed after plain JSON (more parameters win at equal quality)',
      `application/json,${KUBECTL_ACCEPT}`,
      'v1',
    ],
    [
      'a Table preferred by quality',
      'application/json;q=0.9,application/json;as=Table;v=v1;g=meta.k8s.io',
      'v1',
    ],
    ['a wildcard type with Table parameters', '*/*;as=Table;v=v1;g=meta.k8s.io', 'v1'],
    ['plain JSON (-o yaml, client libraries)', 'application/json', undefined],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['anything', '*/*', undefined],
    [
      'plain JSON preferred by quality',
      'application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json',
      undefined,
    ],
    [
      'an unknown Table version, then plain JSON',
      'application/json;as=Table;v=v2;g=meta.k8s.io,application/json',
      undefined,
    ],
    ['a Table without its group', 'application/json;as=Table;v=v1', undefined],
    [
      'a Table in protobuf only',
      'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json',
      undefined,
    ],
    [
      'metadata-only output (kubectl get -o name in some versions)',
      'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json',
      undefined,
    ],
    [
      'garbage around a Table clause',
      'text/plain,nonsense,application/json;as=Table;v=v1;g=meta.k8s.io',
      'v1',
    ],
  ])('reads %s', (_, header, expected) => {
    expect(wantsTable(header)).toBe(expected);
  });
});

describe('parseIncludeObject', () => {
  it.each([
    [undefined, 'Metadata'],
    ['', 'Metadata'],
    ['Metadata', 'Metadata'],
    ['Object', 'Object'],
    ['None', 'None'],
  ])('reads %p as %s', (value, expected) => {
    expect(parseIncludeObject(value)).toBe(expected);
  });

  it.each(['object', 'All'])('rejects %p with a 400', (value) => {
    let thrown: unknown;
    try {
      parseIncludeObject(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: 400, reason: 'BadRequest' });
  });
});
