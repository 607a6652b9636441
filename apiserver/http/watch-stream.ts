/**
 * Serves `?watch=true`: one JSON watch event per line over a chunked response.
 *
 * - Headers go out at once: clients such as `kubectl wait` block until they see them.
 * - Without a resourceVersion (or with "0") the current matching objects come first as ADDED events.
 * - An update that moves an object into or out of the selectors is sent as ADDED or DELETED, as
 *   upstream does, so a filtered watcher always holds exactly the matching set.
 * - The stream ends cleanly (final chunk) on timeout, server shutdown or a broken etcd watch, so
 *   informers re-watch instead of giving up; a compacted resourceVersion gets an ERROR 410 event and
 *   then the end of the stream, which makes informers relist.
 */
import type { Request, Response } from 'express';
import type { KubeObject, WatchEvent } from '../api-object.js';
import { ApiError, badRequest, gone } from '../api-error.js';
import { apiVersionOf } from '../resource-registry.js';
import type { ListOptions, ResourceStore, Scope } from '../rest/resource-store.js';
import { StorageExpired } from '../storage/etcd-storage.js';
import type { EtcdStorage } from '../storage/etcd-storage.js';
import type { EventSink, StorageEvent, Subscription, WatchCache } from '../storage/watch-cache.js';
import { watchEtcdDirect } from '../storage/watch-cache.js';

export interface WatchRequest {
  scope: Scope;
  selectors: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /**
   * Converts each event object for the response (e.g. to a one-row Table). Without it the object is
   * sent as it is, and the line for an event is serialised once and shared by every such watcher.
   */
  render?: (obj: KubeObject, first: boolean) => unknown;
}

export interface WatchDeps {
  store: ResourceStore;
  storage: EtcdStorage;
  cacheFor: (plural: string) => WatchCache;
  bookmarkIntervalMs: number;
  /** Called with a function that ends this stream cleanly, so shutdown can end every watch. */
  register: (end: () => void) => () => void;
}

/**
 * The serialised lines of the event being fanned out, by event type and type meta. The watch cache
 * hands the same object to every watcher of a resource one event at a time, so with many watchers
 * the JSON is built once per change instead of once per watcher. Only the latest object is kept: the
 * lines are not held in memory once the fan-out moved on.
 */
let linesFor: KubeObject | undefined;
let lines = new Map<string, string>();

function sharedLine(
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  obj: KubeObject,
  apiVersion: string,
  kind: string,
): string {
  if (linesFor !== obj) {
    linesFor = obj;
    lines = new Map();
  }
  const key = `${type} ${apiVersion} ${kind}`;
  let line = lines.get(key);
  if (line === undefined) {
    line = `${JSON.stringify({ type, object: { ...obj, apiVersion, kind } })}\n`;
    lines.set(key, line);
  }
  return line;
}

/** Upstream picks a random timeout between the minimum and twice it, so reconnects spread out. */
function defaultTimeoutSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

export async function serveWatch(
  req: Request,
  res: Response,
  watch: WatchRequest,
  deps: WatchDeps,
): Promise<void> {
  const { scope, selectors } = watch;
  const rvText = watch.resourceVersion;
  // The cache must be watching before a list is taken, so the events after the list are in it.
  const cache = deps.cacheFor(scope.resource.plural);
  await cache.ensureStarted();
  let fromRevision: number;
  const initial: KubeObject[] = [];
  if (rvText === undefined || rvText === '' || rvText === '0') {
    const list = await deps.store.list(scope, selectors);
    initial.push(...list.items);
    fromRevision = list.revision;
  } else {
    if (!/^\d+$/.test(rvText)) throw badRequest(`invalid resource version: ${rvText}`);
    fromRevision = Number(rvText);
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let ended = false;
  let first = true;
  let lastRevision = fromRevision;
  let subscription: Subscription | undefined;
  const timers: NodeJS.Timeout[] = [];
  const apiVersion = apiVersionOf(scope.resource);
  const kind = scope.resource.kind;
  let corked = false;
  const writeLine = (line: string) => {
    if (ended) return;
    // Events that arrive in one turn of the event loop (every etcd watch response read in it) leave
    // in one socket write, as upstream flushes a watch only once no further event is queued. Under
    // load that is several events per write instead of one write per event per watcher.
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
    res.write(line);
  };
  const write = (event: WatchEvent<unknown>) => writeLine(`${JSON.stringify(event)}\n`);
  const typed = (obj: KubeObject): KubeObject => ({ ...obj, apiVersion, kind });
  const render = watch.render;
  const send = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject) => {
    if (render) write({ type, object: render(typed(obj), first) });
    else writeLine(sharedLine(type, obj, apiVersion, kind));
    first = false;
  };
  const unregister = deps.register(() => end());
  function end(err?: Error): void {
    if (ended) return;
    if (err instanceof StorageExpired) {
      write({
        type: 'ERROR',
        object: gone(`too old resource version: ${fromRevision} (${err.message})`).toStatus(),
      });
    } else if (err instanceof ApiError) {
      write({ type: 'ERROR', object: err.toStatus() });
    }
    ended = true;
    for (const t of timers) clearTimeout(t);
    subscription?.close();
    unregister();
    res.end();
  }
  req.on('close', () => end());

  for (const obj of initial) send('ADDED', obj);

  const namespaceInfix =
    scope.resource.namespaced && scope.namespace
      ? `/${scope.resource.plural}/${scope.namespace}/`
      : undefined;
  const matches = (obj: KubeObject | undefined) =>
    obj !== undefined && deps.store.matches(scope, obj, selectors);
  const sink: EventSink = {
    onEvent(event: StorageEvent) {
      lastRevision = Math.max(lastRevision, event.revision);
      if (namespaceInfix && !event.key.includes(namespaceInfix)) return;
      const now = matches(event.object);
      if (event.type === 'ADDED') {
        if (now) send('ADDED', event.object);
      } else if (event.type === 'DELETED') {
        if (matches(event.prevObject ?? event.object)) send('DELETED', event.object);
      } else {
        const before = matches(event.prevObject);
        if (before && now) send('MODIFIED', event.object);
        else if (now) send('ADDED', event.object);
        else if (before) send('DELETED', event.object);
      }
    },
    onEnd: (err) => end(err),
  };

  try {
    subscription = cache.subscribe(fromRevision, sink);
    if (!subscription) {
      const prefix = deps.store.collection(scope);
      subscription = await watchEtcdDirect(deps.storage, prefix, fromRevision, sink);
    }
  } catch (err) {
    end(
      err instanceof StorageExpired || err instanceof ApiError
        ? err
        : new ApiError(500, 'InternalError', String(err)),
    );
    return;
  }
  if (ended) subscription.close();

  const timeoutMs =
    (watch.timeoutSeconds && watch.timeoutSeconds > 0 ? watch.timeoutSeconds : defaultTimeoutSeconds()) *
    1000;
  timers.push(setTimeout(() => end(), timeoutMs));
  if (watch.allowBookmarks) {
    const bookmark = () => {
      write({
        type: 'BOOKMARK',
        object: {
          kind: scope.resource.kind,
          apiVersion,
          metadata: { resourceVersion: String(lastRevision) },
        },
      });
      timers.push(setTimeout(bookmark, deps.bookmarkIntervalMs));
    };
    timers.push(setTimeout(bookmark, Math.min(deps.bookmarkIntervalMs, Math.max(0, timeoutMs - 2000))));
  }
}
