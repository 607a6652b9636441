/**
 * WatchCache: one etcd watch per resource, fanned out to every API watch of that resource.
 *
 * Contract:
 * - Events are delivered to each subscriber in etcd revision order, each exactly once, starting
 *   strictly after the revision the subscriber asked for.
 * - The cache remembers at least the last `capacity` events. A subscription from a revision older than that
 *   window is refused (`subscribe` returns undefined) and the caller falls back to a direct etcd watch,
 *   which either replays the history or reports that it was compacted (410).
 * - If the underlying etcd watch fails, every subscriber is ended; clients re-watch from their last
 *   resourceVersion, which the rebuilt cache or a direct watch serves.
 * - Subscriber callbacks run synchronously in the order events arrived; a slow client must buffer on
 *   its own side (the HTTP response does), never block the cache.
 * - Values are decoded with the storage's decoder for the watched prefix, so encrypted resources are
 *   decrypted here too. An event that cannot be decoded ends the etcd watch with that error: a direct
 *   watch reports it to its client, the cache resets and its clients re-watch.
 */
import type { IKeyValue, Watcher } from 'etcd3';
import type { KubeObject } from '../api-object.js';
import { decode, StorageExpired } from './etcd-storage.js';
import type { EtcdStorage, KvDecoder } from './etcd-storage.js';

export interface StorageEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  /** The new state; for DELETED the last state, stamped with the deletion revision. */
  object: KubeObject;
  /** The state before this event (MODIFIED and DELETED), used to detect selector transitions. */
  prevObject?: KubeObject;
  revision: number;
}

export interface EventSink {
  onEvent(event: StorageEvent): void;
  /** The stream is over; `err` is set when the client must resync (e.g. StorageExpired for 410). */
  onEnd(err?: Error): void;
}

export interface Subscription {
  close(): void;
}

export function toStorageEvent(
  kind: 'put' | 'delete',
  kv: IKeyValue,
  prev?: IKeyValue,
  decodeKv: KvDecoder = decode,
): StorageEvent {
  const revision = Number(kv.mod_revision);
  const key = kv.key.toString('utf8');
  if (kind === 'delete') {
    const last = prev ? decodeKv(prev, revision) : { metadata: { resourceVersion: String(revision) } };
    return { type: 'DELETED', key, object: last, prevObject: prev ? decodeKv(prev) : undefined, revision };
  }
  const created = kv.create_revision === kv.mod_revision;
  return {
    type: created ? 'ADDED' : 'MODIFIED',
    key,
    object: decodeKv(kv),
    prevObject: !created && prev ? decodeKv(prev) : undefined,
    revision,
  };
}

/**
 * Watches `prefix` in etcd from just after `fromRevision`, without the cache. Reports StorageExpired
 * when that revision has been compacted away.
 */
export async function watchEtcdDirect(
  storage: EtcdStorage,
  prefix: string,
  fromRevision: number,
  sink: EventSink,
): Promise<Subscription> {
  if (fromRevision > 0) {
    try {
      await storage.client.kv.range({ key: Buffer.from(prefix), count_only: true, revision: fromRevision });
    } catch (err) {
      if (err instanceof Error && /compacted/.test(err.message)) {
        throw new StorageExpired(`too old resource version: ${fromRevision}`);
      }
      if (!(err instanceof Error && /future revision/.test(err.message))) throw err;
    }
  }
  const watcher = startEtcdWatcher(storage, prefix, fromRevision + 1, sink);
  return { close: () => void watcher.cancel().catch(() => undefined) };
}

function startEtcdWatcher(
  storage: EtcdStorage,
  prefix: string,
  startRevision: number,
  sink: EventSink,
): Watcher {
  const decodeKv = storage.decoderFor(prefix);
  const watcher = storage.client
    .watch()
    .prefix(prefix)
    .startRevision(String(startRevision))
    .withPreviousKV()
    .watcher();
  let ended = false;
  const end = (err?: Error) => {
    if (ended) return;
    ended = true;
    void watcher.cancel().catch(() => undefined);
    sink.onEnd(err);
  };
  const deliver = (kind: 'put' | 'delete', kv: IKeyValue, prev: IKeyValue | undefined) => {
    if (ended) return;
    let event: StorageEvent;
    try {
      event = toStorageEvent(kind, kv, prev, decodeKv);
    } catch (err) {
      end(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    sink.onEvent(event);
  };
  watcher.on('put', (kv, prev) => deliver('put', kv, prev));
  watcher.on('delete', (kv, prev) => deliver('delete', kv, prev));
  watcher.on('error', (err) => {
    // etcd cancels a watch whose start revision was compacted; anything else is a broken stream.
    const expired = /compact/i.test(err.message) || /canceled/i.test(err.message);
    end(expired ? new StorageExpired(err.message) : err);
  });
  watcher.on('end', () => end());
  return watcher;
}

export class WatchCache {
  private readonly events: StorageEvent[] = [];
  /** Every event with a revision above this one is in `events` or has not happened yet. */
  private coveredAfter = Number.POSITIVE_INFINITY;
  private readonly subscribers = new Set<EventSink>();
  private watcher: Watcher | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly storage: EtcdStorage,
    readonly prefix: string,
    private readonly capacity = 10000,
  ) {}

  /** Starts the etcd watch once; later calls wait for the same start. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    const revision = await this.storage.currentRevision();
    this.events.length = 0;
    this.coveredAfter = revision;
    this.watcher = startEtcdWatcher(this.storage, this.prefix, revision + 1, {
      onEvent: (event) => this.dispatch(event),
      onEnd: () => this.reset(),
    });
  }

  private dispatch(event: StorageEvent): void {
    this.events.push(event);
    // Trim in batches: dropping one event per event would move the whole window every time.
    if (this.events.length > this.capacity + Math.ceil(this.capacity / 4)) {
      const dropped = this.events.splice(0, this.events.length - this.capacity);
      this.coveredAfter = dropped[dropped.length - 1].revision;
    }
    for (const sink of this.subscribers) sink.onEvent(event);
  }

  private reset(): void {
    this.watcher = undefined;
    this.starting = undefined;
    this.coveredAfter = Number.POSITIVE_INFINITY;
    this.events.length = 0;
    const sinks = [...this.subscribers];
    this.subscribers.clear();
    // A clean end: clients re-watch from their last resourceVersion against the rebuilt cache.
    for (const sink of sinks) sink.onEnd();
  }

  /**
   * Delivers every event after `fromRevision` and then live ones. Returns undefined when the cache
   * no longer holds events that far back.
   */
  subscribe(fromRevision: number, sink: EventSink): Subscription | undefined {
    if (fromRevision < this.coveredAfter) return undefined;
    for (const event of this.events) {
      if (event.revision > fromRevision) sink.onEvent(event);
    }
    this.subscribers.add(sink);
    return { close: () => this.subscribers.delete(sink) };
  }

  stop(): void {
    void this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
    this.starting = undefined;
    const sinks = [...this.subscribers];
    this.subscribers.clear();
    for (const sink of sinks) sink.onEnd();
  }
}
