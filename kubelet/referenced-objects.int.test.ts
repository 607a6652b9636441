/**
 * The kubelet reads ConfigMaps and Secrets one object at a time: against a real API server (through a
 * proxy that records the kubelet's requests), on the fake runtime. Only the objects its pods
 * reference are listed and watched, by name in their namespace, and only while a pod uses them;
 * their data still reaches environments and volumes, changes included.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import type { Pod } from './api-types.js';
import { startKubelet } from './kubelet.js';
import type { RunningKubelet } from './kubelet.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import type { ContainerConfig } from './runtime/runtime.js';

const NODE = 'referencing-node';
const NS = 'default';
let api: TestApiServer;
let client: ApiClient;
let dataDir: string;
let kubelet: RunningKubelet;
let proxy: http.Server;
const runtime = new FakeRuntime();
const stop = new AbortController();

/** Every request the kubelet made, and the ones still open (watches), by URL. */
const requests: string[] = [];
const open = new Map<http.ServerResponse, string>();

/** Forwards to the API server, recording each request's method and URL. */
function startProxy(target: URL): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    open.set(res, req.url ?? '');
    res.on('close', () => open.delete(res));
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const isConfigOrSecret = (url: string) => /\/(secrets|configmaps)(\?|\/|$)/.test(url);

