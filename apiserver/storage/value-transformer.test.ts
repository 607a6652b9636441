import type { EncryptionProvider } from './encryption-config.js';
import { ValueTransformError, valueTransformer } from './value-transformer.js';

const key1 = { name: 'key1', secret: Buffer.alloc(32, 1) };
const key2 = { name: 'key2', secret: Buffer.alloc(32, 2) };
const aesgcm = (...keys: (typeof key1)[]): EncryptionProvider => ({ type: 'aesgcm', keys });
const identity: EncryptionProvider = { type: 'identity' };
const etcdKey = '/registry/secrets/default/s1';
const plain = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');

function failure(run: () => unknown): ValueTransformError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValueTransformError) return err;
    throw err;
  }
  throw new Error('expected a ValueTransformError');
}

describe('valueTransformer', () => {
  it('stores aesgcm values as prefix, 12-byte nonce, ciphertext and 16-byte tag, and reads them back', () => {
    const nonce = Buffer.alloc(12, 0xab);
    const transformer = valueTransformer([aesgcm(key1)], () => nonce);
    const stored = transformer.toStorage(plain, etcdKey);
    const prefix = Buffer.from('k8s:enc:aesgcm:v1:key1:');
    expect(stored.subarray(0, prefix.length)).toEqual(prefix);
    expect(stored.subarray(prefix.length, prefix.length + 12)).toEqual(nonce);
    expect(stored.length).toBe(prefix.length + 12 + plain.length + 16);
    expect(stored.includes(plain)).toBe(false);
    expect(stored.includes(Buffer.from('password'))).toBe(false);
    expect(transformer.fromStorage(stored, etcdKey).value).toEqual(plain);
  });

  it('uses a fresh random nonce per write', () => {
    const transformer = valueTransformer([aesgcm(key1)]);
    expect(transformer.toStorage(plain, etcdKey).equals(transformer.toStorage(plain, etcdKey))).toBe(false);
  });

  it.each([16, 24])('works with %i-byte keys too', (length) => {
    const transformer = valueTransformer([aesgcm({ name: 'short', secret: Buffer.alloc(length, 5) })]);
    expect(transformer.fromStorage(transformer.toStorage(plain, etcdKey), etcdKey).value).toEqual(plain);
  });

  it('rotates: the new first key writes, the old one still reads', () => {
    const before = valueTransformer([aesgcm(key1)]);
    const old = before.toStorage(plain, etcdKey);
    const after = valueTransformer([aesgcm(key2, key1)]);
    expect(after.fromStorage(old, etcdKey).value).toEqual(plain);
    const rewritten = after.toStorage(plain, etcdKey);
    expect(rewritten.toString('latin1').startsWith('k8s:enc:aesgcm:v1:key2:')).toBe(true);
    // Once key1 is dropped, data still under it no longer reads.
    const dropped = valueTransformer([aesgcm(key2)]);
    expect(dropped.fromStorage(rewritten, etcdKey).value).toEqual(plain);
    expect(failure(() => dropped.fromStorage(old, etcdKey)).message).toMatch(
      /key "key1", which is not configured/,
    );
  });

  it('finds a key in any aesgcm provider of the list', () => {
    const stored = valueTransformer([aesgcm(key2)]).toStorage(plain, etcdKey);
    const transformer = valueTransformer([aesgcm(key1), identity, aesgcm(key2)]);
    expect(transformer.fromStorage(stored, etcdKey).value).toEqual(plain);
  });

  it.each<[string, (stored: Buffer) => Buffer]>([
    ['a flipped ciphertext byte', (s) => Buffer.from(s.map((b, i) => (i === s.length - 20 ? b ^ 1 : b)))],
    ['a flipped tag byte', (s) => Buffer.from(s.map((b, i) => (i === s.length - 1 ? b ^ 1 : b)))],
    ['a flipped nonce byte', (s) => Buffer.from(s.map((b, i) => (i === 24 ? b ^ 1 : b)))],
  ])('refuses %s', (_case, tamper) => {
    const transformer = valueTransformer([aesgcm(key1)]);
    const stored = tamper(transformer.toStorage(plain, etcdKey));
    const error = failure(() => transformer.fromStorage(stored, etcdKey));
    expect(error.message).toMatch(/key "key1" failed authentication/);
  });

  it('refuses a ciphertext moved to another key (the etcd key is authenticated)', () => {
    const transformer = valueTransformer([aesgcm(key1)]);
    const stored = transformer.toStorage(plain, etcdKey);
    expect(() => transformer.fromStorage(stored, '/registry/secrets/default/other')).toThrow(
      ValueTransformError,
    );
  });

  it('refuses a ciphertext under the same key name but a different secret', () => {
    const stored = valueTransformer([aesgcm(key1)]).toStorage(plain, etcdKey);
    const impostor = valueTransformer([aesgcm({ name: 'key1', secret: Buffer.alloc(32, 9) })]);
    expect(() => impostor.fromStorage(stored, etcdKey)).toThrow(/failed authentication/);
  });

  it('refuses a truncated ciphertext', () => {
    const transformer = valueTransformer([aesgcm(key1)]);
    const stored = transformer.toStorage(plain, etcdKey).subarray(0, 30);
    expect(() => transformer.fromStorage(stored, etcdKey)).toThrow(/truncated/);
  });

  it('names an unknown key, but never quotes bytes that do not look like a key name', () => {
    const transformer = valueTransformer([aesgcm(key1), identity]);
    const unknown = valueTransformer([aesgcm(key2)]).toStorage(plain, etcdKey);
    expect(failure(() => transformer.fromStorage(unknown, etcdKey)).message).toMatch(/key "key2"/);
    const odd = Buffer.from('k8s:enc:aesgcm:v1:hunter2 is the password:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    const message = failure(() => transformer.fromStorage(odd, etcdKey)).message;
    expect(message).toBe('data is encrypted with an aesgcm key that is not configured');
  });

  it('refuses data of a provider that is not configured (even with identity)', () => {
    const transformer = valueTransformer([identity, aesgcm(key1)]);
    expect(() => transformer.fromStorage(Buffer.from('k8s:enc:aescbc:v1:key1:abc'), etcdKey)).toThrow(
      /provider that is not configured/,
    );
  });

  it('passes plaintext through when identity is a provider, wherever it stands', () => {
    expect(valueTransformer([aesgcm(key1), identity]).fromStorage(plain, etcdKey).value).toEqual(plain);
    const identityFirst = valueTransformer([identity, aesgcm(key1)]);
    expect(identityFirst.toStorage(plain, etcdKey)).toBe(plain);
    const encrypted = valueTransformer([aesgcm(key1)]).toStorage(plain, etcdKey);
    expect(identityFirst.fromStorage(encrypted, etcdKey).value).toEqual(plain);
  });

  it('refuses plaintext without identity, and does not quote it', () => {
    const error = failure(() => valueTransformer([aesgcm(key1)]).fromStorage(plain, etcdKey));
    expect(error.message).toBe('data is not encrypted and identity is not among the providers');
  });

  it.each<[string, EncryptionProvider[], EncryptionProvider[], boolean]>([
    ['written with the current key', [aesgcm(key1)], [aesgcm(key1)], false],
    ['written with an older key', [aesgcm(key1)], [aesgcm(key2, key1)], true],
    ['plaintext under an encrypting config', [identity], [aesgcm(key1), identity], true],
    ['encrypted under an identity-first config', [aesgcm(key1)], [identity, aesgcm(key1)], true],
    ['plaintext under an identity-first config', [identity], [identity, aesgcm(key1)], false],
  ])('reports a value %s as stale: %s', (_case, writer, reader, stale) => {
    const stored = valueTransformer(writer).toStorage(plain, etcdKey);
    expect(valueTransformer(reader).fromStorage(stored, etcdKey)).toEqual({ value: plain, stale });
  });

  it('needs at least one provider', () => {
    expect(() => valueTransformer([])).toThrow(/at least one provider/);
  });
});
