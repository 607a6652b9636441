import { ApiError } from '../api-error.js';
import { protobufBody } from '../protobuf/testing/wire-writer.js';
import { parseObjectBody } from './request-body.js';

describe('parseObjectBody', () => {
  const configMap = protobufBody('v1', 'ConfigMap', (w) =>
    w.message(1, (m) => m.string(1, 'cm')).message(2, (e) => e.string(1, 'a').string(2, 'b')),
  );

  it.each(['application/vnd.kubernetes.protobuf', 'application/vnd.kubernetes.protobuf; charset=binary'])(
    'decodes a Kubernetes protobuf body sent as %s',
    (contentType) => {
      expect(parseObjectBody(contentType, configMap)).toEqual({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm' },
        data: { a: 'b' },
      });
    },
  );

  it('treats an empty protobuf body as no body, as for JSON', () => {
    expect(parseObjectBody('application/vnd.kubernetes.protobuf', Buffer.alloc(0))).toBeUndefined();
  });

  it('still reads JSON and YAML', () => {
    expect(parseObjectBody('application/json', Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(parseObjectBody('application/yaml', Buffer.from('a: 1'))).toEqual({ a: 1 });
  });

  it('answers 415 for other media types, naming protobuf among the accepted ones', () => {
    let error: unknown;
    try {
      parseObjectBody('text/plain', Buffer.from('x'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(415);
    expect((error as ApiError).message).toBe(
      'the body of the request was in an unknown format - accepted media types include: ' +
        'application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  });

  it.each(['application/json', 'application/yaml'])(
    'answers a %s body nested ten thousand levels deep with 400, not a stack overflow',
    (type) => {
      const deep = Buffer.from('['.repeat(10_000) + ']'.repeat(10_000));
      expect(() => parseObjectBody(type, deep)).toThrow(expect.objectContaining({ code: 400 }));
    },
  );
});
