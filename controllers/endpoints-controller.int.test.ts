/** The Endpoints controller against a real API server: Endpoints follow pods and their readiness. */
import type { KubeObject } from '../apiserver/api-object.js';
import { startControllerTest } from './testing/test-cluster.js';
import { waitFor } from '../e2e/support/wait-for.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { endpointsController } from './endpoints-controller.js';
import type { Endpoints, Pod } from './endpoints-controller.js';

const NS = 'ep';
let cluster: Awaited<ReturnType<typeof startControllerTest>>;
let client: ApiClient;

beforeAll(async () => {
  cluster = await startControllerTest({ controllers: [endpointsController], namespace: NS });
  ({ client } = cluster);
});

afterAll(async () => {
  await cluster?.close();
});

async function createPod(name: string, ip: string, labels = { app: 'web' }): Promise<void> {
  await client.create('v1', 'Pod', NS, {
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await setPodStatus(name, ip, false);
}

async function setPodStatus(name: string, ip: string, ready: boolean): Promise<void> {
  const pod = await client.get<Pod>('v1', 'Pod', NS, name);
  pod.status = {
    phase: 'Running',
    podIP: ip,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  };
  await client.updateStatus('v1', 'Pod', NS, pod);
}

async function endpoints(name: string): Promise<Endpoints | undefined> {
  try {
    return await client.get<Endpoints>('v1', 'Endpoints', NS, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** `ready:` and `notReady:` pod names of the single subset, or undefined while it differs in shape. */
function summary(ep: Endpoints | undefined): string {
  const subset = ep?.subsets?.[0];
  const names = (list?: { targetRef?: { name?: string } }[]) =>
    (list ?? []).map((a) => a.targetRef?.name).join(',');
  const ports = (subset?.ports ?? []).map((p) => `${p.name}:${p.port}`).join(',');
  return `ready=${names(subset?.addresses)} notReady=${names(subset?.notReadyAddresses)} ports=${ports}`;
}

describe('Endpoints controller', () => {
  it('follows pod readiness, pod deletion and the service itself', async () => {
    await client.create('v1', 'Service', NS, {
      metadata: { name: 'web', labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await createPod('p1', '10.1.0.1');
    await createPod('p2', '10.1.0.2');
    await createPod('other', '10.1.0.3', { app: 'db' });

    await waitFor(async () => summary(await endpoints('web')) === 'ready= notReady=p1,p2 ports=http:8080', {
      what: 'both pods not ready',
    });
    const first = (await endpoints('web'))!;
    expect(first.metadata.labels).toEqual({ tier: 'front' });
    expect(first.subsets![0].notReadyAddresses![0]).toEqual({
      ip: '10.1.0.1',
      targetRef: { kind: 'Pod', namespace: NS, name: 'p1', uid: expect.any(String) },
    });

    await setPodStatus('p1', '10.1.0.1', true);
    await waitFor(async () => summary(await endpoints('web')) === 'ready=p1 notReady=p2 ports=http:8080', {
      what: 'p1 ready',
    });

    await client.delete('v1', 'Pod', NS, 'p2');
    await waitFor(async () => summary(await endpoints('web')) === 'ready=p1 notReady= ports=http:8080', {
      what: 'p2 gone',
    });

    // No further writes once it is right: the resourceVersion stays.
    const settled = (await endpoints('web'))!.metadata.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await endpoints('web'))!.metadata.resourceVersion).toBe(settled);

    await client.delete('v1', 'Service', NS, 'web');
    await waitFor(async () => (await endpoints('web')) === undefined, { what: 'the Endpoints deleted' });
  });

  it('recreates Endpoints deleted by someone else', async () => {
    await client.create('v1', 'Service', NS, {
      metadata: { name: 'again' },
      spec: { selector: { app: 'web' }, ports: [{ port: 81, targetPort: 9000 }] },
    });
    await waitFor(async () => (await endpoints('again'))?.subsets?.length === 1, { what: 'Endpoints made' });
    await client.delete('v1', 'Endpoints', NS, 'again');
    await waitFor(async () => (await endpoints('again'))?.subsets?.length === 1, {
      what: 'Endpoints recreated',
    });
    expect(summary(await endpoints('again'))).toBe('ready=p1 notReady= ports=undefined:9000');
  });

  it('leaves the Endpoints of a service without a selector alone', async () => {
    await client.create('v1', 'Service', NS, {
      metadata: { name: 'external' },
      spec: { ports: [{ port: 5432 }] },
    });
    const manual: KubeObject = {
      metadata: { name: 'external' },
      subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    };
    const created = await client.create('v1', 'Endpoints', NS, manual);
    // A service with a selector in the same namespace gets its Endpoints: proof the controller is running.
    await client.create('v1', 'Service', NS, {
      metadata: { name: 'probe' },
      spec: { selector: { app: 'web' }, ports: [{ port: 1 }] },
    });
    await waitFor(async () => (await endpoints('probe')) !== undefined, { what: 'probe Endpoints' });
    const after = (await endpoints('external'))!;
    expect(after.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(after.subsets).toEqual(manual.subsets);
  });
});
