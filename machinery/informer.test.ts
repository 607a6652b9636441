import type { KubeList, KubeObject, WatchEvent } from '../apiserver/api-object.js';
import type { ListOptions, WatchOptions } from './api-client.js';
import { ApiStatusError } from './api-status-error.js';
import { FakeClock } from './clock.js';
import { Informer } from './informer.js';

interface OpenWatch {
  options: WatchOptions;
  send(event: WatchEvent): void;
  end(): void;
  fail(err: unknown): void;
}

/** list and watch served from test code: each list answers `state`, each watch is driven by hand. */
class FakeListWatch {
  state: KubeObject[] = [];
  resourceVersion = '10';
  listError: unknown;
  /** The next watch calls fail at once with these, one per call. */
  watchErrors: unknown[] = [];
  lists: ListOptions[] = [];
  watches: OpenWatch[] = [];

  get current(): OpenWatch {
    return this.watches[this.watches.length - 1];
  }

  async list<T extends KubeObject>(_apiVersion: string, kind: string, options: ListOptions = {}) {
    this.lists.push(options);
    if (this.listError) throw this.listError;
    return {
      apiVersion: 'v1',
      kind: `${kind}List`,
      metadata: { resourceVersion: this.resourceVersion },
      items: structuredClone(this.state),
    } as KubeList<T>;
  }

