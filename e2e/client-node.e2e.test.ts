/**
 * @kubernetes/client-node against a real API server: the typed CoreV1Api, the generic
 * KubernetesObjectApi, and an informer that must survive a server restart and an etcd compaction the
 * way it survives them against Kubernetes.
 */
import { Etcd3 } from 'etcd3';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
} from '@kubernetes/client-node';
import type { Informer, ObjectCache, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { startApiServer } from '../apiserver/api-server.js';
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { request } from './support/api-client.js';
import { waitFor } from './support/wait-for.js';

let api: TestApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  api = await startTestApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await api?.close();
});

async function createNamespace(name: string): Promise<void> {
  const ns = await core.createNamespace({ body: { metadata: { name } } });
  expect(ns.metadata?.name).toBe(name);
}

const podBody = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
});

describe('typed CoreV1Api', () => {
  const ns = 'typed';
  beforeAll(() => createNamespace(ns));

  it('creates, reads, lists, patches (JSON patch by default) and deletes a configmap', async () => {
    // The body carries no apiVersion or kind: the server works them out from the URL.
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cm1' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toEqual(expect.any(String));
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.data).toEqual({ a: '1' });

    const read = await core.readNamespacedConfigMap({ name: 'cm1', namespace: ns });
    expect(read).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1', namespace: ns },
      data: { a: '1' },
    });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cm2', labels: { pick: 'me' } } },
    });
    const all = await core.listNamespacedConfigMap({ namespace: ns });
    expect(all.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(all.items.map((c) => c.metadata?.name).sort()).toEqual(['cm1', 'cm2']);
    const picked = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'pick=me' });
    expect(picked.items.map((c) => c.metadata?.name)).toEqual(['cm2']);

    const patched = await core.patchNamespacedConfigMap({
      name: 'cm1',
      namespace: ns,
      body: [
        { op: 'replace', path: '/data/a', value: '2' },
        { op: 'add', path: '/data/b', value: '3' },
      ],
    });
    expect(patched.data).toEqual({ a: '2', b: '3' });
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );

    const deleted = await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: ns });
    expect(deleted).toBeDefined();
    const missing = await core
      .readNamespacedConfigMap({ name: 'cm1', namespace: ns })
      .catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ApiException);
    expect((missing as ApiException<string>).code).toBe(404);
    expect(JSON.parse((missing as ApiException<string>).body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
    });

    const again = await core
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm2' } } })
      .catch((err: unknown) => err);
    expect((again as ApiException<string>).code).toBe(409);
  });
});

describe('KubernetesObjectApi', () => {
  const ns = 'generic';
  beforeAll(() => createNamespace(ns));

  it('creates and reads a Deployment as a typed object', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const spec: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'busybox:1.36' }] },
        },
      },
    };
    const created = await client.create(spec);
    expect(created).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, generation: 1 },
    });

    const read = (await client.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
    })) as V1Deployment;
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(read.spec?.replicas).toBe(2);
    expect(read.spec?.template.spec?.containers[0]).toMatchObject({
      name: 'web',
      image: 'busybox:1.36',
      imagePullPolicy: 'IfNotPresent',
    });
    expect(read.spec?.strategy?.type).toBe('RollingUpdate');
  });
});

