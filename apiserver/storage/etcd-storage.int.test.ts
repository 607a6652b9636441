import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { EtcdStorage, StorageConflict, StorageExpired } from './etcd-storage.js';
import { EtcdKvChannel } from './etcd-kv-channel.js';
import { WatchCache, watchEtcdDirect } from './watch-cache.js';
import { EtcdCompactor } from './etcd-compactor.js';
import type { StorageEvent, Subscription } from './watch-cache.js';
import { testEtcdUrl } from '../../e2e/support/test-etcd.js';
import { waitFor } from '../../e2e/support/wait-for.js';

describe.each([
  ['the etcd3 client', false],
  ['the lean KV channel', true],
])('EtcdStorage against a real etcd, calling it through %s', (_via, lean) => {
  let client: Etcd3;
  let channel: EtcdKvChannel | undefined;
  let storage: EtcdStorage;
  let prefix: string;

  beforeAll(() => {
    client = new Etcd3({ hosts: [testEtcdUrl()] });
    if (lean) channel = new EtcdKvChannel(testEtcdUrl(), client.kv);
  });
  beforeEach(() => {
    prefix = `/kubicle-storage-test-${randomBytes(6).toString('hex')}`;
    storage = new EtcdStorage(client, prefix, channel ?? client.kv);
  });
  afterEach(async () => {
    await client.delete().prefix(`${prefix}/`);
  });
  afterAll(() => {
    channel?.close();
    client.close();
  });

  const pod = (name: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name, namespace: 'default' },
    ...extra,
  });

  it('creates once: a second create of the same key conflicts', async () => {
    const key = `${prefix}/pods/default/a`;
    const created = await storage.create(key, pod('a'));
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    await expect(storage.create(key, pod('a'))).rejects.toBeInstanceOf(StorageConflict);
    const read = await storage.get(key);
    expect(read?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('lets exactly one of 100 concurrent updates from the same revision win, round after round', async () => {
    const key = `${prefix}/pods/default/contended`;
    let current = await storage.create(key, pod('contended', { spec: { round: 0 } }));
    for (let round = 1; round <= 5; round++) {
      const expected = Number(current.metadata.resourceVersion);
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) =>
          storage.update(key, pod('contended', { spec: { round, writer: i } }), expected),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers.every((r) => (r as PromiseRejectedResult).reason instanceof StorageConflict)).toBe(true);
      current = (await storage.get(key))!;
      const winner = (winners[0] as PromiseFulfilledResult<typeof current>).value;
      expect(current.spec).toEqual(winner.spec);
      expect(current.metadata.resourceVersion).toBe(winner.metadata.resourceVersion);
    }
  });

  it('pages a list as one snapshot with continue tokens', async () => {
    for (let i = 0; i < 7; i++) await storage.create(`${prefix}/pods/default/p${i}`, pod(`p${i}`));
    const first = await storage.list(`${prefix}/pods/`, { limit: 3 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['p0', 'p1', 'p2']);
    // A write after the first page must not show up in later pages: they read the first page's revision.
    await storage.create(`${prefix}/pods/default/p3a`, pod('p3a'));
    const second = await storage.list(`${prefix}/pods/`, { limit: 3, continueToken: first.continueToken });
    const third = await storage.list(`${prefix}/pods/`, { limit: 3, continueToken: second.continueToken });
    expect([...second.items, ...third.items].map((o) => o.metadata.name)).toEqual(['p3', 'p4', 'p5', 'p6']);
    expect(third.continueToken).toBeUndefined();
    expect(second.revision).toBe(first.revision);
  });

  it('refuses a continue token whose revision was compacted away as expired', async () => {
    for (let i = 0; i < 3; i++) await storage.create(`${prefix}/pods/default/p${i}`, pod(`p${i}`));
    const first = await storage.list(`${prefix}/pods/`, { limit: 1 });
    const later = await storage.create(`${prefix}/pods/default/later`, pod('later'));
    await storage.compact(Number(later.metadata.resourceVersion));
    await expect(
      storage.list(`${prefix}/pods/`, { limit: 1, continueToken: first.continueToken }),
    ).rejects.toBeInstanceOf(StorageExpired);
  });

  function collect(): {
    events: StorageEvent[];
    ended: Error[] | undefined[];
    sink: { onEvent: (e: StorageEvent) => void; onEnd: (e?: Error) => void };
  } {
    const events: StorageEvent[] = [];
    const ended: (Error | undefined)[] = [];
    return {
      events,
      ended: ended as Error[],
      sink: { onEvent: (e) => events.push(e), onEnd: (e) => ended.push(e) },
    };
  }

  it('resumes a watch from a resourceVersion, through the cache and directly', async () => {
    const a = await storage.create(`${prefix}/pods/default/a`, pod('a'));
    const cache = new WatchCache(storage, `${prefix}/pods/`);
    await cache.ensureStarted();
    const from = Number(a.metadata.resourceVersion);
    const b = await storage.create(`${prefix}/pods/default/b`, pod('b'));
    const a2 = await storage.update(`${prefix}/pods/default/a`, pod('a', { spec: { v: 2 } }), from);
    await storage.delete(`${prefix}/pods/default/b`, Number(b.metadata.resourceVersion));

    const cached = collect();
    await waitFor(() => cache.subscribe(Number(b.metadata.resourceVersion) - 1, cached.sink), {
      what: 'cache to cover',
    });
    const direct = collect();
    const sub: Subscription = await watchEtcdDirect(storage, `${prefix}/pods/`, from, direct.sink);
    for (const seen of [cached.events, direct.events]) {
      await waitFor(() => seen.length >= 3, { what: 'three events' });
      expect(seen.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'b'],
        ['MODIFIED', 'a'],
        ['DELETED', 'b'],
      ]);
      expect(seen[1].object.metadata.resourceVersion).toBe(a2.metadata.resourceVersion);
      expect(seen[1].prevObject?.spec).toBeUndefined();
    }
    sub.close();
    cache.stop();
  });

  it('reports a watch from a compacted revision as expired (410)', async () => {
    const a = await storage.create(`${prefix}/pods/default/a`, pod('a'));
    const old = Number(a.metadata.resourceVersion);
    let current = a;
    for (let i = 0; i < 3; i++)
      current = await storage.update(
        `${prefix}/pods/default/a`,
        pod('a', { spec: { i } }),
        Number(current.metadata.resourceVersion),
      );
    await storage.compact(Number(current.metadata.resourceVersion));
    await expect(watchEtcdDirect(storage, `${prefix}/pods/`, old, collect().sink)).rejects.toBeInstanceOf(
      StorageExpired,
    );
  });

  it('compacts history older than one interval, so watches from before it expire', async () => {
    const a = await storage.create(`${prefix}/pods/default/a`, pod('a'));
    const compactor = new EtcdCompactor(storage, 60_000, () => undefined);
    await compactor.tick(); // remembers the current revision, compacts nothing yet
    const sub = await watchEtcdDirect(
      storage,
      `${prefix}/pods/`,
      Number(a.metadata.resourceVersion),
      collect().sink,
    );
    sub.close();
    await storage.update(
      `${prefix}/pods/default/a`,
      pod('a', { spec: { v: 2 } }),
      Number(a.metadata.resourceVersion),
    );
    await compactor.tick(); // compacts up to the revision seen at the first tick
    await expect(
      watchEtcdDirect(storage, `${prefix}/pods/`, Number(a.metadata.resourceVersion) - 1, collect().sink),
    ).rejects.toBeInstanceOf(StorageExpired);
  });
});
