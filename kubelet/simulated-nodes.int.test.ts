/** Simulated nodes against a real API server: registration, leases, pods played through their life. */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import type { Pod } from './api-types.js';
import type { Lease, Node } from './node-status.js';
import { ANNOTATION_RUN_MS } from './simulated-pod.js';
import { startSimulatedNodes } from './simulated-nodes.js';
import type { RunningSimulatedNodes } from './simulated-nodes.js';

let api: TestApiServer;
let client: ApiClient;
let kubeConfig: KubeConfig;
const stop = new AbortController();
let sim: RunningSimulatedNodes;

function podOn(name: string, nodeName: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name, ...(extra.metadata as object) },
    spec: {
      nodeName,
      containers: [{ name: 'app', image: 'busybox' }],
      ...(extra.spec as object),
    },
  };
}

async function getPod(name: string): Promise<Pod | undefined> {
  try {
    return (await client.get('v1', 'Pod', 'sim', name)) as unknown as Pod;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  api = await startTestApiServer();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  client = clientFor(kubeConfig);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: 'sim' } });
  sim = await startSimulatedNodes({
    kubeConfig,
    count: 3,
    namePrefix: 'sim-',
    readyDelayMs: 300,
    zones: ['a', 'b'],
    log: () => undefined,
    signal: stop.signal,
  });
});
afterAll(async () => {
  stop.abort();
  await sim?.done;
  await api?.close();
});

describe('simulated nodes', () => {
  it('registers Ready nodes with capacity, labels, addresses and a pod range', async () => {
    expect(sim.nodeNames).toEqual(['sim-0', 'sim-1', 'sim-2']);
    const node = (await client.get('v1', 'Node', undefined, 'sim-1')) as unknown as Node;
    expect(node.metadata?.labels).toMatchObject({
      'kubernetes.io/hostname': 'sim-1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': 'simulated',
      'topology.kubernetes.io/zone': 'b',
    });
    expect(node.spec?.podCIDR).toBe('10.128.1.0/24');
    expect(node.status?.allocatable).toEqual({ cpu: '8', memory: '32Gi', pods: '110' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
    });
    expect(node.status?.addresses).toEqual([
      { type: 'InternalIP', address: '100.64.0.2' },
      { type: 'Hostname', address: 'sim-1' },
    ]);
  });

  it('holds a lease per node in kube-node-lease, owned by the node', async () => {
    const lease = await waitFor(
      async () => {
        try {
          return (await client.get('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', 'sim-2')) as Lease;
        } catch {
          return undefined;
        }
      },
      { what: 'the lease of sim-2' },
    );
    expect(lease.spec).toMatchObject({ holderIdentity: 'sim-2', leaseDurationSeconds: 40 });
    expect(lease.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'sim-2' });
    expect(Date.now() - Date.parse(lease.spec!.renewTime!)).toBeLessThan(15_000);
  });

  it('plays a pod to Running and Ready after the delay, with a pod IP from the node range', async () => {
    const created = Date.now();
    await client.create('v1', 'Pod', 'sim', podOn('web', 'sim-0'));
    const pod = await waitFor(async () => {
      const p = await getPod('web');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    expect(Date.now() - created).toBeGreaterThanOrEqual(300);
    expect(pod.status?.podIP).toMatch(/^10\.128\.0\.\d+$/);
    expect(pod.status?.hostIP).toBe('100.64.0.1');
    expect(pod.status?.startTime).toBeDefined();
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: {} },
    });
  });

  it('ignores pods bound to nodes it does not simulate', async () => {
    await client.create('v1', 'Pod', 'sim', podOn('elsewhere', 'real-node'));
    await new Promise((r) => setTimeout(r, 800));
    expect((await getPod('elsewhere'))?.status?.phase).toBe('Pending');
  });

  it('finishes a graceful deletion with a final delete', async () => {
    await client.create('v1', 'Pod', 'sim', podOn('doomed', 'sim-1'));
    await waitFor(async () => (await getPod('doomed'))?.status?.phase === 'Running');
    const answer = await client.delete('v1', 'Pod', 'sim', 'doomed');
    expect((answer as KubeObject).metadata.deletionTimestamp).toBeDefined();
    await waitFor(async () => (await getPod('doomed')) === undefined, { what: 'the pod to be gone' });
    // The final delete is the node's doing, not the API server's own expiry of the grace period.
    await waitFor(() => sim.stats().deletions >= 1, { what: 'the node to count its delete' });
  });

  it('ends a pod that asks to finish as Succeeded', async () => {
    await client.create(
      'v1',
      'Pod',
      'sim',
      podOn('job', 'sim-2', {
        metadata: { annotations: { [ANNOTATION_RUN_MS]: '200' } },
        spec: { restartPolicy: 'Never' },
      }),
    );
    const pod = await waitFor(async () => {
      const p = await getPod('job');
      return p?.status?.phase === 'Succeeded' ? p : undefined;
    });
    expect(pod.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  });

  it('writes a status once and not again while nothing changes', async () => {
    await client.create('v1', 'Pod', 'sim', podOn('steady', 'sim-2'));
    const pod = await waitFor(async () => {
      const p = await getPod('steady');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const version = pod.metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 500));
    expect((await getPod('steady'))?.metadata?.resourceVersion).toBe(version);
  });
});
