import type { Etcd3, IKeyValue, IRangeResponse, ITxnResponse } from 'etcd3';
import { ApiError } from '../api-error.js';
import { decode, decodeContinue, EtcdStorage, rangeEnd } from './etcd-storage.js';
import type { KvCalls } from './etcd-kv-channel.js';
import { valueTransformer } from './value-transformer.js';

describe('etcd storage helpers', () => {
  it('ends a prefix range just after the prefix', () => {
    expect(rangeEnd('/registry/pods/').toString()).toBe('/registry/pods0');
    expect(rangeEnd('a').toString()).toBe('b');
  });

  it('refuses continue tokens it did not issue', () => {
    expect(decodeContinue('not-base64-json')).toBeUndefined();
    expect(
      decodeContinue(Buffer.from(JSON.stringify({ rev: 5, start: '/a' })).toString('base64url')),
    ).toEqual({ rev: 5, start: '/a' });
  });
});

describe('EtcdStorage with an encrypted resource', () => {
  const prefix = '/registry';
  const transformer = valueTransformer([
    { type: 'aesgcm', keys: [{ name: 'key1', secret: Buffer.alloc(32, 3) }] },
  ]);

  /** A KV that keeps the last value put per key and serves it back from range. */
  function memoryKv(): KvCalls & { values: Map<string, Buffer> } {
    const values = new Map<string, Buffer>();
    const kvOf = (key: string) =>
      ({
        key: Buffer.from(key),
        value: values.get(key)!,
        mod_revision: '7',
        create_revision: '7',
        version: '1',
        lease: '0',
      }) as IKeyValue;
    return {
      values,
      range: (req) => {
        const start = req.key!.toString();
        const keys = req.range_end ? [...values.keys()].filter((k) => k.startsWith(start)).sort() : [start];
        return Promise.resolve({
          header: { revision: '7' },
          kvs: keys.filter((k) => values.has(k)).map(kvOf),
          more: false,
          count: String(keys.length),
        } as unknown as IRangeResponse);
      },
      txn: (req) => {
        for (const op of req.success ?? []) {
          const put = op.request_put;
          if (put) values.set(put.key!.toString(), Buffer.from(put.value!));
        }
        return Promise.resolve({
          header: { revision: '7' },
          succeeded: true,
          responses: [],
        } as unknown as ITxnResponse);
      },
    };
  }

  const object = (name: string) => ({
    metadata: { name, namespace: 'default' },
    data: { token: 'c2VjcmV0' },
  });

  it('encrypts and decrypts only the resource it was given', async () => {
    const kv = memoryKv();
    const storage = new EtcdStorage({} as Etcd3, prefix, kv, { secrets: transformer });
    await storage.create('/registry/secrets/default/s', object('s'));
    await storage.create('/registry/configmaps/default/c', object('c'));
    expect(kv.values.get('/registry/secrets/default/s')!.toString('latin1')).toMatch(
      /^k8s:enc:aesgcm:v1:key1:/,
    );
    expect(kv.values.get('/registry/configmaps/default/c')!.toString()).toContain('c2VjcmV0');
    expect((await storage.get('/registry/secrets/default/s'))?.data).toEqual({ token: 'c2VjcmV0' });
    expect((await storage.list('/registry/secrets/')).items.map((o) => o.metadata.name)).toEqual(['s']);
    // A list above both resources decodes each key by its own resource.
    const all = await storage.list('/registry/');
    expect(all.items.map((o) => o.data)).toEqual([{ token: 'c2VjcmV0' }, { token: 'c2VjcmV0' }]);
  });

  it('hands out the plain decoder for other resources', () => {
    const storage = new EtcdStorage({} as Etcd3, prefix, memoryKv(), { secrets: transformer });
    expect(storage.decoderFor('/registry/pods/')).toBe(decode);
    expect(storage.decoderFor('/registry/secrets-like/a')).toBe(decode);
    expect(storage.decoderFor('/registry/secrets/')).not.toBe(decode);
    expect(new EtcdStorage({} as Etcd3, prefix, memoryKv()).decoderFor('/registry/secrets/')).toBe(decode);
  });

  it('turns a value that does not decrypt into a 500 naming the key, not the value', async () => {
    const kv = memoryKv();
    const storage = new EtcdStorage({} as Etcd3, prefix, kv, { secrets: transformer });
    kv.values.set('/registry/secrets/default/plain', Buffer.from('{"data":{"token":"hunter2"}}'));
    const error = (await storage
      .get('/registry/secrets/default/plain')
      .catch((err: unknown) => err)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe(500);
    expect(error.message).toContain('unable to transform key "/registry/secrets/default/plain"');
    expect(error.message).not.toContain('hunter2');
  });
});
