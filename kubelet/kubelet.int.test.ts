/**
 * The kubelet against a real API server, on the fake runtime: node registration and health, the pod
 * lifecycle end to end without Docker (the Docker e2e tests cover the real runtime).
 */
import fs from 'node:fs';
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
import type { Node } from './node-status.js';
import { FakeRuntime } from './runtime/fake-runtime.js';

const NODE = 'fake-node';
let api: TestApiServer;
let client: ApiClient;
let dataDir: string;
let kubelet: RunningKubelet;
const runtime = new FakeRuntime();
const stop = new AbortController();

async function readyCondition() {
  const node = (await client.get('v1', 'Node', undefined, NODE)) as unknown as Node;
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

async function getPod(name: string): Promise<Pod | undefined> {
  try {
    return (await client.get('v1', 'Pod', 'default', name)) as unknown as Pod;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  api = await startTestApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  client = clientFor(kubeConfig);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-fake-kubelet-'));
  kubelet = await startKubelet({
    kubeConfig,
    nodeName: NODE,
    runtime,
    dataDir,
    nodeIP: '127.0.0.1',
    port: 0,
    relistIntervalMs: 100,
    nodeStatusUpdateIntervalMs: 200,
    log: () => undefined,
    signal: stop.signal,
  });
});
afterAll(async () => {
  stop.abort();
  await kubelet?.done;
  await api?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the kubelet on the fake runtime', () => {
  it('registers its node Ready, and reports it not Ready while the runtime is down', async () => {
    expect(await readyCondition()).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    runtime.down = true;
    const down = await waitFor(async () => {
      const c = await readyCondition();
      return c?.status === 'False' ? c : undefined;
    });
    expect(down).toMatchObject({ reason: 'KubeletNotReady' });
    expect(down.message).toMatch(/^container runtime is down: Cannot connect to the Docker daemon/);
    runtime.down = false;
    await waitFor(async () => (await readyCondition())?.status === 'True', { what: 'Ready again' });
  });

  it('runs a pod bound to it and finishes its deletion', async () => {
    await client.create('v1', 'Pod', 'default', {
      metadata: { name: 'app' },
      spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }] },
    });
    const running = await waitFor(async () => {
      const pod = await getPod('app');
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    expect(running.status?.podIP).toMatch(/^10\.88\.0\.\d+$/);
    expect(running.status?.hostIP).toBe('127.0.0.1');
    await client.delete('v1', 'Pod', 'default', 'app');
    await waitFor(async () => (await getPod('app')) === undefined, { what: 'the pod to be gone' });
    expect(await runtime.listContainers()).toEqual([]);
  });

  it('serves container logs through the API server', async () => {
    await client.create('v1', 'Pod', 'default', {
      metadata: { name: 'talker' },
      spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }] },
    });
    const pod = await waitFor(async () => {
      const p = await getPod('talker');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const id = pod.status!.containerStatuses![0].containerID!.replace('docker://', '');
    runtime.setLogs(id, 'hello from the fake runtime\n');
    const res = await fetch(`${api.url}/api/v1/namespaces/default/pods/talker/log`);
    expect(await res.text()).toBe('hello from the fake runtime\n');
  });
});
