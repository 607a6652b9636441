/**
 * The kubelet against real Docker and a real API server: one in-process kubelet with a node name of
 * its own; every container it creates carries this run's label, so afterAll removes exactly these.
 * Independent scenarios run concurrently; each uses pods of its own. As in a secured cluster, the
 * kubelet serves its endpoint over TLS to the API server's kubelet client certificate only, so every
 * log read here goes API server → kubelet over HTTPS.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import Docker from 'dockerode';
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import type { Pod } from '../kubelet/api-types.js';
import { ensureLocalImages } from '../kubelet/images.js';
import { API_SERVER_KUBELET_CLIENT } from '../kubelet/log-server.js';
import { startKubelet } from '../kubelet/kubelet.js';
import type { RunningKubelet } from '../kubelet/kubelet.js';
import type { Node } from '../kubelet/node-status.js';
import { DockerRuntime } from '../kubelet/runtime/docker-runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from '../kubelet/runtime/runtime.js';
import { kubectlBinaries, spawnKubectl } from './support/kubectl.js';
import { startTestApiServer } from './support/test-api-server.js';
import { makeTestCa } from './support/test-pki.js';
import type { TestCa } from './support/test-pki.js';
import type { TestApiServer } from './support/test-api-server.js';
import { waitFor } from './support/wait-for.js';

const RUN_ID = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
const RUN_LABEL = 'kubicle.test.run';
const NODE = `e2e-kubelet-${RUN_ID}`;
const NS = 'kl';
const docker = new Docker();

let api: TestApiServer;
let client: ApiClient;
let kubeConfig: KubeConfig;
let dataDir: string;
let clusterCa: TestCa;
let kubelet: RunningKubelet;
let stopKubelet: AbortController;

function runtime(): DockerRuntime {
  return new DockerRuntime({ docker, nodeName: NODE, ownerLabels: { [RUN_LABEL]: RUN_ID } });
}

async function start(): Promise<void> {
  stopKubelet = new AbortController();
  kubelet = await startKubelet({
    kubeConfig,
    nodeName: NODE,
    runtime: runtime(),
    dataDir,
    port: 0,
    tls: { clientCA: clusterCa.cert },
    crashLoopBackOff: { initialMs: 2_000, maxMs: 60_000 },
    log: process.env.KUBICLE_TEST_LOG ? (line) => console.error(line) : () => undefined,
    signal: stopKubelet.signal,
  });
}

async function stop(): Promise<void> {
  stopKubelet.abort();
  await kubelet.done;
}

async function createPod(
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
) {
  return client.create('v1', 'Pod', NS, {
    metadata: { name, ...metadata },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, ...spec },
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

function podWhere(
  name: string,
  check: (pod: Pod) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<Pod> {
  return waitFor(
    async () => {
      const pod = await getPod(name);
      return pod && check(pod) ? pod : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `pod ${name}: ${what}` },
  );
}

const isReady = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

async function logsOf(name: string, container?: string, query = ''): Promise<string> {
  const q = new URLSearchParams(query);
  if (container) q.set('container', container);
  const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/pods/${name}/log?${q}`);
  return res.text();
}

async function eventsOf(name: string): Promise<(KubeObject & { reason?: string; message?: string })[]> {
  const list = await client.list('v1', 'Event', {
    namespace: NS,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items as (KubeObject & { reason?: string; message?: string })[];
}

async function containersOf(uid: string) {
  return docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${RUN_ID}`, `${LABEL_POD_UID}=${uid}`] },
  });
}

beforeAll(async () => {
  await ensureLocalImages(docker);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-kubelet-'));
  clusterCa = makeTestCa(path.join(dataDir, 'test-ca'), 'cluster-ca');
  api = await startTestApiServer({
    kubeletClient: clusterCa.issueClient(API_SERVER_KUBELET_CLIENT, ['system:masters']),
  });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  client = clientFor(kubeConfig);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: NS } });
  await start();
}, 120_000);

afterAll(async () => {
  await stop();
  const leftovers = await docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${RUN_ID}`] },
  });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  await api?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('kubelet node', () => {
  it('registers a Ready node with capacity, addresses, nodeInfo and its log port', async () => {
    const node = (await client.get('v1', 'Node', undefined, NODE)) as unknown as Node;
    expect(node.metadata?.labels).toMatchObject({
      'kubernetes.io/hostname': NODE,
      'kubernetes.io/os': 'linux',
    });
    expect(Number(node.status?.capacity?.cpu)).toBe(os.cpus().length);
    expect(node.status?.capacity?.pods).toBe('110');
    expect(node.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^docker:\/\/\d/);
    expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.\d+/);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(kubelet.port);
    expect(node.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);
    const lease = await client.get('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', NODE);
    expect((lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity).toBe(NODE);
  });

  it("serves its endpoint over TLS to the cluster CA's API server client only", async () => {
    const healthz = (client?: { cert: string; key: string }) =>
      new Promise<number>((resolve, reject) => {
        const req = https.get(
          {
            host: kubelet.nodeIP,
            port: kubelet.port,
            path: '/healthz',
            rejectUnauthorized: false,
            ...client,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
      });
    expect(await healthz(clusterCa.issueClient(API_SERVER_KUBELET_CLIENT))).toBe(200);
    expect(await healthz(clusterCa.issueClient('system:node:intruder', ['system:nodes']))).toBe(403);
    await expect(healthz()).rejects.toThrow();
  });
});

describe('kubelet pods', () => {
  it.concurrent(
    'runs a two-container pod whose containers share localhost, Running and Ready with a pod IP',
    async () => {
      await createPod('pair', {
        containers: [
          { name: 'web', image: 'busybox', command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'] },
          {
            name: 'client',
            image: 'busybox',
            command: ['sh', '-c', 'while true; do wget -qO- localhost:8080 && echo; sleep 1; done'],
          },
        ],
      });
      const pod = await podWhere(
        'pair',
        (p) => p.status?.phase === 'Running' && isReady(p),
        'Running and Ready',
      );
      expect(pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(pod.status?.hostIP).toBe(kubelet.nodeIP);
      expect(pod.status?.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount])).toEqual([
        ['client', true, 0],
        ['web', true, 0],
      ]);
      await waitFor(async () => (await logsOf('pair', 'client')).includes('It works!'), {
        timeoutMs: 15_000,
        what: 'the client to fetch the page from localhost',
      });
    },
  );

  it.concurrent(
    'gives containers env and configMap/secret/emptyDir volumes, after an init container, and updates files',
    async () => {
      await client.create('v1', 'ConfigMap', NS, {
        metadata: { name: 'settings' },
        data: { greeting: 'hello', colour: 'blue' },
      });
      await client.create('v1', 'Secret', NS, {
        metadata: { name: 'creds' },
        data: { password: Buffer.from('s3cret').toString('base64') },
      });
      await createPod('configured', {
        initContainers: [
          {
            name: 'prepare',
            image: 'busybox',
            command: ['sh', '-c', 'echo prepared > /work/init.txt'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'echo "LITERAL=$LITERAL GREETING=$GREETING PASSWORD=$PASSWORD POD=$POD_NAME IP=$POD_IP"; cat /work/init.txt; echo "password file: $(cat /etc/creds/password)"; while true; do echo "colour file: $(cat /etc/settings/colour)"; sleep 1; done',
            ],
            env: [
              { name: 'LITERAL', value: 'plain-$(POD_NAME)' },
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            ],
            volumeMounts: [
              { name: 'work', mountPath: '/work' },
              { name: 'settings', mountPath: '/etc/settings' },
              { name: 'creds', mountPath: '/etc/creds' },
            ],
          },
        ],
        volumes: [
          { name: 'work', emptyDir: {} },
          { name: 'settings', configMap: { name: 'settings' } },
          { name: 'creds', secret: { secretName: 'creds' } },
        ],
      });
      const pod = await podWhere('configured', (p) => p.status?.phase === 'Running', 'Running');
      expect(pod.status?.initContainerStatuses?.[0]).toMatchObject({
        name: 'prepare',
        ready: true,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      });
      const logs = await waitFor(
        async () => {
          const text = await logsOf('configured');
          return text.includes('colour file: blue') ? text : undefined;
        },
        { what: 'the app to print its settings' },
      );
      // LITERAL shows $(POD_NAME) unexpanded: it refers to a variable declared after it, as upstream.
      expect(logs).toContain(
        `LITERAL=plain-$(POD_NAME) GREETING=hello PASSWORD=s3cret POD=configured IP=${pod.status?.podIP}`,
      );
      expect(logs).toContain('prepared');
      expect(logs).toContain('password file: s3cret');

      const settings = await client.get('v1', 'ConfigMap', NS, 'settings');
      await client.update('v1', 'ConfigMap', NS, {
        ...settings,
        data: { greeting: 'hello', colour: 'green' },
      });
      await waitFor(async () => (await logsOf('configured')).includes('colour file: green'), {
        timeoutMs: 20_000,
        what: 'the changed ConfigMap to show in the mounted file',
      });
    },
  );

  it.concurrent(
    'backs a crashing container off with growing delays, CrashLoopBackOff and rising restartCount',
    async () => {
      await createPod('crasher', {
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo crashing; exit 3'] }],
      });
      const restartSeenAt = new Map<number, number>();
      let sawCrashLoop = false;
      await waitFor(
        async () => {
          const status = (await getPod('crasher'))?.status?.containerStatuses?.[0];
          if (!status) return false;
          if (!restartSeenAt.has(status.restartCount)) restartSeenAt.set(status.restartCount, Date.now());
          if (status.state?.waiting?.reason === 'CrashLoopBackOff') sawCrashLoop = true;
          return status.restartCount >= 3 && sawCrashLoop;
        },
        { timeoutMs: 40_000, intervalMs: 100, what: 'three restarts and CrashLoopBackOff' },
      );
      // Backoff 2 s, then 4 s: the third restart comes clearly later after the second than the second after the first.
      const gap12 = restartSeenAt.get(2)! - restartSeenAt.get(1)!;
      const gap23 = restartSeenAt.get(3)! - restartSeenAt.get(2)!;
      expect(gap12).toBeGreaterThan(1_000);
      expect(gap23).toBeGreaterThan(gap12 + 1_000);
      const pod = (await getPod('crasher'))!;
      expect(pod.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({
        exitCode: 3,
        reason: 'Error',
      });
      const events = await eventsOf('crasher');
      expect(
        events.some(
          (e) => e.reason === 'BackOff' && /Back-off restarting failed container app/.test(e.message ?? ''),
        ),
      ).toBe(true);
      expect(await logsOf('crasher', undefined, 'previous=true')).toContain('crashing');
    },
  );

  it.concurrent('restarts a container whose liveness probe fails, with an Unhealthy event', async () => {
    await createPod('unwell', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 600'],
          livenessProbe: {
            exec: { command: ['cat', '/tmp/healthy'] },
            periodSeconds: 1,
            failureThreshold: 2,
          },
        },
      ],
    });
    await podWhere(
      'unwell',
      (p) => (p.status?.containerStatuses?.[0].restartCount ?? 0) >= 1,
      'restarted',
      40_000,
    );
    const events = await eventsOf('unwell');
    expect(
      events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message ?? '')),
    ).toBe(true);
    expect(
      events.some(
        (e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message ?? ''),
      ),
    ).toBe(true);
  });

  it.concurrent('flips the Ready condition with the readiness probe', async () => {
    await createPod('flapper', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'while true; do touch /tmp/ready; sleep 3; rm -f /tmp/ready; sleep 3; done'],
          readinessProbe: {
            exec: { command: ['test', '-f', '/tmp/ready'] },
            periodSeconds: 1,
            failureThreshold: 1,
          },
        },
      ],
    });
    await podWhere('flapper', (p) => isReady(p), 'Ready');
    const notReady = await podWhere('flapper', (p) => !isReady(p), 'not Ready any more');
    expect(notReady.status?.phase).toBe('Running');
    expect(notReady.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('False');
    await podWhere('flapper', (p) => isReady(p), 'Ready again');
  });

  it.concurrent(
    'gives a deleted pod its grace period: preStop, then SIGTERM, then the final delete',
    async () => {
      const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-grace-'));
      try {
        const created = await createPod('graceful', {
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: [
                'sh',
                '-c',
                "trap 'echo term >> /out/log; sleep 2; echo finished >> /out/log; exit 0' TERM; echo started >> /out/log; while true; do sleep 1; done",
              ],
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/log'] } } },
              volumeMounts: [{ name: 'out', mountPath: '/out' }],
            },
          ],
          volumes: [{ name: 'out', hostPath: { path: shared, type: 'Directory' } }],
        });
        await podWhere('graceful', (p) => p.status?.phase === 'Running', 'Running');
        await waitFor(() => fs.existsSync(path.join(shared, 'log')), {
          what: 'the container to start writing',
        });
        const deletedAt = Date.now();
        await client.delete('v1', 'Pod', NS, 'graceful');
        await waitFor(async () => (await getPod('graceful')) === undefined, {
          timeoutMs: 30_000,
          what: 'the pod to be gone',
        });
        expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(2_000);
        expect(fs.readFileSync(path.join(shared, 'log'), 'utf8').split('\n').filter(Boolean)).toEqual([
          'started',
          'prestop',
          'term',
          'finished',
        ]);
        expect(await containersOf(created.metadata.uid!)).toEqual([]);
        const events = await eventsOf('graceful');
        expect(events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container app')).toBe(
          true,
        );
      } finally {
        fs.rmSync(shared, { recursive: true, force: true });
      }
    },
  );

  it.concurrent('repairs containers killed or removed behind its back', async () => {
    const created = await createPod('victim', {
      containers: [{ name: 'web', image: 'busybox', command: ['httpd', '-f', '-p', '8080'] }],
    });
    const uid = created.metadata.uid!;
    await podWhere('victim', (p) => isReady(p), 'Ready');
    const appOf = async () =>
      (await containersOf(uid)).filter(
        (c) => c.Labels[LABEL_CONTAINER_NAME] === 'web' && c.State === 'running',
      );

    const [first] = await appOf();
    await docker.getContainer(first.Id).kill();
    const restarted = await podWhere(
      'victim',
      (p) => isReady(p) && p.status?.containerStatuses?.[0].restartCount === 1,
      'restarted after docker kill',
    );
    expect(restarted.status?.containerStatuses?.[0].lastState?.terminated?.exitCode).toBe(137);

    const containerIdOf = (p: Pod) => p.status?.containerStatuses?.[0].containerID ?? '';
    const [second] = await appOf();
    await docker.getContainer(second.Id).remove({ force: true });
    await podWhere(
      'victim',
      (p) => isReady(p) && !!containerIdOf(p) && !containerIdOf(p).endsWith(second.Id),
      'replaced after docker rm',
    );

    const [third] = await appOf();
    const sandbox = (await containersOf(uid)).find(
      (c) => c.Labels[LABEL_CONTAINER_NAME] === 'POD' && c.State === 'running',
    )!;
    await docker.getContainer(sandbox.Id).kill();
    const recreated = await podWhere(
      'victim',
      (p) => isReady(p) && !!containerIdOf(p) && !containerIdOf(p).endsWith(third.Id),
      'running again in a new sandbox',
    );
    expect(recreated.status?.podIP).toBeDefined();
    // Exactly one sandbox and one app container run: nothing was duplicated.
    const live = (await containersOf(uid)).filter((c) => c.State === 'running');
    expect(live.map((c) => c.Labels[LABEL_CONTAINER_NAME]).sort()).toEqual(['POD', 'web']);
  });

  it.concurrent('streams logs with kubectl logs -f', async () => {
    await createPod('talker', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 1; done'],
        },
      ],
    });
    await podWhere('talker', (p) => p.status?.phase === 'Running', 'Running');
    const [kubectl] = kubectlBinaries([]);
    const child = spawnKubectl(kubectl.path, ['logs', '-f', '-n', NS, 'talker'], {
      kubeconfig: api.kubeconfig,
      cacheDir: path.join(api.dir, 'kubectl-cache'),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await waitFor(() => /line 2\n/.test(output), { timeoutMs: 15_000, what: 'the first lines' });
      const seen = output.split('\n').filter(Boolean).length;
      // Lines keep arriving on the open stream while the container writes them.
      await waitFor(() => output.split('\n').filter(Boolean).length >= seen + 2, {
        timeoutMs: 10_000,
        what: 'more lines to stream in',
      });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  });
});
