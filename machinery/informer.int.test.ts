/**
 * Informer against a real API server: events, field selectors, and staying alive across server
 * restarts, outages (with changes made elsewhere meanwhile) and compacted history.
 */
import { Etcd3 } from 'etcd3';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { startApiServer } from '../apiserver/api-server.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from './api-client.js';
import type { ApiClient } from './api-client.js';
import { Informer } from './informer.js';
import { NODE_NAME_INDEX } from './indexed-store.js';

let api: TestApiServer;
let client: ApiClient;
const stop = new AbortController();

beforeAll(async () => {
  api = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  client = clientFor(kc);
});
afterAll(async () => {
  stop.abort();
  await api?.close();
});

const pod = (name: string, nodeName?: string) => ({
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
});

/** An informer on one namespace's pods that records what its handlers hear and counts its lists. */
async function podInformer(namespace: string, fieldSelector?: string) {
  let lists = 0;
  const counted: Pick<ApiClient, 'list' | 'watch'> = {
    list: (...args) => {
      lists++;
      return client.list(...args);
    },
    watch: (...args) => client.watch(...args),
  };
  const informer = new Informer({
    client: counted,
    apiVersion: 'v1',
    kind: 'Pod',
    namespace,
    fieldSelector,
    backoff: { initialMs: 50, maxMs: 400 },
    log: () => undefined,
  });
  const seen: string[] = [];
  informer.addEventHandler({
    onAdd: (p) => seen.push(`add ${p.metadata.name}`),
    onUpdate: (_old, p) => seen.push(`update ${p.metadata.name}`),
    onDelete: (p) => seen.push(`delete ${p.metadata.name}`),
  });
  void informer.run(stop.signal);
  expect(await informer.waitForSync(AbortSignal.timeout(10_000))).toBe(true);
  const saw = (event: string) => waitFor(() => seen.includes(event), { what: event, timeoutMs: 10_000 });
  const names = () =>
    informer.store
      .list()
      .map((p) => p.metadata.name)
      .sort();
  return { informer, seen, saw, names, lists: () => lists };
}

/** Makes changes through a second API server on the same etcd data while the first one is down. */
async function elsewhere(change: (url: string) => Promise<void>): Promise<void> {
  const other = await startApiServer({
    etcdServers: [api.etcdUrl],
    etcdPrefix: api.prefix,
    port: 0,
    compactionIntervalMs: 0,
    log: () => undefined,
  });
  try {
    await change(other.url);
  } finally {
    await other.close();
  }
}

async function send(url: string, method: string, path: string, body?: unknown): Promise<KubeObject> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as KubeObject;
}

describe('Informer against the API server', () => {
  it('caches pods and reports adds, updates and deletes', async () => {
    const ns = 'inf-basic';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    await client.create('v1', 'Pod', ns, pod('before'));
    const { informer, seen, saw, names } = await podInformer(ns);
    expect(seen).toEqual(['add before']);
    await client.create('v1', 'Pod', ns, pod('after'));
    await saw('add after');
    await client.patch('v1', 'Pod', ns, 'after', { metadata: { labels: { x: 'y' } } });
    await saw('update after');
    expect(informer.store.get(`${ns}/after`)?.metadata.labels).toEqual({ x: 'y' });
    await client.delete('v1', 'Pod', ns, 'before', { gracePeriodSeconds: 0 });
    await saw('delete before');
    expect(names()).toEqual(['after']);
    expect(typeof informer.store.get(`${ns}/after`)?.metadata.creationTimestamp).toBe('string');
  });

  it("narrows the cache with a field selector, as a kubelet watches its node's pods", async () => {
    const ns = 'inf-node';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    const { informer, saw, names } = await podInformer(ns, 'spec.nodeName=node-a');
    await client.create('v1', 'Pod', ns, pod('on-a', 'node-a'));
    await client.create('v1', 'Pod', ns, pod('on-b', 'node-b'));
    await client.create('v1', 'Pod', ns, pod('unbound'));
    await saw('add on-a');
    await client.create(
      'v1',
      'Pod',
      ns,
      {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'unbound' },
        target: { kind: 'Node', name: 'node-a' },
      },
      { subresource: 'binding', name: 'unbound' },
    );
    await saw('add unbound');
    expect(names()).toEqual(['on-a', 'unbound']);
    expect(informer.store.byIndex(NODE_NAME_INDEX, 'node-a')).toHaveLength(2);
  });

  it('keeps working across an API server restart', async () => {
    const ns = 'inf-restart';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    const { saw, names } = await podInformer(ns);
    await api.restart();
    await client.create('v1', 'Pod', ns, pod('after-restart'));
    await saw('add after-restart');
    expect(names()).toEqual(['after-restart']);
  });

  it('catches up on what changed while the server was down, without listing again', async () => {
    const ns = 'inf-outage';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    const { seen, saw, names, lists } = await podInformer(ns);
    await client.create('v1', 'Pod', ns, pod('doomed'));
    await client.create('v1', 'Pod', ns, pod('kept'));
    await saw('add kept');
    await api.stop();
    await elsewhere(async (url) => {
      await send(url, 'DELETE', `/api/v1/namespaces/${ns}/pods/doomed`, { gracePeriodSeconds: 0 });
      await send(url, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('born-while-away'));
    });
    await api.restart();
    await saw('delete doomed');
    await saw('add born-while-away');
    expect(names()).toEqual(['born-while-away', 'kept']);
    // The history was still there: the watch resumed and replayed it.
    expect(lists()).toBe(1);
    expect(seen.filter((e) => e.endsWith('kept'))).toEqual(['add kept']);
  });

  it('lists again after its history was compacted away, firing deletes for what vanished', async () => {
    const ns = 'inf-compacted';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    const { saw, names, lists } = await podInformer(ns);
    await client.create('v1', 'Pod', ns, pod('doomed'));
    await client.create('v1', 'Pod', ns, pod('kept'));
    await saw('add kept');
    await api.stop();
    let revision = 0;
    await elsewhere(async (url) => {
      await send(url, 'DELETE', `/api/v1/namespaces/${ns}/pods/doomed`, { gracePeriodSeconds: 0 });
      const born = await send(url, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('born-while-away'));
      revision = Number(born.metadata.resourceVersion);
    });
    const etcd = new Etcd3({ hosts: [api.etcdUrl] });
    try {
      await etcd.kv.compact({ revision });
    } finally {
      etcd.close();
    }
    await api.restart();
    await saw('delete doomed');
    await saw('add born-while-away');
    expect(lists()).toBe(2);
    expect(names()).toEqual(['born-while-away', 'kept']);
    // And it watches again from the new list.
    await client.patch('v1', 'Pod', ns, 'kept', { metadata: { labels: { fresh: 'yes' } } });
    await saw('update kept');
  });
});
