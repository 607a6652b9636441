/**
 * EtcdStorage: the only code that talks to etcd.
 *
 * Contract:
 * - Objects are stored as JSON without `metadata.resourceVersion`; on the way out the resourceVersion is
 *   the key's etcd mod_revision (objects) or the response header revision (lists), so resourceVersions
 *   are comparable across all resources, as upstream's are.
 * - Every write is one etcd transaction guarded by a compare: create requires that the key does not
 *   exist, update and delete require the mod_revision the caller read. Extra compares and operations
 *   (e.g. IP allocations) ride in the same transaction, so a write either happens whole or not at all.
 * - A failed compare is reported as `StorageConflict`; callers map it to 409 (or retry, for updates
 *   that carry no precondition from the client).
 * - Lists can be paged: the continue token pins the revision of the first page, so pages form one
 *   consistent snapshot; a token older than the compaction window is `StorageExpired`.
 * - Resources given a ValueTransformer (Secrets, under an encryption config) pass every value through
 *   it on the way in and out, wherever values cross: reads, lists, writes, conflicts and watch events
 *   (`decoderFor`). Every other resource takes the plain path, decided once per call by key prefix.
 *   A value that does not transform is a 500 naming the key and the problem, never the value; one
 *   that is not stored as a write would store it now is `isStale`, so an update rewrites it.
 */
import type { Etcd3, IKeyValue, IRequestOp, IResponseOp, ICompare } from 'etcd3';
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import { ApiError } from '../api-error.js';
import type { KvCalls } from './etcd-kv-channel.js';
import { ValueTransformError } from './value-transformer.js';
import type { ValueTransformer } from './value-transformer.js';

export class StorageConflict extends Error {
  /**
   * @param current what the key holds now (read in the same transaction), so a retry needs no
   * extra round trip; undefined when the key does not exist.
   */
  constructor(
    readonly key: string,
    readonly current?: KubeObject,
  ) {
    super(`conflict on ${key}`);
  }
}

export class StorageExpired extends Error {}

export interface StoredList {
  items: KubeObject[];
  revision: number;
  /** Present when more items follow; pass it back as `continueToken`. */
  continueToken?: string;
}

/** Compares and operations that must succeed or fail together with a storage write. */
export interface TxnExtras {
  compares: ICompare[];
  operations: IRequestOp[];
}

const NO_EXTRAS: TxnExtras = { compares: [], operations: [] };

