/**
 * The garbage collector against a real API server: the three propagation policies on a hand-made
 * Deployment → ReplicaSet → Pods chain (no workload controllers run here), and owners recreated under
 * the same name.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject, OwnerReference, WatchEvent } from '../apiserver/api-object.js';
import { kubectl, kubectlBinaries } from '../e2e/support/kubectl.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { startControllerTest } from './testing/test-cluster.js';
import { waitFor } from '../e2e/support/wait-for.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { garbageCollectorController } from './garbage-collector.js';

const NS = 'gc';
let cluster: Awaited<ReturnType<typeof startControllerTest>>;
let api: TestApiServer;
let client: ApiClient;

beforeAll(async () => {
  cluster = await startControllerTest({ controllers: [garbageCollectorController], namespace: NS });
  ({ api, client } = cluster);
});

afterAll(async () => {
  await cluster?.close();
});

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

function ownerRef(obj: KubeObject): OwnerReference {
  return {
    apiVersion: obj.apiVersion!,
    kind: obj.kind!,
    name: obj.metadata.name!,
    uid: obj.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A Deployment owning a ReplicaSet owning `pods` pods, as the workload controllers would make them. */
async function makeChain(app: string, pods = 2): Promise<{ deploy: KubeObject; rs: KubeObject }> {
  const deploy = await client.create('apps/v1', 'Deployment', NS, {
    metadata: { name: app },
    spec: { replicas: pods, selector: { matchLabels: { app } }, template: template(app) },
  });
  const rs = await client.create('apps/v1', 'ReplicaSet', NS, {
    metadata: { name: `${app}-abc`, labels: { app }, ownerReferences: [ownerRef(deploy)] },
    spec: { replicas: pods, selector: { matchLabels: { app } }, template: template(app) },
  });
  for (let i = 0; i < pods; i++) {
    await client.create('v1', 'Pod', NS, {
      metadata: { name: `${app}-abc-${i}`, labels: { app }, ownerReferences: [ownerRef(rs)] },
      spec: template(app).spec,
    });
  }
  return { deploy, rs };
}

async function names(apiVersion: string, kind: string, app: string): Promise<string[]> {
  const list = await client.list(apiVersion, kind, { namespace: NS, labelSelector: `app=${app}` });
  return list.items.map((i) => i.metadata.name!).sort();
}