describe('informer', () => {
  const ns = 'informed';
  const path = `/api/v1/namespaces/${ns}/pods`;
  const seen: { verb: 'add' | 'update' | 'delete'; name: string; labels: Record<string, string> }[] = [];
  const errors: unknown[] = [];
  let listCalls = 0;
  let informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const record = (verb: 'add' | 'update' | 'delete') => (pod: V1Pod) =>
    seen.push({ verb, name: pod.metadata?.name ?? '', labels: pod.metadata?.labels ?? {} });
  const sawEvent = (verb: string, name: string, labels: Record<string, string> = {}) =>
    waitFor(
      () =>
        seen.some(
          (e) =>
            e.verb === verb && e.name === name && Object.entries(labels).every(([k, v]) => e.labels[k] === v),
        ),
      { what: `the informer's ${verb} callback for ${name}` },
    );
  const cachedNames = () =>
    informer
      .list(ns)
      .map((p) => p.metadata?.name)
      .sort();

  beforeAll(async () => {
    await createNamespace(ns);
    informer = makeInformer(kc, path, () => {
      listCalls++;
      return core.listNamespacedPod({ namespace: ns });
    });
    informer.on('add', record('add'));
    informer.on('update', record('update'));
    informer.on('delete', record('delete'));
    // client-node's informer re-watches by itself only after a clean end of the stream or a 410; any
    // other failure (the server is unreachable while it restarts, a dropped connection) reaches the
    // `error` handlers and the informer stops for good. Applications keep it running by starting it
    // again after a short delay, which is what this handler does.
    informer.on('error', (err) => {
      errors.push(err);
      if (stopped || restartTimer) return;
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (!stopped) void informer.start();
      }, 200);
    });
    await informer.start();
  });
  afterAll(async () => {
    stopped = true;
    if (restartTimer) clearTimeout(restartTimer);
    await informer?.stop();
  });

  it('sees pods added, updated and deleted', async () => {
    const p1 = await core.createNamespacedPod({ namespace: ns, body: podBody('p1', { app: 'one' }) });
    await sawEvent('add', 'p1');
    await core.patchNamespacedPod({
      name: 'p1',
      namespace: ns,
      body: [{ op: 'add', path: '/metadata/labels/stage', value: 'two' }],
    });
    await sawEvent('update', 'p1', { stage: 'two' });
    expect(informer.get('p1', ns)?.metadata?.labels).toEqual({ app: 'one', stage: 'two' });
    await core.deleteNamespacedPod({ name: 'p1', namespace: ns });
    await sawEvent('delete', 'p1');
    expect(informer.get('p1', ns)).toBeUndefined();
    expect(p1.metadata?.uid).toEqual(expect.any(String));
    expect(seen.filter((e) => e.name === 'p1').map((e) => e.verb)).toEqual(['add', 'update', 'delete']);
    expect(listCalls).toBe(1);
  });

  it('keeps working after the API server restarts', async () => {
    await api.restart();
    await core.createNamespacedPod({ namespace: ns, body: podBody('after-restart') });
    await sawEvent('add', 'after-restart');
    expect(cachedNames()).toEqual(['after-restart']);
  });

  it('relists after a compaction and converges on what changed while it was away', async () => {
    await core.createNamespacedPod({ namespace: ns, body: podBody('doomed') });
    await sawEvent('add', 'doomed');
    expect(cachedNames()).toEqual(['after-restart', 'doomed']);
    const listsBefore = listCalls;
    const errorsBefore = errors.length;

    await api.stop();
    // While the informer cannot reach its server, another API server on the same data makes changes.
    const other = await startApiServer({
      etcdServers: [api.etcdUrl],
      etcdPrefix: api.prefix,
      port: 0,
      compactionIntervalMs: 0,
      log: () => undefined,
    });
    let lastRevision: number;
    try {
      expect((await request(other.url, 'DELETE', `${path}/doomed`)).status).toBe(200);
      const born = await request<{ metadata: { resourceVersion: string } }>(
        other.url,
        'POST',
        path,
        podBody('born-while-away'),
      );
      expect(born.status).toBe(201);
      lastRevision = Number(born.body.metadata.resourceVersion);
    } finally {
      await other.close();
    }
    const etcd = new Etcd3({ hosts: [api.etcdUrl] });
    try {
      await etcd.kv.compact({ revision: lastRevision });
    } finally {
      etcd.close();
    }
    // A fresh server has no watch cache, so resuming from the informer's old resourceVersion reaches
    // etcd's compacted history: 410, and the informer must list again.
    await api.restart();

    await sawEvent('delete', 'doomed');
    await sawEvent('add', 'born-while-away');
    expect(listCalls).toBeGreaterThan(listsBefore);
    expect(cachedNames()).toEqual(['after-restart', 'born-while-away']);
    // It was cut off while the server was down, and came back only through the error handler.
    expect(errors.length).toBeGreaterThan(errorsBefore);

    // And it is watching again from the relisted state.
    await core.patchNamespacedPod({
      name: 'born-while-away',
      namespace: ns,
      body: [{ op: 'add', path: '/metadata/labels', value: { fresh: 'yes' } }],
    });
    await sawEvent('update', 'born-while-away', { fresh: 'yes' });
  });
});