export function rangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** A stored key-value as an object, stamped with `revision` (default: the key's mod_revision). */
export type KvDecoder = (kv: IKeyValue, revision?: string | number) => KubeObject;

export function decode(kv: IKeyValue, revision: string | number = kv.mod_revision): KubeObject {
  return decodeValue(kv.value, revision);
}

function decodeValue(value: Buffer, revision: string | number): KubeObject {
  const obj = JSON.parse(value.toString('utf8')) as KubeObject;
  // A freshly parsed object is nobody else's: its metadata can take the resourceVersion in place.
  const metadata: unknown = obj.metadata;
  if (isPlainObject(metadata)) metadata.resourceVersion = String(revision);
  else obj.metadata = { ...(metadata as object), resourceVersion: String(revision) };
  return obj;
}

export function encode(obj: KubeObject): Buffer {
  // New objects carry no resourceVersion: they serialise as they are, without a copy.
  if (obj.metadata.resourceVersion === undefined) return Buffer.from(JSON.stringify(obj));
  const { resourceVersion: _ignored, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

interface ContinueState {
  rev: number;
  start: string;
}

function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeContinue(token: string): ContinueState | undefined {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueState;
    if (typeof state.rev === 'number' && typeof state.start === 'string') return state;
  } catch {
    // fall through: a token that is not ours is a bad request, decided by the caller
  }
  return undefined;
}

function untransformable(key: string, err: unknown): unknown {
  if (!(err instanceof ValueTransformError)) return err;
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: unable to transform key "${key}": ${err.message}`,
  );
}

interface EncryptedResource {
  /** `<prefix>/<resource>/`: every key of the resource starts with it. */
  keyPrefix: string;
  transformer: ValueTransformer;
  decode: KvDecoder;
}

function encryptedResource(
  keyPrefix: string,
  transformer: ValueTransformer,
  stale: WeakSet<KubeObject>,
): EncryptedResource {
  return {
    keyPrefix,
    transformer,
    decode: (kv, revision = kv.mod_revision) => {
      const key = kv.key.toString('utf8');
      let read: { value: Buffer; stale: boolean };
      try {
        read = transformer.fromStorage(kv.value, key);
      } catch (err) {
        throw untransformable(key, err);
      }
      const obj = decodeValue(read.value, revision);
      if (read.stale) stale.add(obj);
      return obj;
    },
  };
}

function isCompactedError(err: unknown): boolean {
  return err instanceof Error && /compacted/i.test(err.message);
}

export class EtcdStorage {
  private readonly encrypted: EncryptedResource[];
  private readonly staleObjects = new WeakSet<KubeObject>();

  /**
   * @param kv how Range and Txn reach etcd: the client's own calls unless a leaner channel to the
   * same etcd is given (`kvCallsFor`).
   * @param transformers by resource (plural, e.g. `secrets`): how that resource's values are stored.
   */
  constructor(
    readonly client: Etcd3,
    readonly prefix = '/registry',
    private readonly kv: KvCalls = client.kv,
    transformers: Readonly<Record<string, ValueTransformer>> = {},
  ) {
    this.encrypted = Object.entries(transformers).map(([resource, transformer]) =>
      encryptedResource(`${prefix}/${resource}/`, transformer, this.staleObjects),
    );
  }

  /**
   * Whether `obj`, as read from here, is stored other than a write would store it now (e.g. under an
   * old encryption key): an update must then write even if nothing changed.
   */
  isStale(obj: KubeObject): boolean {
    return this.staleObjects.has(obj);
  }

  /**
   * How to decode values read at `keyOrPrefix` (one key, or the prefix of a list or watch): plain
   * `decode` unless an encrypted resource's keys can be among them.
   */
  decoderFor(keyOrPrefix: string): KvDecoder {
    if (this.encrypted.length === 0) return decode;
    const within = this.encrypted.find((e) => keyOrPrefix.startsWith(e.keyPrefix));
    if (within) return within.decode;
    const spanned = this.encrypted.filter((e) => e.keyPrefix.startsWith(keyOrPrefix));
    if (spanned.length === 0) return decode;
    // A prefix above whole resources (e.g. the registry root): decided key by key.
    return (kv, revision) => {
      const key = kv.key.toString('utf8');
      const resource = spanned.find((e) => key.startsWith(e.keyPrefix));
      return resource ? resource.decode(kv, revision) : decode(kv, revision);
    };
  }

  private encodeFor(key: string, obj: KubeObject): Buffer {
    const value = encode(obj);
    if (this.encrypted.length === 0) return value;
    const resource = this.encrypted.find((e) => key.startsWith(e.keyPrefix));
    return resource ? resource.transformer.toStorage(value, key) : value;
  }

  async get(key: string): Promise<KubeObject | undefined> {
    const res = await this.kv.range({ key: Buffer.from(key) });
    return res.kvs.length ? this.decoderFor(key)(res.kvs[0]) : undefined;
  }

  /** The current etcd revision: what a list taken now would report. */
  async currentRevision(): Promise<number> {
    const res = await this.kv.range({ key: Buffer.from(this.prefix), count_only: true });
    return Number(res.header.revision);
  }

  async list(prefix: string, opts: { limit?: number; continueToken?: string } = {}): Promise<StoredList> {
    let start = Buffer.from(prefix);
    let revision: number | undefined;
    if (opts.continueToken) {
      const state = decodeContinue(opts.continueToken);
      if (!state || !state.start.startsWith(prefix)) throw new TypeError('invalid continue token');
      start = Buffer.from(state.start);
      revision = state.rev;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let res;
    try {
      res = await this.kv.range({
        key: start,
        range_end: rangeEnd(prefix),
        limit,
        revision: revision ?? 0,
      });
    } catch (err) {
      if (isCompactedError(err)) throw new StorageExpired('the continue token is too old');
      throw err;
    }
    const listRevision = revision ?? Number(res.header.revision);
    const decodeItem = this.decoderFor(prefix);
    const items = res.kvs.map((kv) => decodeItem(kv));
    const result: StoredList = { items, revision: listRevision };
    if (res.more && res.kvs.length > 0) {
      const last = res.kvs[res.kvs.length - 1].key.toString('utf8');
      result.continueToken = encodeContinue({ rev: listRevision, start: `${last}\x00` });
    }
    return result;
  }

  async create(key: string, obj: KubeObject, extras: TxnExtras = NO_EXTRAS): Promise<KubeObject> {
    const k = Buffer.from(key);
    const res = await this.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }, ...extras.compares],
      success: [{ request_put: { key: k, value: this.encodeFor(key, obj) } }, ...extras.operations],
      failure: [],
    });
    if (!res.succeeded) throw new StorageConflict(key);
    return withRevision(obj, Number(res.header.revision));
  }

  /** Replaces the object if its mod_revision is still `expectedRevision`. */
  async update(
    key: string,
    obj: KubeObject,
    expectedRevision: number,
    extras: TxnExtras = NO_EXTRAS,
  ): Promise<KubeObject> {
    const k = Buffer.from(key);
    const res = await this.kv.txn({
      compare: [
        { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision },
        ...extras.compares,
      ],
      success: [{ request_put: { key: k, value: this.encodeFor(key, obj) } }, ...extras.operations],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw new StorageConflict(key, currentFrom(res.responses, this.decoderFor(key)));
    return withRevision(obj, Number(res.header.revision));
  }

  /** Deletes the object if its mod_revision is still `expectedRevision`; returns the deletion revision. */
  async delete(key: string, expectedRevision: number, extras: TxnExtras = NO_EXTRAS): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.kv.txn({
      compare: [
        { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision },
        ...extras.compares,
      ],
      success: [{ request_delete_range: { key: k } }, ...extras.operations],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw new StorageConflict(key, currentFrom(res.responses, this.decoderFor(key)));
    return Number(res.header.revision);
  }

  /** Drops history up to `revision`: watches and continue tokens from before it get 410 from then on. */
  async compact(revision: number): Promise<void> {
    try {
      await this.client.kv.compact({ revision, physical: false });
    } catch (err) {
      // Compacting to a revision at or below the last compaction is a no-op for our purposes.
      if (!isCompactedError(err)) throw err;
    }
  }
}

function currentFrom(responses: IResponseOp[], decodeKv: KvDecoder): KubeObject | undefined {
  const kv = responses[0]?.response_range?.kvs[0];
  return kv ? decodeKv(kv) : undefined;
}

export function withRevision(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
