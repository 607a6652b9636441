/**
 * Informer: a local, indexed, eventually consistent copy of one kind of object (optionally narrowed
 * to a namespace and label/field selectors), with change notifications. client-go's SharedInformer
 * and Reflector in one class, over ApiClient's list and watch.
 *
 * Contract:
 * - It never stops for good until `signal` aborts: it lists, watches from the list's resourceVersion,
 *   and on trouble it backs off (exponentially, on the injected Clock) and carries on:
 *   - the watch ends cleanly (server timeout, server shutdown) → watch again from the last version;
 *   - the watch cannot connect, is cut off, or gets 429/5xx → back off, watch again from the last
 *     version (the server replays what happened meanwhile, or answers 410);
 *   - 410 Gone (HTTP or ERROR event) → list again at once; any other ERROR event, other error or a
 *     failed list → back off and list again.
 * - After every list the cache is resynchronised with it: `onDelete` for cached objects the list no
 *   longer has (with their last cached state), `onAdd` for new ones, `onUpdate` for changed ones.
 * - Events for one object arrive in the order the server made the changes; there is no ordering
 *   across objects. `onUpdate` is only called when the resourceVersion changed. An object recreated
 *   under the same name with a new uid is reported as `onDelete(old)` then `onAdd(new)`. `onDelete`
 *   is only called for objects that were in the cache.
 * - The store is updated before handlers run, so a handler (or a worker it wakes) sees at least that
 *   state in `store`.
 * - Handlers receive the cached objects themselves, deep-frozen: NEVER mutate them. Handlers must be
 *   quick and synchronous: enqueue a key on a WorkQueue and do the work there. A throwing handler is
 *   logged and does not disturb the informer or the other handlers.
 * - `hasSynced()` becomes true once the first full list is in the store (and stays true), which is
 *   when controllers may start their workers; until then the store is partial.
 * - Cached objects always carry `apiVersion` and `kind` (filled in when a list omits them).
 * Not provided: pagination of the initial list, periodic resync.
 */
import type { KubeObject, WatchEvent } from '../apiserver/api-object.js';
import type { ApiClient } from './api-client.js';
import { ApiStatusError, isResourceExpired } from './api-status-error.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';
import { deepFreeze } from './deep-freeze.js';
import { IndexedStore } from './indexed-store.js';
import type { IndexFunc, ReadonlyStore } from './indexed-store.js';
import { metaNamespaceKey } from './keys.js';