  watch(_apiVersion: string, _kind: string, options: WatchOptions, onEvent: (e: WatchEvent) => void) {
    return new Promise<void>((resolve, reject) => {
      const error = this.watchErrors.shift();
      const watch: OpenWatch = {
        options,
        send: (event) => {
          try {
            onEvent(structuredClone(event));
          } catch (err) {
            reject(err);
          }
        },
        end: resolve,
        fail: reject,
      };
      this.watches.push(watch);
      if (error) reject(error);
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

function pod(name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return { metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: rv }, ...extra };
}

function setup(options: { fieldSelector?: string } = {}) {
  const clock = new FakeClock(0);
  const server = new FakeListWatch();
  const logs: string[] = [];
  const informer = new Informer({
    client: server,
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: 'ns',
    fieldSelector: options.fieldSelector,
    clock,
    backoff: { initialMs: 100, maxMs: 1000 },
    log: (line) => logs.push(line),
  });
  const events: string[] = [];
  informer.addEventHandler({
    onAdd: (obj) => events.push(`add ${obj.metadata.name}@${obj.metadata.resourceVersion}`),
    onUpdate: (old, obj) =>
      events.push(
        `update ${obj.metadata.name}@${old.metadata.resourceVersion}->${obj.metadata.resourceVersion}`,
      ),
    onDelete: (obj) => events.push(`delete ${obj.metadata.name}@${obj.metadata.resourceVersion}`),
  });
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const start = async () => {
    running = informer.run(controller.signal);
    await clock.advance(0);
  };
  const stop = async () => {
    controller.abort();
    await running;
  };
  return { clock, server, informer, events, logs, start, stop };
}

const cachedNames = (informer: Informer) =>
  informer.store
    .list()
    .map((o) => o.metadata.name)
    .sort();

describe('Informer', () => {
  it('lists, fires add for each object, reports synced, then watches from the list version', async () => {
    const { server, informer, events, start, stop } = setup({ fieldSelector: 'spec.nodeName=n1' });
    server.state = [pod('a', '5'), pod('b', '7')];
    expect(informer.hasSynced()).toBe(false);
    const synced = informer.waitForSync();
    await start();
    expect(await synced).toBe(true);
    expect(informer.hasSynced()).toBe(true);
    expect(events).toEqual(['add a@5', 'add b@7']);
    expect(server.lists).toEqual([
      expect.objectContaining({ namespace: 'ns', fieldSelector: 'spec.nodeName=n1' }),
    ]);
    expect(server.current.options).toMatchObject({
      namespace: 'ns',
      fieldSelector: 'spec.nodeName=n1',
      resourceVersion: '10',
      allowWatchBookmarks: true,
    });
    expect(informer.store.get('ns/a')).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    await stop();
  });

  it('applies watch events to the store and tells the handlers', async () => {
    const { server, informer, events, start, stop } = setup();
    server.state = [pod('a', '5')];
    await start();
    server.current.send({ type: 'ADDED', object: pod('b', '11') });
    server.current.send({ type: 'MODIFIED', object: pod('a', '12', { spec: { x: 1 } }) });
    server.current.send({ type: 'DELETED', object: pod('b', '13') });
    expect(events).toEqual(['add a@5', 'add b@11', 'update a@5->12', 'delete b@13']);
    expect(cachedNames(informer)).toEqual(['a']);
    expect(informer.store.get('ns/a')?.spec).toEqual({ x: 1 });
    expect(informer.lastSyncResourceVersion).toBe('13');
    await stop();
  });

  it('skips updates that do not change the resourceVersion and deletes of unknown objects', async () => {
    const { server, events, start, stop } = setup();
    server.state = [pod('a', '5')];
    await start();
    server.current.send({ type: 'MODIFIED', object: pod('a', '5') });
    server.current.send({ type: 'DELETED', object: pod('ghost', '14') });
    expect(events).toEqual(['add a@5']);
    await stop();
  });

  it('reports an object recreated under the same name as a delete and an add', async () => {
    const { server, events, start, stop } = setup();
    server.state = [pod('a', '5')];
    await start();
    server.current.send({
      type: 'MODIFIED',
      object: { ...pod('a', '20'), metadata: { ...pod('a', '20').metadata, uid: 'new' } },
    });
    expect(events).toEqual(['add a@5', 'delete a@5', 'add a@20']);
    await stop();
  });

  it('watches again from the last version after a clean end, without listing', async () => {
    const { clock, server, start, stop } = setup();
    await start();
    server.current.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } });
    await clock.advance(5000);
    server.current.end();
    await clock.advance(0);
    expect(server.watches).toHaveLength(2);
    expect(server.current.options.resourceVersion).toBe('42');
    expect(server.lists).toHaveLength(1);
    await stop();
  });

  it('lists again at once on an ERROR 410 event and resyncs the cache with the new list', async () => {
    const { clock, server, informer, events, start, stop } = setup();
    server.state = [pod('stays', '1'), pod('changes', '2'), pod('vanishes', '3')];
    await start();
    events.length = 0;
    server.state = [pod('stays', '1'), pod('changes', '8'), pod('appears', '9')];
    server.resourceVersion = '50';
    server.current.send({
      type: 'ERROR',
      object: { kind: 'Status', metadata: {}, code: 410, reason: 'Expired' },
    });
    await clock.advance(0);
    expect(server.lists).toHaveLength(2);
    expect(events).toEqual(['delete vanishes@3', 'update changes@2->8', 'add appears@9']);
    expect(cachedNames(informer)).toEqual(['appears', 'changes', 'stays']);
    expect(server.current.options.resourceVersion).toBe('50');
    await stop();
  });

  it('lists again at once when the watch is answered 410', async () => {
    const { clock, server, start, stop } = setup();
    await start();
    server.watchErrors.push(ApiStatusError.fromResponse(410, undefined));
    await clock.advance(5000);
    server.current.end();
    await clock.advance(0);
    expect(server.lists).toHaveLength(2);
    await stop();
  });

  it('backs off and lists again after another ERROR event', async () => {
    const { clock, server, start, stop, logs } = setup();
    await start();
    server.current.send({
      type: 'ERROR',
      object: { kind: 'Status', metadata: {}, code: 500, reason: 'InternalError', message: 'boom' },
    });
    await clock.advance(99);
    expect(server.lists).toHaveLength(1);
    await clock.advance(30);
    expect(server.lists).toHaveLength(2);
    expect(logs[0]).toMatch(/watch failed, retrying in \d+ ms: boom/);
    await stop();
  });

  it('retries an unreachable server with growing delays and resumes the watch from where it was', async () => {
    const { clock, server, start, stop } = setup();
    await start();
    server.current.send({ type: 'ADDED', object: pod('a', '11') });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    server.watchErrors.push(refused, refused, refused);
    server.current.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const attemptsAt: number[] = [];
    for (let t = 0; t < 2000; t += 10) {
      const before = server.watches.length;
      await clock.advance(10);
      if (server.watches.length > before) attemptsAt.push(clock.now());
    }
    expect(attemptsAt).toHaveLength(4);
    const gaps = attemptsAt.map((t, i) => t - (i === 0 ? 0 : attemptsAt[i - 1]));
    // 100, 200, 400, 800 ms, each with up to 25 % jitter (and the 10 ms step of this loop).
    [100, 200, 400, 800].forEach((base, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(base);
      expect(gaps[i]).toBeLessThanOrEqual(base * 1.25 + 10);
    });
    expect(server.lists).toHaveLength(1);
    expect(server.current.options.resourceVersion).toBe('11');
    await stop();
  });

  it('keeps retrying a failing list, capped at the maximum delay, and syncs once it works', async () => {
    const { clock, server, informer, start, stop } = setup();
    server.listError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await start();
    await clock.advance(10_000);
    const failed = server.lists.length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(20);
    expect(informer.hasSynced()).toBe(false);
    server.listError = undefined;
    server.state = [pod('a', '1')];
    await clock.advance(1300);
    expect(informer.hasSynced()).toBe(true);
    expect(cachedNames(informer)).toEqual(['a']);
    await stop();
  });

  it('treats a watch that ends at once without events as a failure', async () => {
    const { clock, server, start, stop } = setup();
    await start();
    server.current.end();
    await clock.advance(50);
    expect(server.watches).toHaveLength(1);
    await clock.advance(100);
    expect(server.watches).toHaveLength(2);
    await stop();
  });

  it('lists again when an event cannot be applied, instead of retrying it forever', async () => {
    const { clock, server, start, stop } = setup();
    await start();
    server.current.send({ type: 'ADDED', object: { metadata: { resourceVersion: '12' } } });
    await clock.advance(200);
    expect(server.lists).toHaveLength(2);
    await stop();
  });

  it('keeps going when a handler throws, and the other handlers still hear about it', async () => {
    const { server, informer, events, start, stop, logs } = setup();
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    await start();
    server.current.send({ type: 'ADDED', object: pod('a', '11') });
    server.current.send({ type: 'ADDED', object: pod('b', '12') });
    expect(events).toEqual(['add a@11', 'add b@12']);
    expect(logs.filter((l) => l.includes('handler bug'))).toHaveLength(2);
    await stop();
  });

  it('replays the cache to a handler added late, and stops calling a removed one', async () => {
    const { server, informer, start, stop } = setup();
    server.state = [pod('a', '1'), pod('b', '2')];
    await start();
    const late: string[] = [];
    const remove = informer.addEventHandler({ onAdd: (obj) => late.push(obj.metadata.name!) });
    expect(late.sort()).toEqual(['a', 'b']);
    remove();
    server.current.send({ type: 'ADDED', object: pod('c', '11') });
    expect(late).toHaveLength(2);
    await stop();
  });

  it('hands out frozen objects, including the final state of a deleted one', async () => {
    const { server, informer, start, stop } = setup();
    server.state = [pod('a', '1')];
    let deleted: KubeObject | undefined;
    informer.addEventHandler({ onDelete: (obj) => (deleted = obj) });
    await start();
    expect(Object.isFrozen(informer.store.get('ns/a')!.metadata)).toBe(true);
    server.current.send({ type: 'DELETED', object: pod('a', '11') });
    expect(deleted?.metadata.resourceVersion).toBe('11');
    expect(Object.isFrozen(deleted!.metadata)).toBe(true);
    await stop();
  });

  it('waitForSync gives up with false when its signal aborts first', async () => {
    const { informer } = setup();
    const controller = new AbortController();
    const waiting = informer.waitForSync(controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
  });

  it('stops for good only when its signal aborts, and refuses a second concurrent run', async () => {
    const { server, informer, start, stop } = setup();
    await start();
    await expect(informer.run(new AbortController().signal)).rejects.toThrow('already running');
    await stop();
    expect(server.watches).toHaveLength(1);
  });
});
