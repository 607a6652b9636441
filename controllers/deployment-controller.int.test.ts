/**
 * The Deployment controller (with the ReplicaSet controller) against a real API server, simulated
 * nodes and the real kubectl: rolling updates that never lose a ready pod (checked on every pod
 * event), and `kubectl rollout status|history|undo|restart`. The tests build on one Deployment, in
 * order, as a user's session would.
 */
import path from 'node:path';
import { kubectl, kubectlBinaries } from '../e2e/support/kubectl.js';
import type { KubectlResult } from '../e2e/support/kubectl.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { startControllerManager } from './controller-manager.js';
import { PodWatch, startTestCluster } from './testing/test-cluster.js';
import type { TestCluster } from './testing/test-cluster.js';
import type { Deployment, ReplicaSet } from './workload-types.js';

const NS = 'default';
const binary = kubectlBinaries([])[0]?.path ?? 'kubectl';
let cluster: TestCluster;
let watch: PodWatch;
const stop = new AbortController();
let manager: Promise<void>;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 4, readyDelayMs: 100 });
  manager = startControllerManager({
    kubeConfig: cluster.kubeConfig,
    signal: stop.signal,
    controllers: ['replicaset', 'deployment'],
    log: () => undefined,
  });
  watch = new PodWatch(cluster.client, NS, 'app=web');
  await watch.synced();
});
afterAll(async () => {
  stop.abort();
  await manager;
  await watch?.close();
  await cluster?.close();
});

function run(...args: string[]): Promise<KubectlResult> {
  return kubectl(binary, ['-n', NS, ...args], {
    kubeconfig: cluster.api.kubeconfig,
    cacheDir: path.join(cluster.api.dir, 'kubectl-cache'),
    timeoutMs: 100_000,
  });
}