async function exists(apiVersion: string, kind: string, name: string): Promise<boolean> {
  try {
    await client.get(apiVersion, kind, NS, name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

describe('garbage collector', () => {
  it('background: deleting a Deployment removes its ReplicaSet and pods', async () => {
    await makeChain('bg');
    await client.delete('apps/v1', 'Deployment', NS, 'bg');
    await waitFor(async () => (await names('v1', 'Pod', 'bg')).length === 0, { what: 'pods collected' });
    expect(await names('apps/v1', 'ReplicaSet', 'bg')).toEqual([]);
  });

  it('orphan: the ReplicaSet and pods stay, without a reference to the Deployment', async () => {
    const { rs } = await makeChain('orphan');
    await client.delete('apps/v1', 'Deployment', NS, 'orphan', { propagationPolicy: 'Orphan' });
    await waitFor(async () => !(await exists('apps/v1', 'Deployment', 'orphan')), {
      what: 'deployment gone',
    });
    const kept = await client.get('apps/v1', 'ReplicaSet', NS, rs.metadata.name!);
    expect(kept.metadata.ownerReferences).toBeUndefined();
    expect(kept.metadata.uid).toBe(rs.metadata.uid);
    expect(await names('v1', 'Pod', 'orphan')).toEqual(['orphan-abc-0', 'orphan-abc-1']);
    const pod = await client.get('v1', 'Pod', NS, 'orphan-abc-0');
    expect(pod.metadata.ownerReferences?.map((r) => r.uid)).toEqual([rs.metadata.uid]);
  });

  it('foreground: the pods go first, then the ReplicaSet, the Deployment last', async () => {
    await makeChain('fg');
    const order: string[] = [];
    const watching = new AbortController();
    const start = await client.list('v1', 'Namespace');
    const watches = [
      ['v1', 'Pod'],
      ['apps/v1', 'ReplicaSet'],
      ['apps/v1', 'Deployment'],
    ].map(([apiVersion, kind]) =>
      client
        .watch(
          apiVersion,
          kind,
          { namespace: NS, resourceVersion: start.metadata.resourceVersion, signal: watching.signal },
          (event: WatchEvent) => {
            if (event.type === 'DELETED' && event.object.metadata.name?.startsWith('fg')) {
              order.push(`${kind}/${event.object.metadata.name}`);
            }
          },
        )
        .catch(() => undefined),
    );
    await client.delete('apps/v1', 'Deployment', NS, 'fg', { propagationPolicy: 'Foreground' });
    const held = await client.get('apps/v1', 'Deployment', NS, 'fg');
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.metadata.finalizers).toContain('foregroundDeletion');

    await waitFor(() => order.includes('Deployment/fg'), { what: 'the deployment deleted' });
    watching.abort();
    await Promise.all(watches);
    expect(order.slice(0, 2).sort()).toEqual(['Pod/fg-abc-0', 'Pod/fg-abc-1']);
    expect(order.slice(2)).toEqual(['ReplicaSet/fg-abc', 'Deployment/fg']);
  });

  it('collects dependents of an owner recreated under the same name, keeps those with a live owner', async () => {
    const owner = await client.create('v1', 'ConfigMap', NS, { metadata: { name: 'owner' } });
    const second = await client.create('v1', 'ConfigMap', NS, { metadata: { name: 'second' } });
    const ref = (o: KubeObject) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: o.metadata.name!,
      uid: o.metadata.uid!,
    });
    await client.create('v1', 'Secret', NS, { metadata: { name: 'single', ownerReferences: [ref(owner)] } });
    await client.create('v1', 'Secret', NS, {
      metadata: { name: 'shared', ownerReferences: [ref(owner), ref(second)] },
    });
    await client.delete('v1', 'ConfigMap', NS, 'owner');
    await client.create('v1', 'ConfigMap', NS, { metadata: { name: 'owner' } });

    await waitFor(async () => !(await exists('v1', 'Secret', 'single')), { what: 'single collected' });
    await waitFor(
      async () => (await client.get('v1', 'Secret', NS, 'shared')).metadata.ownerReferences?.length === 1,
      { what: 'the dangling reference removed' },
    );
    const shared = await client.get('v1', 'Secret', NS, 'shared');
    expect(shared.metadata.ownerReferences?.map((r) => r.uid)).toEqual([second.metadata.uid]);
  });

  const binary = kubectlBinaries([])[0];
  (binary ? it : it.skip)('kubectl delete deploy with each --cascade', async () => {
    const cacheDir = fs.mkdtempSync(path.join(api.dir, 'kubectl-'));
    const run = (...args: string[]) =>
      kubectl(binary!.path, ['-n', NS, ...args], { kubeconfig: api.kubeconfig, cacheDir });

    await makeChain('kbg');
    expect((await run('delete', 'deploy', 'kbg')).code).toBe(0);
    await waitFor(async () => (await names('v1', 'Pod', 'kbg')).length === 0, { what: 'pods collected' });
    expect(await names('apps/v1', 'ReplicaSet', 'kbg')).toEqual([]);

    await makeChain('korphan');
    expect((await run('delete', 'deploy', 'korphan', '--cascade=orphan')).code).toBe(0);
    await waitFor(async () => !(await exists('apps/v1', 'Deployment', 'korphan')), {
      what: 'deployment gone',
    });
    expect(await names('apps/v1', 'ReplicaSet', 'korphan')).toEqual(['korphan-abc']);

    await makeChain('kfg');
    // --wait makes kubectl return only once the Deployment itself is gone.
    expect(
      (await run('delete', 'deploy', 'kfg', '--cascade=foreground', '--wait=true', '--timeout=30s')).code,
    ).toBe(0);
    expect(await names('v1', 'Pod', 'kfg')).toEqual([]);
    expect(await names('apps/v1', 'ReplicaSet', 'kfg')).toEqual([]);
  });
});
