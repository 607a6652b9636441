/**
 * ValueTransformer: what an encrypted resource's values look like in etcd.
 *
 * Contract:
 * - `toStorage` uses the FIRST provider: aesgcm stores `k8s:enc:aesgcm:v1:<keyname>:` followed by a
 *   12-byte nonce, the ciphertext and the 16-byte GCM tag, with the first key of that provider;
 *   identity stores the value as it is.
 * - `fromStorage` picks the provider by the value's prefix, not by order: an aesgcm value is opened
 *   with the key it names, whichever provider lists it. That is what makes rotation work: list the new
 *   key first, rewrite every Secret, then drop the old key.
 * - A value without the `k8s:enc:` prefix is plaintext, readable only if `identity` is a provider.
 * - A read reports `stale` when the value is not stored as a write would store it now (another key,
 *   or plaintext under an encrypting config, or the reverse): the caller then rewrites it even when
 *   the object did not change, which is how rewriting every Secret completes a rotation.
 * - The etcd key is authenticated data of every ciphertext, as upstream does: a value copied to
 *   another key does not decrypt.
 * - Nonces are random 12-byte values (upstream's aesgcm now uses a counter per key instead): safe for
 *   up to 2^32 writes per key, NIST's bound for random GCM nonces; rotating the key resets the count.
 * - Failures are `ValueTransformError`s whose message names the problem (unknown key, failed
 *   authentication, plaintext without identity), never any part of the value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AesGcmKey, EncryptionProvider } from './encryption-config.js';

export interface ValueTransformer {
  toStorage(plain: Buffer, key: string): Buffer;
  fromStorage(stored: Buffer, key: string): { value: Buffer; stale: boolean };
}

export class ValueTransformError extends Error {}

const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');
const AESGCM_PREFIX = 'k8s:enc:aesgcm:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

interface PreparedKey {
  name: string;
  secret: Buffer;
  algorithm: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
  prefix: Buffer;
}

function prepare(key: AesGcmKey): PreparedKey {
  const bits = key.secret.length * 8;
  return {
    name: key.name,
    secret: key.secret,
    algorithm: `aes-${bits}-gcm` as PreparedKey['algorithm'],
    prefix: Buffer.from(`${AESGCM_PREFIX}${key.name}:`),
  };
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.length >= prefix.length && value.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function seal(key: PreparedKey, plain: Buffer, etcdKey: string, nonce: Buffer): Buffer {
  const cipher = createCipheriv(key.algorithm, key.secret, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(etcdKey));
  const head = cipher.update(plain);
  const tail = cipher.final();
  return Buffer.concat([key.prefix, nonce, head, tail, cipher.getAuthTag()]);
}

function open(key: PreparedKey, stored: Buffer, etcdKey: string): Buffer {
  const body = stored.subarray(key.prefix.length);
  if (body.length < NONCE_BYTES + TAG_BYTES)
    throw new ValueTransformError(`data encrypted with key "${key.name}" is truncated`);
  const nonce = body.subarray(0, NONCE_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  const decipher = createDecipheriv(key.algorithm, key.secret, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(etcdKey));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new ValueTransformError(
      `data encrypted with key "${key.name}" failed authentication (tampered, moved from another key, or a different secret under that name)`,
    );
  }
}

/**
 * The transformer for one resource's provider list (non-empty, as validated by
 * `parseEncryptionConfig`). `nonce` is injectable for deterministic tests only.
 */
export function valueTransformer(
  providers: readonly EncryptionProvider[],
  nonce: () => Buffer = () => randomBytes(NONCE_BYTES),
): ValueTransformer {
  if (providers.length === 0) throw new Error('a value transformer needs at least one provider');
  const keys = new Map<string, PreparedKey>();
  for (const provider of providers)
    if (provider.type === 'aesgcm')
      for (const key of provider.keys) if (!keys.has(key.name)) keys.set(key.name, prepare(key));
  const readsPlaintext = providers.some((p) => p.type === 'identity');
  const first = providers[0];
  const writeKey = first.type === 'aesgcm' ? keys.get(first.keys[0].name) : undefined;

  return {
    toStorage(plain, etcdKey) {
      return writeKey ? seal(writeKey, plain, etcdKey, nonce()) : plain;
    },
    fromStorage(stored, etcdKey) {
      if (!startsWith(stored, ENCRYPTED_PREFIX)) {
        if (readsPlaintext) return { value: stored, stale: writeKey !== undefined };
        throw new ValueTransformError('data is not encrypted and identity is not among the providers');
      }
      // The key name ends at the first ':' after the aesgcm prefix; names cannot contain one.
      const text = stored.subarray(0, Math.min(stored.length, 256)).toString('latin1');
      if (text.startsWith(AESGCM_PREFIX)) {
        const end = text.indexOf(':', AESGCM_PREFIX.length);
        const name = end < 0 ? undefined : text.slice(AESGCM_PREFIX.length, end);
        const key = name === undefined ? undefined : keys.get(name);
        if (key) return { value: open(key, stored, etcdKey), stale: key !== writeKey };
        // The name is echoed only when it looks like one: bytes from a damaged value are never quoted.
        if (name !== undefined && /^[\w.-]{1,64}$/.test(name))
          throw new ValueTransformError(
            `data is encrypted with aesgcm key "${name}", which is not configured`,
          );
        throw new ValueTransformError('data is encrypted with an aesgcm key that is not configured');
      }
      throw new ValueTransformError('data is encrypted by a provider that is not configured');
    },
  };
}