export interface InformerEventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> {
  client: Pick<ApiClient, 'list' | 'watch'>;
  apiVersion: string;
  kind: string;
  /** Only this namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `spec.nodeName=node-1` for a kubelet's pods. */
  fieldSelector?: string;
  /** Added to the built-in namespace, controllerUid and nodeName indexes. */
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  /** Retry delays after failures: doubling from initialMs (default 800) up to maxMs (default 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Each watch asks the server to end it after a random time in [min, 2·min) s; default 300. */
  minWatchTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** A watch that ends this soon without a single event is treated as a failure, not a clean end. */
const SHORT_WATCH_MS = 1000;

/** Raised from inside the watch to leave it; the informer decides what to do from `relist`. */
class WatchInterrupted extends Error {
  constructor(
    override readonly cause: unknown,
    readonly relist: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache: IndexedStore<T>;
  private readonly handlers = new Set<InformerEventHandler<T>>();
  private readonly syncWaiters = new Set<() => void>();
  private synced = false;
  private running = false;
  private resourceVersion = '';
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly name: string;

  constructor(private readonly options: InformerOptions<T>) {
    this.cache = new IndexedStore<T>(options.indexers);
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.initialBackoffMs = options.backoff?.initialMs ?? 800;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    const scope = [options.namespace, options.labelSelector, options.fieldSelector].filter(Boolean);
    this.name = `informer ${options.kind}${scope.length ? ` (${scope.join(', ')})` : ''}`;
  }

  /** The cache. Read-only: see the contract about never mutating what it returns. */
  get store(): ReadonlyStore<T> {
    return this.cache;
  }

  /** The resourceVersion the cache is at ('' before the first list). */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /**
   * Registers handlers; returns a function that unregisters them. Handlers added after objects are
   * already cached first get an `onAdd` for each of them, as upstream's shared informer does.
   */
  addEventHandler(handler: InformerEventHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.cache.list()) this.call(() => handler.onAdd?.(obj));
    return () => this.handlers.delete(handler);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.cache.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.syncWaiters.delete(onSynced);
        resolve(false);
      };
      const onSynced = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.syncWaiters.add(onSynced);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Lists and watches until `signal` aborts, then resolves; failures are retried, never raised. The
   * only rejection is for a second `run` while one is going.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.running = true;
    let backoffMs = this.initialBackoffMs;
    const backOff = async (what: string, err: unknown) => {
      const delay = Math.round(backoffMs * (1 + Math.random() * 0.25));
      this.log(`${this.name}: ${what} failed, retrying in ${delay} ms: ${describe(err)}`);
      backoffMs = Math.min(this.maxBackoffMs, backoffMs * 2);
      await this.clock.sleep(delay, signal);
    };
    let needList = true;
    try {
      while (!signal.aborted) {
        if (needList) {
          try {
            await this.listAndResync(signal);
            needList = false;
          } catch (err) {
            if (signal.aborted) break;
            await backOff('list', err);
            continue;
          }
        }
        let events = 0;
        const started = this.clock.now();
        try {
          await this.watchOnce(signal, () => {
            events++;
            backoffMs = this.initialBackoffMs;
          });
          if (signal.aborted) break;
          if (events === 0 && this.clock.now() - started < SHORT_WATCH_MS) {
            await backOff('watch', new Error('the watch ended at once without events'));
          } else {
            backoffMs = this.initialBackoffMs;
          }
        } catch (err) {
          if (signal.aborted) break;
          const cause = err instanceof WatchInterrupted ? err.cause : err;
          if (isResourceExpired(cause)) {
            this.log(`${this.name}: resourceVersion ${this.resourceVersion} is too old, listing again`);
            needList = true;
            continue;
          }
          needList = err instanceof WatchInterrupted ? err.relist : !isRetriable(cause);
          await backOff('watch', cause);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async listAndResync(signal: AbortSignal): Promise<void> {
    const { client, apiVersion, kind, namespace, labelSelector, fieldSelector } = this.options;
    const list = await client.list<T>(apiVersion, kind, { namespace, labelSelector, fieldSelector, signal });
    if (signal.aborted) return;
    const fresh = new Map<string, T>();
    for (const item of list.items) {
      const obj = withTypeMeta(item, apiVersion, kind);
      fresh.set(metaNamespaceKey(obj), obj);
    }
    for (const key of this.cache.listKeys()) {
      if (!fresh.has(key)) this.remove(key, this.cache.get(key)!);
    }
    for (const obj of fresh.values()) this.apply(obj);
    this.resourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of [...this.syncWaiters]) resolve();
      this.syncWaiters.clear();
    }
  }

  private async watchOnce(signal: AbortSignal, onEvent: () => void): Promise<void> {
    const { client, apiVersion, kind, namespace, labelSelector, fieldSelector } = this.options;
    const minTimeout = this.options.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(minTimeout * (1 + Math.random()));
    // The server ends the watch after timeoutSeconds; if a dead connection hides that end, give up on
    // it a little later ourselves and watch again.
    const watchAbort = new AbortController();
    const stop = () => watchAbort.abort();
    signal.addEventListener('abort', stop, { once: true });
    const deadline = this.clock.setTimeout(stop, (timeoutSeconds + 30) * 1000);
    try {
      await client.watch(
        apiVersion,
        kind,
        {
          namespace,
          labelSelector,
          fieldSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          signal: watchAbort.signal,
        },
        (event) => {
          this.handleEvent(event as WatchEvent<T>);
          onEvent();
        },
      );
    } finally {
      signal.removeEventListener('abort', stop);
      this.clock.clearTimeout(deadline);
    }
  }

  private handleEvent(event: WatchEvent<T>): void {
    try {
      this.applyEvent(event);
    } catch (err) {
      // A malformed event must not be retried from the same resourceVersion forever: list instead.
      throw err instanceof WatchInterrupted ? err : new WatchInterrupted(err, true);
    }
  }

  private applyEvent(event: WatchEvent<T>): void {
    const { apiVersion, kind } = this.options;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.apply(withTypeMeta(event.object, apiVersion, kind));
        break;
      case 'DELETED': {
        const obj = withTypeMeta(event.object, apiVersion, kind);
        const key = metaNamespaceKey(obj);
        if (this.cache.get(key)) this.remove(key, obj);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR':
        throw new WatchInterrupted(ApiStatusError.fromStatus(event.object), true);
      default:
        throw new WatchInterrupted(new Error(`unknown watch event type ${String(event.type)}`), true);
    }
    const version = event.object?.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
  }

  /** Puts `obj` into the cache and tells the handlers what changed. */
  private apply(obj: T): void {
    const key = metaNamespaceKey(obj);
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    if (old && old.metadata.uid !== obj.metadata.uid) {
      this.remove(key, old);
      this.apply(obj);
      return;
    }
    this.cache.upsert(obj);
    const current = this.cache.get(key)!;
    for (const handler of [...this.handlers]) {
      this.call(() => (old ? handler.onUpdate?.(old, current) : handler.onAdd?.(current)));
    }
  }

  /** Drops `key` from the cache and reports `last` (its final known state) as deleted. */
  private remove(key: string, last: T): void {
    this.cache.delete(key);
    // A final state from a DELETED event was never cached; it is shared with every handler all the same.
    const reported = deepFreeze(last);
    for (const handler of [...this.handlers]) this.call(() => handler.onDelete?.(reported));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`${this.name}: event handler failed: ${describe(err)}`);
    }
  }
}

function withTypeMeta<T extends KubeObject>(obj: T, apiVersion: string, kind: string): T {
  return obj.apiVersion && obj.kind ? obj : { ...obj, apiVersion, kind };
}

/** Errors after which the same watch can simply be tried again from the same resourceVersion. */
function isRetriable(err: unknown): boolean {
  if (err instanceof ApiStatusError) return err.code === 429 || err.code >= 500;
  // Anything that is not an answer from the server is the network: refused, reset, cut off, timed out.
  return true;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
