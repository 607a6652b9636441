import type { KubeList, KubeObject, WatchEvent } from '../apiserver/api-object.js';
import type { ListOptions, WatchOptions } from '../machinery/api-client.js';
import { FakeClock } from '../machinery/clock.js';
import type { Container, Pod } from './api-types.js';
import { ReferencedObjects, diffReferences, podReferences, referenceKey } from './referenced-objects.js';
import { makeContainer, makePod } from './testing/builders.js';

const keysOf = (pod: Pod) => podReferences(pod).map(referenceKey);

describe('podReferences', () => {
  const withVolumes = (volumes: NonNullable<Pod['spec']>['volumes']) => {
    const pod = makePod();
    pod.spec!.volumes = volumes;
    return pod;
  };
  const withContainer = (extra: Partial<Container>, where: 'containers' | 'initContainers' = 'containers') =>
    makePod({
      [where]: [makeContainer('c', extra)],
      ...(where === 'initContainers' ? { containers: ['app'] } : {}),
    });

  it.each<[string, Pod, string[]]>([
    ['nothing', makePod(), []],
    ['a configMap volume', withVolumes([{ name: 'v', configMap: { name: 'cm' } }]), ['ConfigMap/default/cm']],
    ['a secret volume', withVolumes([{ name: 'v', secret: { secretName: 's' } }]), ['Secret/default/s']],
    [
      'projected sources, downwardAPI ignored',
      withVolumes([
        {
          name: 'v',
          projected: {
            sources: [
              { configMap: { name: 'pcm' } },
              { secret: { name: 'ps' } },
              { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
            ],
          },
        },
      ]),
      ['ConfigMap/default/pcm', 'Secret/default/ps'],
    ],
    ['an emptyDir', withVolumes([{ name: 'v', emptyDir: {} }]), []],
    [
      'env valueFrom keyRefs',
      withContainer({
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'b' } } },
          { name: 'C', value: 'plain' },
          { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      }),
      ['ConfigMap/default/cm', 'Secret/default/s'],
    ],
    [
      'envFrom',
      withContainer({
        envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 's' }, prefix: 'X_' }],
      }),
      ['ConfigMap/default/cm', 'Secret/default/s'],
    ],
    [
      'init containers',
      withContainer({ envFrom: [{ secretRef: { name: 'init-s' } }] }, 'initContainers'),
      ['Secret/default/init-s'],
    ],
    [
      'one object used many ways, counted once',
      (() => {
        const pod = withContainer({
          envFrom: [{ configMapRef: { name: 'cm' } }],
          env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } }],
        });
        pod.spec!.volumes = [{ name: 'v', configMap: { name: 'cm' } }];
        return pod;
      })(),
      ['ConfigMap/default/cm'],
    ],
    [
      'same name, both kinds',
      withVolumes([
        { name: 'a', configMap: { name: 'x' } },
        { name: 'b', secret: { secretName: 'x' } },
      ]),
      ['ConfigMap/default/x', 'Secret/default/x'],
    ],
    ['no name', withVolumes([{ name: 'v', secret: {} }]), []],
    [
      'the pod namespace',
      makePod(
        { containers: [makeContainer('c', { envFrom: [{ secretRef: { name: 's' } }] })] },
        { namespace: 'ns1' },
      ),
      ['Secret/ns1/s'],
    ],
    [
      'imagePullSecrets are not read by the kubelet through this cache',
      (() => {
        const pod = makePod();
        pod.spec!.imagePullSecrets = [{ name: 'registry' }];
        return pod;
      })(),
      [],
    ],
  ])('%s', (_what, pod, expected) => {
    expect(keysOf(pod)).toEqual(expected);
  });

  it('covers ephemeral containers', () => {
    const pod = makePod();
    pod.spec!.ephemeralContainers = [{ name: 'debug', envFrom: [{ configMapRef: { name: 'dbg' } }] }];
    expect(keysOf(pod)).toEqual(['ConfigMap/default/dbg']);
  });
});

describe('diffReferences', () => {
  it.each<[string, string[], string[], Record<string, number>, string[], string[]]>([
    ['first holder starts', [], ['a'], {}, ['a'], []],
    ['another holder starts nothing', [], ['a'], { a: 1 }, [], []],
    ['last holder leaving stops', ['a'], [], { a: 1 }, [], ['a']],
    ['one holder of two leaving stops nothing', ['a'], [], { a: 2 }, [], []],
    ['unchanged references do nothing', ['a', 'b'], ['a', 'b'], { a: 1, b: 1 }, [], []],
    ['a swap', ['a'], ['b'], { a: 1 }, ['b'], ['a']],
    ['a swap onto a shared one', ['a'], ['b'], { a: 1, b: 3 }, [], ['a']],
  ])('%s', (_what, oldKeys, newKeys, holders, start, stop) => {
    expect(diffReferences(oldKeys, newKeys, new Map(Object.entries(holders)))).toEqual({ start, stop });
  });
});

