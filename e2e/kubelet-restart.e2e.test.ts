/**
 * A kubelet stopped and started again adopts what is running: no restarts, no duplicates; it removes
 * what belongs to pods deleted meanwhile and starts pods created meanwhile. Real Docker, a real API
 * server; this run's containers carry its own label and are all removed in afterAll.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import Docker from 'dockerode';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import type { Pod } from '../kubelet/api-types.js';
import { ensureLocalImages } from '../kubelet/images.js';
import { startKubelet } from '../kubelet/kubelet.js';
import type { RunningKubelet } from '../kubelet/kubelet.js';
import { DockerRuntime } from '../kubelet/runtime/docker-runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from '../kubelet/runtime/runtime.js';
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { waitFor } from './support/wait-for.js';

const RUN_ID = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
const RUN_LABEL = 'kubicle.test.run';
const NODE = `e2e-restart-${RUN_ID}`;
const NS = 'restart';
const docker = new Docker();

let api: TestApiServer;
let client: ApiClient;
let kubeConfig: KubeConfig;
let dataDir: string;
let kubelet: RunningKubelet | undefined;
let stopKubelet: AbortController;

async function start(): Promise<void> {
  stopKubelet = new AbortController();
  kubelet = await startKubelet({
    kubeConfig,
    nodeName: NODE,
    runtime: new DockerRuntime({ docker, nodeName: NODE, ownerLabels: { [RUN_LABEL]: RUN_ID } }),
    dataDir,
    port: 0,
    log: process.env.KUBICLE_TEST_LOG ? (line) => console.error(line) : () => undefined,
    signal: stopKubelet.signal,
  });
}

async function stop(): Promise<void> {
  stopKubelet.abort();
  await kubelet?.done;
  kubelet = undefined;
}

function createPod(name: string) {
  return client.create('v1', 'Pod', NS, {
    metadata: { name },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'web', image: 'busybox', command: ['httpd', '-f', '-p', '8080'] }],
    },
  });
}

async function getPod(name: string): Promise<Pod | undefined> {
  try {
    return (await client.get('v1', 'Pod', NS, name)) as unknown as Pod;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const isReady = (pod: Pod | undefined) =>
  pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

function whenReady(name: string): Promise<Pod> {
  return waitFor(
    async () => {
      const pod = await getPod(name);
      return isReady(pod) ? pod : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `pod ${name} to be Ready` },
  );
}

async function containersOf(uid: string) {
  return docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${RUN_ID}`, `${LABEL_POD_UID}=${uid}`] },
  });
}

function summary(containers: Docker.ContainerInfo[]): string[] {
  return containers.map((c) => `${c.Labels[LABEL_CONTAINER_NAME]}:${c.State}`).sort();
}

beforeAll(async () => {
  await ensureLocalImages(docker);
  api = await startTestApiServer();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  client = clientFor(kubeConfig);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-kubelet-restart-'));
  await client.create('v1', 'Namespace', undefined, { metadata: { name: NS } });
}, 120_000);

afterAll(async () => {
  if (kubelet) await stop();
  const leftovers = await docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${RUN_ID}`] },
  });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  await api?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('a restarted kubelet', () => {
  it('adopts running pods without restarts or duplicates, cleans up deleted pods and starts new ones', async () => {
    await start();
    const steady = await createPod('steady');
    const doomed = await createPod('doomed');
    const before = await whenReady('steady');
    await whenReady('doomed');
    const steadyContainers = (await containersOf(steady.metadata.uid!)).map((c) => c.Id).sort();

    // Cut a start short: stop the kubelet as soon as the pod's sandbox exists.
    const midFlight = await createPod('mid-flight');
    await waitFor(async () => (await containersOf(midFlight.metadata.uid!)).length > 0, {
      what: 'the sandbox of mid-flight',
    });
    await stop();

    // While it is away: one pod is removed for good, another one is created.
    await client.delete('v1', 'Pod', NS, 'doomed', { gracePeriodSeconds: 0 });
    const late = await createPod('late');

    await start();
    await whenReady('mid-flight');
    await whenReady('late');
    await waitFor(async () => (await containersOf(doomed.metadata.uid!)).length === 0, {
      timeoutMs: 15_000,
      what: 'the containers of the deleted pod to be removed',
    });

    const after = (await getPod('steady'))!;
    expect(isReady(after)).toBe(true);
    expect(after.status?.containerStatuses?.[0].containerID).toBe(
      before.status?.containerStatuses?.[0].containerID,
    );
    expect(after.status?.containerStatuses?.[0].restartCount).toBe(0);
    expect((await containersOf(steady.metadata.uid!)).map((c) => c.Id).sort()).toEqual(steadyContainers);
    expect(summary(await containersOf(late.metadata.uid!))).toEqual(['POD:running', 'web:running']);
    const midFlightRunning = (await containersOf(midFlight.metadata.uid!)).filter(
      (c) => c.State === 'running',
    );
    expect(summary(midFlightRunning)).toEqual(['POD:running', 'web:running']);
  });
});
