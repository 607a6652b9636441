/**
 * ApiClient against a real API server: CRUD by (apiVersion, kind) through discovery, plain JSON in
 * and out, Status errors as ApiStatusError, subresources, and watch streams.
 */
import type https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, WatchEvent } from '../apiserver/api-object.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { clientFor } from './api-client.js';
import type { ApiClient } from './api-client.js';
import { ApiStatusError, isAlreadyExists, isConflict, isNotFound } from './api-status-error.js';

let api: TestApiServer;
let client: ApiClient;
const ns = 'client-test';

beforeAll(async () => {
  api = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  client = clientFor(kc);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
});
afterAll(async () => {
  await api?.close();
});

const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { app: 'demo' } },
  data,
});

describe('ApiClient', () => {
  it('creates, reads, updates, patches and deletes, returning plain JSON', async () => {
    const created = await client.create('v1', 'ConfigMap', ns, configMap('cm', { a: '1' }));
    expect(typeof created.metadata.creationTimestamp).toBe('string');
    expect(created.metadata.uid).toEqual(expect.any(String));

    const read = await client.get('v1', 'ConfigMap', ns, 'cm');
    expect(read).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });

    const updated = await client.update('v1', 'ConfigMap', ns, { ...read, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });

    const merged = await client.patch('v1', 'ConfigMap', ns, 'cm', { data: { b: '3' } });
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const jsonPatched = await client.patch('v1', 'ConfigMap', ns, 'cm', [{ op: 'remove', path: '/data/a' }], {
      type: 'json',
    });
    expect(jsonPatched.data).toEqual({ b: '3' });
    const strategic = await client.patch(
      'v1',
      'ConfigMap',
      ns,
      'cm',
      { metadata: { labels: { x: 'y' } } },
      {
        type: 'strategic',
      },
    );
    expect(strategic.metadata.labels).toEqual({ app: 'demo', x: 'y' });

    await client.delete('v1', 'ConfigMap', ns, 'cm');
    const missing = await client.get('v1', 'ConfigMap', ns, 'cm').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ApiStatusError);
    expect(missing).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(isNotFound(missing)).toBe(true);
  });

  it('tells a name clash from a stale write', async () => {
    const first = await client.create('v1', 'ConfigMap', ns, configMap('clash'));
    const again = await client.create('v1', 'ConfigMap', ns, configMap('clash')).catch((err: unknown) => err);
    expect(isAlreadyExists(again)).toBe(true);
    expect(isConflict(again)).toBe(false);
    await client.update('v1', 'ConfigMap', ns, { ...first, data: { v: '1' } });
    const stale = await client
      .update('v1', 'ConfigMap', ns, { ...first, data: { v: '2' } })
      .catch((err: unknown) => err);
    expect(isConflict(stale)).toBe(true);
    expect((stale as ApiStatusError).code).toBe(409);
  });

  it('lists with label and field selectors, across namespaces and cluster-wide', async () => {
    await client.create('v1', 'ConfigMap', ns, configMap('listed-1'));
    await client.create('v1', 'ConfigMap', ns, { metadata: { name: 'listed-2' } });
    const labelled = await client.list('v1', 'ConfigMap', { namespace: ns, labelSelector: 'app=demo' });
    expect(labelled.items.map((c) => c.metadata.name)).toContain('listed-1');
    expect(labelled.items.map((c) => c.metadata.name)).not.toContain('listed-2');
    expect(labelled.metadata.resourceVersion).toMatch(/^\d+$/);
    const byName = await client.list('v1', 'ConfigMap', { fieldSelector: 'metadata.name=listed-2' });
    expect(byName.items.map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual([`${ns}/listed-2`]);
    const namespaces = await client.list('v1', 'Namespace');
    expect(namespaces.items.map((n) => n.metadata.name)).toEqual(expect.arrayContaining([ns, 'default']));
  });

  it('resolves grouped kinds through discovery and refuses unknown ones', async () => {
    const deployments = await client.list('apps/v1', 'Deployment', { namespace: ns });
    expect(deployments.kind).toBe('DeploymentList');
    await expect(client.list('apps/v1', 'NoSuchKind')).rejects.toThrow('no resource for kind NoSuchKind');
  });

  it('writes subresources: status and a pod binding', async () => {
    await client.create('v1', 'Node', undefined, { metadata: { name: 'node-a' } });
    const pod = await client.create('v1', 'Pod', ns, {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    // Subresources are addressed through their parent's kind.
    await client.create(
      'v1',
      'Pod',
      ns,
      {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'p' },
        target: { kind: 'Node', name: 'node-a' },
      },
      { subresource: 'binding', name: 'p' },
    );
    const bound = await client.get('v1', 'Pod', ns, 'p');
    expect((bound.spec as { nodeName?: string }).nodeName).toBe('node-a');
    const withStatus = await client.updateStatus('v1', 'Pod', ns, {
      ...bound,
      status: { ...(bound.status as object), phase: 'Running' },
    });
    expect((withStatus.status as { phase: string }).phase).toBe('Running');
    expect(pod.metadata.uid).toBe(withStatus.metadata.uid);
  });

  it('watches from a resourceVersion and ends cleanly when the server times the watch out', async () => {
    const start = await client.list('v1', 'ConfigMap', { namespace: ns });
    const events: WatchEvent[] = [];
    const watching = client.watch(
      'v1',
      'ConfigMap',
      { namespace: ns, resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 1 },
      (event) => events.push(event),
    );
    await client.create('v1', 'ConfigMap', ns, configMap('watched'));
    await client.delete('v1', 'ConfigMap', ns, 'watched');
    await watching;
    expect(events.map((e) => [e.type, (e.object as KubeObject).metadata.name])).toEqual([
      ['ADDED', 'watched'],
      ['DELETED', 'watched'],
    ]);
  });

  it('stops a watch when its signal aborts, and rejects when the handler throws', async () => {
    const controller = new AbortController();
    const watching = client.watch(
      'v1',
      'ConfigMap',
      { namespace: ns, signal: controller.signal },
      () => undefined,
    );
    setTimeout(() => controller.abort(), 100);
    await expect(watching).resolves.toBeUndefined();
    await expect(
      client.watch('v1', 'ConfigMap', { namespace: ns }, () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
  });

  describe('credentials', () => {
    /** The test server's kubeconfig, counting how often the client reads its credentials. */
    function countingAccess(failFirst = false) {
      const kc = new KubeConfig();
      kc.loadFromFile(api.kubeconfig);
      const access = {
        readings: 0,
        getCurrentCluster: () => kc.getCurrentCluster(),
        async applyToHTTPSOptions(options: https.RequestOptions) {
          access.readings++;
          if (failFirst && access.readings === 1) throw new Error('no credentials yet');
          await kc.applyToHTTPSOptions(options);
        },
      };
      return access;
    }

    it.each([
      ['reuses one reading within its lifetime', 60_000, 1],
      ['reads them for every request with a lifetime of 0', 0, 4],
    ])('%s', async (_name, credentialsTtlMs, readings) => {
      const access = countingAccess();
      const counted = clientFor(access, { credentialsTtlMs });
      // Discovery, then three reads.
      for (let i = 0; i < 3; i++) await counted.get('v1', 'Namespace', undefined, ns);
      expect(access.readings).toBe(readings);
    });

    it('reads them again after a failed reading instead of reusing the failure', async () => {
      const access = countingAccess(true);
      const counted = clientFor(access, { credentialsTtlMs: 60_000 });
      await expect(counted.get('v1', 'Namespace', undefined, ns)).rejects.toThrow('no credentials yet');
      await expect(counted.get('v1', 'Namespace', undefined, ns)).resolves.toMatchObject({
        metadata: { name: ns },
      });
      expect(access.readings).toBe(2);
    });
  });

  it('rejects with the network error when the server is not there', async () => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'gone', server: 'http://127.0.0.1:1', skipTLSVerify: true },
      { name: 'nobody' },
    );
    const err = await clientFor(kc)
      .list('v1', 'Pod')
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiStatusError);
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