/** list and watch served from memory, answering each field selector on metadata.name as the server would. */
class FakeServer {
  objects: KubeObject[] = [];
  version = 10;
  lists: { kind: string; options: ListOptions }[] = [];
  watches: { kind: string; options: WatchOptions; send(e: WatchEvent): void; open: boolean }[] = [];
  /** Lists wait for this, so a test decides when the first list comes back. */
  gate: Promise<void> = Promise.resolve();

  private matches(kind: string, options: { namespace?: string; fieldSelector?: string }, obj: KubeObject) {
    const name = /^metadata\.name=(.*)$/.exec(options.fieldSelector ?? '')?.[1];
    return (
      obj.kind === kind &&
      (!options.namespace || obj.metadata.namespace === options.namespace) &&
      (name === undefined || obj.metadata.name === name)
    );
  }

  async list<T extends KubeObject>(_apiVersion: string, kind: string, options: ListOptions = {}) {
    this.lists.push({ kind, options });
    await this.gate;
    return {
      apiVersion: 'v1',
      kind: `${kind}List`,
      metadata: { resourceVersion: String(this.version) },
      items: structuredClone(this.objects.filter((o) => this.matches(kind, options, o))),
    } as KubeList<T>;
  }

  watch(_apiVersion: string, kind: string, options: WatchOptions, onEvent: (e: WatchEvent) => void) {
    return new Promise<void>((resolve) => {
      const watch = { kind, options, send: (e: WatchEvent) => onEvent(structuredClone(e)), open: true };
      this.watches.push(watch);
      options.signal?.addEventListener(
        'abort',
        () => {
          watch.open = false;
          resolve();
        },
        { once: true },
      );
    });
  }

  put(kind: string, namespace: string, name: string, data: Record<string, string>): void {
    const obj = {
      apiVersion: 'v1',
      kind,
      metadata: { namespace, name, uid: `uid-${name}`, resourceVersion: String(++this.version) },
      data,
    } as KubeObject;
    const same = (o: KubeObject) =>
      o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name;
    const existed = this.objects.some(same);
    this.objects = [...this.objects.filter((o) => !same(o)), obj];
    for (const w of this.watches) {
      if (w.open && this.matches(w.kind, w.options, obj))
        w.send({ type: existed ? 'MODIFIED' : 'ADDED', object: obj });
    }
  }

  openWatches(): string[] {
    return this.watches
      .filter((w) => w.open)
      .map((w) => `${w.kind}/${w.options.namespace}/${w.options.fieldSelector}`)
      .sort();
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup() {
  const server = new FakeServer();
  const stop = new AbortController();
  const changes: string[] = [];
  const objects = new ReferencedObjects({
    client: server,
    signal: stop.signal,
    clock: new FakeClock(0),
    log: () => undefined,
    onChange: (ref, uids) => changes.push(`${referenceKey(ref)} → ${[...uids].sort().join(',')}`),
  });
  return { server, stop, changes, objects };
}

const usingSecret = (uid: string, name: string, extra: Partial<Container> = {}) =>
  makePod({ containers: [makeContainer('c', { envFrom: [{ secretRef: { name } }], ...extra })] }, { uid });

describe('ReferencedObjects', () => {
  it('watches each referenced object alone, from its first holder to its last', async () => {
    const { server, stop, objects } = setup();
    objects.setPod('p1', usingSecret('p1', 's'));
    objects.setPod(
      'p2',
      usingSecret('p2', 's', {
        env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } }],
      }),
    );
    await flush();
    expect(
      server.lists.map((l) => `${l.kind} ${l.options.namespace} ${l.options.fieldSelector}`).sort(),
    ).toEqual(['ConfigMap default metadata.name=cm', 'Secret default metadata.name=s']);
    expect(server.openWatches()).toEqual([
      'ConfigMap/default/metadata.name=cm',
      'Secret/default/metadata.name=s',
    ]);
    expect(objects.watched()).toEqual(['ConfigMap/default/cm', 'Secret/default/s']);

    objects.removePod('p1');
    await flush();
    expect(objects.watched()).toEqual(['ConfigMap/default/cm', 'Secret/default/s']);
    objects.removePod('p2');
    await flush();
    expect(objects.watched()).toEqual([]);
    expect(server.openWatches()).toEqual([]);
    stop.abort();
    await objects.stopped();
  });