async function ok(...args: string[]): Promise<string> {
  const result = await run(...args);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const getDeployment = () => cluster.client.get<Deployment>('apps/v1', 'Deployment', NS, 'web');
const image = async () => (await getDeployment()).spec?.template.spec?.containers[0].image;

async function replicaSets(): Promise<ReplicaSet[]> {
  const list = await cluster.client.list<ReplicaSet>('apps/v1', 'ReplicaSet', {
    namespace: NS,
    labelSelector: 'app=web',
  });
  return list.items;
}

async function setImage(to: string, cause: string): Promise<void> {
  await cluster.client.patch(
    'apps/v1',
    'Deployment',
    NS,
    'web',
    {
      metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
      spec: { template: { spec: { containers: [{ name: 'app', image: to }] } } },
    },
    { type: 'strategic' },
  );
}

/** From now on, every pod event must see at least 10 ready pods and at most 11 (maxSurge 1) in all. */
function neverBelowTen(): void {
  watch.expect(({ active, ready }) => {
    if (ready < 10) return `only ${ready} ready pods`;
    if (active > 11) return `${active} pods, more than replicas + maxSurge`;
    return undefined;
  });
}

it('rolls out 10 replicas, and `kubectl rollout status` returns once they are available', async () => {
  await cluster.client.create('apps/v1', 'Deployment', NS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'first' } },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      revisionHistoryLimit: 3,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1' }], terminationGracePeriodSeconds: 1 },
      },
    },
  });
  const out = await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect(out).toContain('deployment "web" successfully rolled out');
  expect(watch.counts()).toEqual({ active: 10, ready: 10 });
  const d = await getDeployment();
  expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
  expect(d.status).toMatchObject({
    replicas: 10,
    updatedReplicas: 10,
    readyReplicas: 10,
    availableReplicas: 10,
  });
  expect(d.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`).sort()).toEqual([
    'Available=True/MinimumReplicasAvailable',
    'Progressing=True/NewReplicaSetAvailable',
  ]);
  const [rs] = await replicaSets();
  const hash = rs.metadata.labels?.['pod-template-hash'];
  expect(rs.metadata.name).toBe(`web-${hash}`);
  expect(rs.metadata.annotations).toMatchObject({
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '10',
    'deployment.kubernetes.io/max-replicas': '11',
    'kubernetes.io/change-cause': 'first',
  });
});

it('updates 10 replicas with maxSurge 1 / maxUnavailable 0 without ever having fewer than 10 ready pods', async () => {
  neverBelowTen();
  await setImage('nginx:2', 'second');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect(watch.violations).toEqual([]);
  const d = await getDeployment();
  expect(d.status).toMatchObject({
    observedGeneration: d.metadata.generation,
    replicas: 10,
    updatedReplicas: 10,
  });
  await waitFor(() => watch.counts().active === 10, { what: 'the old pods to go' });
  const sizes = (await replicaSets()).map(
    (rs) => `${rs.spec?.template?.spec?.containers[0].image}=${rs.spec?.replicas}`,
  );
  expect(sizes.sort()).toEqual(['nginx:1=0', 'nginx:2=10']);
});

it('lists the revisions with `kubectl rollout history`', async () => {
  const out = await ok('rollout', 'history', 'deployment/web');
  expect(out).toMatch(/^1\s+first$/m);
  expect(out).toMatch(/^2\s+second$/m);
  expect(await ok('rollout', 'history', 'deployment/web', '--revision=1')).toContain('nginx:1');
});

it('restores the previous template with `kubectl rollout undo`, reusing its ReplicaSet as revision 3', async () => {
  neverBelowTen();
  await ok('rollout', 'undo', 'deployment/web');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect(await image()).toBe('nginx:1');
  const rsList = await replicaSets();
  expect(rsList).toHaveLength(2);
  const first = rsList.find((rs) => rs.spec?.template?.spec?.containers[0].image === 'nginx:1')!;
  expect(first.metadata.annotations).toMatchObject({
    'deployment.kubernetes.io/revision': '3',
    'deployment.kubernetes.io/revision-history': '1',
  });
  expect((await getDeployment()).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  expect(watch.violations).toEqual([]);
});

it('stalls a broken rollout at its deadline without losing a ready pod, and undo recovers it', async () => {
  neverBelowTen();
  await cluster.client.patch('apps/v1', 'Deployment', NS, 'web', { spec: { progressDeadlineSeconds: 3 } });
  // Bound to a node that does not exist, the new pods never become ready: a broken release.
  await cluster.client.patch('apps/v1', 'Deployment', NS, 'web', {
    metadata: { annotations: { 'kubernetes.io/change-cause': 'broken' } },
    spec: { template: { spec: { nodeName: 'nowhere', terminationGracePeriodSeconds: 0 } } },
  });
  const stalled = await run('rollout', 'status', 'deployment/web', '--timeout=60s');
  expect(stalled.code).not.toBe(0);
  expect(stalled.stderr).toContain('exceeded its progress deadline');
  const d = await getDeployment();
  expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
  });
  expect(watch.counts().ready).toBe(10);

  await ok('rollout', 'undo', 'deployment/web');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect((await getDeployment()).spec?.template.spec?.nodeName).toBeUndefined();
  await waitFor(() => watch.counts().active === 10, { what: 'the broken pod to go' });
  expect(watch.violations).toEqual([]);
});

it('rolls every pod with `kubectl rollout restart`, keeping revisionHistoryLimit', async () => {
  neverBelowTen();
  const before = new Set(watch.informer.store.list().map((p) => p.metadata.uid));
  await ok('rollout', 'restart', 'deployment/web');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  await waitFor(() => watch.counts().active === 10, { what: 'the old pods to go' });
  const after = watch.informer.store.list().filter((p) => !p.metadata.deletionTimestamp);
  expect(after.filter((p) => before.has(p.metadata.uid))).toEqual([]);
  const d = await getDeployment();
  expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  // Four templates so far (nginx:1, nginx:2, broken, restarted); history keeps 3 old ones at most.
  await waitFor(async () => (await replicaSets()).length === 4, {
    what: 'old ReplicaSets beyond the limit to go',
  });
  expect(watch.violations).toEqual([]);
});

it('scales a stalled rollout in proportion to its ReplicaSets', async () => {
  const prop = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'prop' },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: 'prop' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'prop' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1' }], terminationGracePeriodSeconds: 0 },
      },
    },
  };
  await cluster.client.create('apps/v1', 'Deployment', NS, prop);
  await ok('rollout', 'status', 'deployment/prop', '--timeout=90s');
  // A broken release holds the rollout with 10 old and 3 new pods (10 + maxSurge 3).
  await cluster.client.patch('apps/v1', 'Deployment', NS, 'prop', {
    spec: { template: { spec: { nodeName: 'nowhere' } } },
  });
  const sizes = async () => {
    const list = await cluster.client.list<ReplicaSet>('apps/v1', 'ReplicaSet', {
      namespace: NS,
      labelSelector: 'app=prop',
    });
    return list.items.map((rs) => rs.spec?.replicas ?? 0).sort((a, b) => a - b);
  };
  await waitFor(async () => JSON.stringify(await sizes()) === '[3,10]', {
    what: 'the stalled rollout at 10 + 3',
  });
  await cluster.client.patch('apps/v1', 'Deployment', NS, 'prop', { spec: { replicas: 20 } });
  // 20 + 3 surge = 23 pods, spread 10:3 → 17.7 and 5.3, rounded: 18 old and 5 new.
  await waitFor(async () => JSON.stringify(await sizes()) === '[5,18]', {
    what: 'proportional sizes 18 and 5',
  });
  await cluster.client.delete('apps/v1', 'Deployment', NS, 'prop');
});

it('holds a paused rollout until `kubectl rollout resume`', async () => {
  neverBelowTen();
  await ok('rollout', 'pause', 'deployment/web');
  await setImage('nginx:3', 'third');
  await waitFor(
    async () => {
      const progressing = (await getDeployment()).status?.conditions?.find((c) => c.type === 'Progressing');
      return progressing?.reason === 'DeploymentPaused' && progressing.status === 'Unknown';
    },
    { what: 'the pause to be recorded' },
  );
  const images = async () => (await replicaSets()).map((rs) => rs.spec?.template?.spec?.containers[0].image);
  expect(await images()).not.toContain('nginx:3');
  await ok('rollout', 'resume', 'deployment/web');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect(await images()).toContain('nginx:3');
  await waitFor(() => watch.counts().active === 10, { what: 'the old pods to go' });
  expect(watch.violations).toEqual([]);
});