async function getPod(name: string): Promise<Pod | undefined> {
  try {
    return (await client.get('v1', 'Pod', NS, name)) as unknown as Pod;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function running(name: string): Promise<Pod> {
  return waitFor(
    async () => {
      const pod = await getPod(name);
      return pod?.status?.phase === 'Running' ? pod : undefined;
    },
    { what: `${name} to run` },
  );
}

function lastConfigOf(podName: string): ContainerConfig {
  const configs = runtime
    .callsTo('createContainer')
    .filter((args) => (args[2] as { pod: { name: string } }).pod.name === podName)
    .map((args) => args[1] as ContainerConfig);
  if (configs.length === 0) throw new Error(`no container created for ${podName}`);
  return configs[configs.length - 1];
}

async function eventsOf(podName: string): Promise<{ reason?: string; message?: string }[]> {
  const list = await client.list('v1', 'Event', { namespace: NS });
  return (
    list.items as unknown as { involvedObject: { name: string }; reason?: string; message?: string }[]
  ).filter((e) => e.involvedObject.name === podName);
}

beforeAll(async () => {
  api = await startTestApiServer();
  const direct = new KubeConfig();
  direct.loadFromFile(api.kubeconfig);
  client = clientFor(direct);
  proxy = await startProxy(new URL(api.url));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'proxied',
        server: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'kubelet' }],
    contexts: [{ name: 'proxied', cluster: 'proxied', user: 'kubelet' }],
    currentContext: 'proxied',
  });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-referenced-'));
  kubelet = await startKubelet({
    kubeConfig,
    nodeName: NODE,
    runtime,
    dataDir,
    nodeIP: '127.0.0.1',
    port: 0,
    relistIntervalMs: 100,
    log: () => undefined,
    signal: stop.signal,
  });
});
afterAll(async () => {
  stop.abort();
  await kubelet?.done;
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await api?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the ConfigMaps and Secrets a kubelet reads', () => {
  it('are only those its pods reference, each listed and watched by name, and they reach the containers', async () => {
    // Objects no pod here uses: a kubelet listing the namespace or the cluster would read them all.
    for (let i = 0; i < 25; i++) {
      await client.create('v1', 'Secret', NS, {
        metadata: { name: `unrelated-${i}` },
        stringData: { k: 'x' },
      });
      await client.create('v1', 'ConfigMap', NS, { metadata: { name: `unrelated-${i}` }, data: { k: 'x' } });
    }
    await client.create('v1', 'Secret', NS, {
      metadata: { name: 'db' },
      data: { password: Buffer.from('s3cret').toString('base64') },
    });
    await client.create('v1', 'ConfigMap', NS, {
      metadata: { name: 'settings' },
      data: { greeting: 'hello' },
    });
    await client.create('v1', 'Pod', NS, {
      metadata: { name: 'consumer' },
      spec: {
        nodeName: NODE,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            envFrom: [{ configMapRef: { name: 'settings' } }],
            volumeMounts: [{ name: 'config', mountPath: '/etc/config' }],
          },
        ],
        volumes: [{ name: 'config', configMap: { name: 'settings' } }],
      },
    });
    await running('consumer');

    const config = lastConfigOf('consumer');
    expect(config.env).toEqual(
      expect.arrayContaining([
        { name: 'DB_PASSWORD', value: 's3cret' },
        { name: 'greeting', value: 'hello' },
      ]),
    );
    const mount = config.mounts?.find((m) => m.containerPath === '/etc/config');
    expect(fs.readFileSync(path.join(mount!.hostPath, 'greeting'), 'utf8')).toBe('hello');

    const reads = requests.filter(isConfigOrSecret);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read).toMatch(
        /^GET \/api\/v1\/namespaces\/default\/(secrets\?.*fieldSelector=metadata\.name%3Ddb(&|$)|configmaps\?.*fieldSelector=metadata\.name%3Dsettings(&|$))/,
      );
    }
    for (const kind of ['secrets', 'configmaps']) {
      expect(reads.some((r) => r.includes(`/${kind}?`) && !r.includes('watch=true'))).toBe(true);
      expect(reads.some((r) => r.includes(`/${kind}?`) && r.includes('watch=true'))).toBe(true);
    }

    // Both objects existed before the pod: no sync may have reported them missing.
    await waitFor(async () => (await eventsOf('consumer')).some((e) => e.reason === 'Started'), {
      what: 'the Started event',
    });
    const failures = (await eventsOf('consumer')).filter(
      (e) => e.reason === 'Failed' || e.reason === 'FailedMount',
    );
    expect(failures).toEqual([]);
  });

  it('carries a changed ConfigMap into the mounted files', async () => {
    const settings = await client.get('v1', 'ConfigMap', NS, 'settings');
    await client.update('v1', 'ConfigMap', NS, { ...settings, data: { greeting: 'bonjour' } });
    const mount = lastConfigOf('consumer').mounts!.find((m) => m.containerPath === '/etc/config')!;
    await waitFor(() => fs.readFileSync(path.join(mount.hostPath, 'greeting'), 'utf8') === 'bonjour', {
      what: 'the changed ConfigMap in the volume',
    });
  });

  it('starts a pod whose Secret is created after it', async () => {
    await client.create('v1', 'Pod', NS, {
      metadata: { name: 'early' },
      spec: {
        nodeName: NODE,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'late', key: 'token' } } }],
          },
        ],
      },
    });
    const waiting = await waitFor(async () => {
      const pod = await getPod('early');
      return pod?.status?.containerStatuses?.[0]?.state?.waiting;
    });
    expect(waiting).toMatchObject({
      reason: 'CreateContainerConfigError',
      message: 'secret "late" not found',
    });
    await client.create('v1', 'Secret', NS, { metadata: { name: 'late' }, stringData: { token: 't0k3n' } });
    await running('early');
    expect(lastConfigOf('early').env).toEqual(expect.arrayContaining([{ name: 'TOKEN', value: 't0k3n' }]));
  });

  it('stops watching an object once the last pod using it is gone', async () => {
    const watching = () =>
      [...open.values()].filter((url) => isConfigOrSecret(url) && url.includes('watch=true'));
    await waitFor(() => watching().length === 3, { what: 'watches on db, settings and late' });
    await client.delete('v1', 'Pod', NS, 'early', { gracePeriodSeconds: 0 });
    await waitFor(() => watching().length === 2 && watching().every((url) => !url.includes('%3Dlate')), {
      what: 'the watch on late to end',
    });
    await client.delete('v1', 'Pod', NS, 'consumer', { gracePeriodSeconds: 0 });
    await waitFor(() => watching().length === 0, { what: 'every watch to end' });
    await waitFor(async () => (await getPod('consumer')) === undefined, { what: 'consumer to be gone' });
    // Nothing of the unrelated objects was ever asked for.
    expect(requests.filter((r) => isConfigOrSecret(r) && r.includes('unrelated'))).toEqual([]);
  });
});
