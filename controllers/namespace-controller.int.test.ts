/** The namespace controller against a real API server: a deleted namespace is emptied, then removed. */
import { startControllerTest } from './testing/test-cluster.js';
import { waitFor } from '../e2e/support/wait-for.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { CONTENT_REMAINING, FINALIZERS_REMAINING, namespaceController } from './namespace-controller.js';
import type { Namespace } from './namespace-controller.js';

let cluster: Awaited<ReturnType<typeof startControllerTest>>;
let client: ApiClient;

beforeAll(async () => {
  cluster = await startControllerTest({
    controllers: [namespaceController],
    settings: { namespace: { maxRecheckMs: 300 } },
  });
  ({ client } = cluster);
});

afterAll(async () => {
  await cluster?.close();
});

async function namespace(name: string): Promise<Namespace | undefined> {
  try {
    return await client.get<Namespace>('v1', 'Namespace', undefined, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function fill(ns: string): Promise<void> {
  await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
  for (let i = 0; i < 3; i++) {
    await client.create('v1', 'ConfigMap', ns, { metadata: { name: `cm-${i}` }, data: { i: String(i) } });
    await client.create('v1', 'Pod', ns, {
      metadata: { name: `pod-${i}` },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  }
  await client.create('v1', 'Service', ns, { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } });
  await client.create('v1', 'Secret', ns, { metadata: { name: 'token' }, stringData: { a: 'b' } });
  await client.create('apps/v1', 'Deployment', ns, {
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  });
}

async function remaining(ns: string): Promise<number> {
  let total = 0;
  for (const [apiVersion, kind] of [
    ['v1', 'ConfigMap'],
    ['v1', 'Pod'],
    ['v1', 'Service'],
    ['v1', 'Secret'],
    ['apps/v1', 'Deployment'],
  ]) {
    total += (await client.list(apiVersion, kind, { namespace: ns })).items.length;
  }
  return total;
}

describe('namespace controller', () => {
  it('deletes configmaps, services, unbound pods and the rest, then the namespace', async () => {
    await fill('doomed');
    const untouched = 'bystander';
    await client.create('v1', 'Namespace', undefined, { metadata: { name: untouched } });
    await client.create('v1', 'ConfigMap', untouched, { metadata: { name: 'keep' } });

    await client.delete('v1', 'Namespace', undefined, 'doomed');
    const terminating = await namespace('doomed');
    // Either still terminating or already gone: the controller may be that quick.
    if (terminating) expect(terminating.status?.phase).toBe('Terminating');

    await waitFor(async () => (await namespace('doomed')) === undefined, { what: 'the namespace removed' });
    expect(await remaining('doomed')).toBe(0);
    expect((await client.list('v1', 'ConfigMap', { namespace: untouched })).items).toHaveLength(1);
  });

  it('waits for content held by a finalizer and says so in its conditions', async () => {
    await client.create('v1', 'Namespace', undefined, { metadata: { name: 'held' } });
    await client.create('v1', 'ConfigMap', 'held', { metadata: { name: 'plain' } });
    await client.create('v1', 'ConfigMap', 'held', {
      metadata: { name: 'stuck', finalizers: ['example.com/hold'] },
    });
    await client.delete('v1', 'Namespace', undefined, 'held');

    const seen = await waitFor(
      async () => {
        const ns = await namespace('held');
        if (!ns) return { gone: true as const };
        const condition = ns.status?.conditions?.find((c) => c.type === FINALIZERS_REMAINING);
        return condition?.status === 'True' ? { ns } : undefined;
      },
      { what: 'the finalizers-remaining condition' },
    );
    // The namespace must outlive the content a finalizer still holds.
    expect(seen).not.toEqual({ gone: true });
    const waiting = (seen as { ns: Namespace }).ns;
    expect(waiting.status?.conditions?.find((c) => c.type === CONTENT_REMAINING)).toMatchObject({
      status: 'True',
      message: 'Some resources are remaining: configmaps has 1 resource instances',
    });
    expect(waiting.spec?.finalizers).toEqual(['kubernetes']);
    expect(
      (await client.list('v1', 'ConfigMap', { namespace: 'held' })).items.map((i) => i.metadata.name),
    ).toEqual(['stuck']);

    await client.patch('v1', 'ConfigMap', 'held', 'stuck', { metadata: { finalizers: null } });
    await waitFor(async () => (await namespace('held')) === undefined, { what: 'the namespace removed' });
  });
});