  it('releases the objects of a pod in a terminal phase', async () => {
    const { server, stop, objects } = setup();
    const pod = usingSecret('p1', 's');
    objects.setPod('p1', pod);
    await flush();
    objects.setPod('p1', { ...pod, status: { phase: 'Succeeded' } });
    await flush();
    expect(objects.watched()).toEqual([]);
    expect(server.openWatches()).toEqual([]);
    stop.abort();
    await objects.stopped();
  });

  it('serves the cached objects per namespace and kind, and reports changes to their holders', async () => {
    const { server, stop, changes, objects } = setup();
    server.put('Secret', 'default', 's', { k: 'djE=' });
    server.put('Secret', 'default', 'other', { k: 'eA==' });
    server.put('ConfigMap', 'default', 's', { k: 'not a secret' });
    objects.setPod('p1', usingSecret('p1', 's'));
    objects.setPod('p2', usingSecret('p2', 's'));
    await flush();
    expect([...objects.secrets('default').keys()]).toEqual(['s']);
    expect(objects.secrets('default').get('s')?.data).toEqual({ k: 'djE=' });
    expect(objects.configMaps('default').size).toBe(0);
    expect(objects.secrets('elsewhere').size).toBe(0);
    // The first list is announced once.
    expect(changes).toEqual(['Secret/default/s → p1,p2']);

    server.put('Secret', 'default', 's', { k: 'djI=' });
    server.put('Secret', 'default', 'other', { k: 'eQ==' });
    await flush();
    expect(objects.secrets('default').get('s')?.data).toEqual({ k: 'djI=' });
    expect(changes).toEqual(['Secret/default/s → p1,p2', 'Secret/default/s → p1,p2']);
    stop.abort();
    await objects.stopped();
    expect(server.openWatches()).toEqual([]);
  });

  it('announces the first list of an object that does not exist, so waiting pods go on', async () => {
    const { server, stop, changes, objects } = setup();
    objects.setPod('p1', usingSecret('p1', 'missing'));
    await flush();
    expect(objects.hasSynced({ kind: 'Secret', namespace: 'default', name: 'missing' })).toBe(true);
    expect(changes).toEqual(['Secret/default/missing → p1']);
    server.put('Secret', 'default', 'missing', {});
    await flush();
    expect(changes).toEqual(['Secret/default/missing → p1', 'Secret/default/missing → p1']);
    expect(objects.secrets('default').has('missing')).toBe(true);
    stop.abort();
    await objects.stopped();
  });

  it('lets a sync wait for the first list of the objects its pod references', async () => {
    const { server, stop, objects } = setup();
    let release!: () => void;
    server.gate = new Promise((resolve) => (release = resolve));
    server.put('Secret', 'default', 's', {});
    const pod = usingSecret('p1', 's');
    objects.setPod('p1', pod);
    let waited: boolean | undefined;
    void objects.waitForPod(pod, 60_000).then((ok) => (waited = ok));
    await flush();
    expect(waited).toBeUndefined();
    expect(objects.hasSynced({ kind: 'Secret', namespace: 'default', name: 's' })).toBe(false);
    expect(objects.secrets('default').size).toBe(0);
    release();
    await flush();
    expect(waited).toBe(true);
    expect(objects.secrets('default').has('s')).toBe(true);
    // Nothing left to wait for.
    expect(await objects.waitForPod(pod, 60_000)).toBe(true);
    stop.abort();
    await objects.stopped();
  });

  it('gives up waiting after the timeout or when the kubelet stops', async () => {
    const server = new FakeServer();
    server.gate = new Promise(() => undefined);
    const clock = new FakeClock(0);
    const stop = new AbortController();
    const objects = new ReferencedObjects({
      client: server,
      signal: stop.signal,
      clock,
      log: () => undefined,
      onChange: () => undefined,
    });
    const pod = usingSecret('p1', 's');
    objects.setPod('p1', pod);
    let waited: boolean | undefined;
    void objects.waitForPod(pod, 1_000).then((ok) => (waited = ok));
    await flush();
    await clock.advance(999);
    await flush();
    expect(waited).toBeUndefined();
    await clock.advance(1);
    await flush();
    expect(waited).toBe(false);

    let second: boolean | undefined;
    void objects.waitForPod(pod, 60_000).then((ok) => (second = ok));
    await flush();
    stop.abort();
    await flush();
    expect(second).toBe(false);
  });
});
