/**
 * The node lifecycle controller against a real API server: a node whose lease stops is marked Unknown,
 * tainted, and its pods evicted after a short configured toleration cap; a node whose lease keeps
 * renewing is left alone; a node that comes back loses its taints.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { startControllerManager } from './controller-manager.js';
import { nodeLifecycleController, UNREACHABLE_TAINT } from './node-lifecycle-controller.js';
import type { Lease, Node, Pod } from './node-lifecycle-controller.js';

const NS = 'nl';
let api: TestApiServer;
let client: ApiClient;
const stop = new AbortController();
let manager: Promise<void>;
let renewing: NodeJS.Timeout | undefined;

const microTime = () => new Date().toISOString().replace('Z', '000Z');

beforeAll(async () => {
  api = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  client = clientFor(kc);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: NS } });
});

afterAll(async () => {
  clearInterval(renewing);
  stop.abort();
  await manager;
  await api?.close();
});

async function postReady(name: string): Promise<void> {
  const node = await client.get<Node>('v1', 'Node', undefined, name);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  node.status = {
    ...node.status,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
  };
  await client.updateStatus('v1', 'Node', undefined, node);
}

async function renewLease(name: string): Promise<void> {
  const lease = await client.get<Lease>('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', name);
  lease.spec = { ...lease.spec, renewTime: microTime() };
  await client.update('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', lease);
}

async function addNode(name: string): Promise<void> {
  await client.create('v1', 'Node', undefined, { metadata: { name } });
  await postReady(name);
  await client.create('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', {
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  });
}

async function addPod(name: string, nodeName: string, tolerations?: unknown[]): Promise<void> {
  await client.create('v1', 'Pod', NS, {
    metadata: { name },
    spec: { nodeName, tolerations, containers: [{ name: 'c', image: 'busybox' }] },
  });
  const pod = await client.get<Pod>('v1', 'Pod', NS, name);
  pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  await client.updateStatus('v1', 'Pod', NS, pod);
}

const getNode = (name: string) => client.get<Node>('v1', 'Node', undefined, name);
const getPod = (name: string) => client.get<Pod>('v1', 'Pod', NS, name);
const condition = (pod: Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;

describe('node lifecycle controller', () => {
  it('marks a node whose lease stops Unknown, taints it, evicts its pods, and untaints it when it returns', async () => {
    await addNode('alive');
    await addNode('lost');
    renewing = setInterval(() => void renewLease('alive').catch(() => undefined), 200);
    await addPod('default-tolerations', 'lost'); // the API server adds 300 s tolerations, capped to 1 s here
    await addPod('tolerates-forever', 'lost', [{ operator: 'Exists' }]);
    await addPod('elsewhere', 'alive');

    const started = Date.now();
    manager = startControllerManager({
      client,
      signal: stop.signal,
      registry: [nodeLifecycleController],
      settings: { nodelifecycle: { gracePeriodMs: 1500, maxTolerationMs: 1000 } },
      log: () => undefined,
    });

    const lost = await waitFor(
      async () => {
        const node = await getNode('lost');
        return node.spec?.taints?.some((t) => t.key === UNREACHABLE_TAINT && t.effect === 'NoExecute')
          ? node
          : undefined;
      },
      { what: 'the lost node tainted' },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(lost.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(lost.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
      `${UNREACHABLE_TAINT}:NoExecute`,
      `${UNREACHABLE_TAINT}:NoSchedule`,
    ]);

    const evicted = await waitFor(
      async () => {
        const pod = await getPod('default-tolerations');
        return pod.metadata.deletionTimestamp ? pod : undefined;
      },
      { what: 'the pod evicted' },
    );
    expect(condition(evicted, 'DisruptionTarget')).toBe('True');
    expect(condition(evicted, 'Ready')).toBe('False');

    const kept = await getPod('tolerates-forever');
    expect(kept.metadata.deletionTimestamp).toBeUndefined();
    expect(condition(kept, 'Ready')).toBe('False');

    const healthy = await getNode('alive');
    expect(healthy.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(healthy.spec?.taints ?? []).toEqual([]);
    const untouched = await getPod('elsewhere');
    expect(untouched.metadata.deletionTimestamp).toBeUndefined();
    expect(condition(untouched, 'Ready')).toBe('True');

    // The kubelet is back: it renews its lease and posts Ready.
    await renewLease('lost');
    await postReady('lost');
    await waitFor(async () => ((await getNode('lost')).spec?.taints ?? []).length === 0, {
      what: 'the taints lifted',
    });
  });
});
