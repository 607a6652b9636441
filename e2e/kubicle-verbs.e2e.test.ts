/**
 * kubectl's everyday verbs as `kubicle` runs them: the built CLI against an API server with the
 * controller manager, the scheduler and simulated nodes, so that applies roll out, scaling and
 * restarts create pods, and a drained node's pods come back elsewhere. One namespace of its own.
 *
 * `logs` is only checked for its error path: simulated nodes run no containers and serve no logs
 * (the kubelet e2e tests read real logs).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../apiserver/api-object.js';
import type { RunningSimulatedNodes } from '../kubelet/simulated-nodes.js';
import type { ApiClient } from '../machinery/api-client.js';
import { startSimulatedCluster } from './support/simulated-cluster.js';
import type { SimulatedCluster } from './support/simulated-cluster.js';
import type { TestApiServer } from './support/test-api-server.js';
import { waitFor } from './support/wait-for.js';

const CLI = path.resolve('dist/cli/kubicle.js');
const NS = `verbs-${randomBytes(3).toString('hex')}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cluster: SimulatedCluster;
let api: TestApiServer;
let client: ApiClient;
let nodes: RunningSimulatedNodes;
let manifest: string;

function kubicle(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--kubeconfig', api.kubeconfig], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Runs a verb that must succeed and returns what it printed. */
async function ok(...args: string[]): Promise<string> {
  const result = await kubicle([...args, '-n', NS]);
  if (result.code !== 0)
    throw new Error(`kubicle ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}

function deploymentYaml(replicas: number, labels: Record<string, string>): string {
  const labelLines = Object.entries(labels)
    .map(([k, v]) => `    ${k}: ${v}`)
    .join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
${labelLines}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;
}

async function deployment(): Promise<KubeObject> {
  return client.get('apps/v1', 'Deployment', NS, 'web');
}

async function livePods(): Promise<KubeObject[]> {
  const list = await client.list('v1', 'Pod', { namespace: NS, labelSelector: 'app=web' });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  cluster = await startSimulatedCluster({ nodes: 3, namePrefix: 'verbs-node-' });
  ({ api, client, nodes } = cluster);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: NS } });
  manifest = path.join(api.dir, 'web.yaml');
});

afterAll(async () => {
  await cluster?.close();
});

describe('kubicle kubectl verbs', () => {
  it('applies: created, unchanged, then configured with removed fields gone and others’ fields kept', async () => {
    fs.writeFileSync(manifest, deploymentYaml(2, { app: 'web', tier: 'front' }));
    expect(await ok('apply', '-f', manifest)).toBe('deployment.apps/web created\nservice/web created\n');
    expect(await ok('apply', '-f', manifest)).toBe('deployment.apps/web unchanged\nservice/web unchanged\n');

    await client.patch('apps/v1', 'Deployment', NS, 'web', { metadata: { labels: { owner: 'ops' } } });
    fs.writeFileSync(manifest, deploymentYaml(3, { app: 'web' }));
    // The same manifest from standard input.
    const applied = await kubicle(
      ['apply', '-f', '-', '-n', NS, '--kubeconfig', api.kubeconfig],
      fs.readFileSync(manifest, 'utf8'),
    );
    expect(applied).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/web configured\nservice/web unchanged\n',
    });
    const live = await deployment();
    expect(live.metadata.labels).toEqual({ app: 'web', owner: 'ops' });
    expect((live.spec as { replicas: number }).replicas).toBe(3);

    const status = await ok('rollout', 'status', 'deployment/web', '--timeout', '30s');
    expect(status.trim().split('\n').pop()).toBe('deployment "web" successfully rolled out');
    expect(await livePods()).toHaveLength(3);
  });

  it('gets in every output mode', async () => {
    const [table, wide, names, json, yaml, all, nodeNames] = await Promise.all([
      ok('get', 'deploy'),
      ok('get', 'deployments.apps', 'web', '-o', 'wide'),
      ok('get', 'deploy,svc', '-o', 'name'),
      ok('get', 'deploy/web', '-o', 'json'),
      ok('get', 'po', '-l', 'app=web', '-o', 'yaml'),
      ok('get', 'pods', '-A'),
      ok('get', 'no', '-o', 'name'),
    ]);
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+3\/3\s+3\s+3\s+\S+\n$/);
    expect(wide).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    expect(wide).toMatch(/\nweb\s+.*\s+web\s+nginx:1\.27\s+app=web\n$/);
    expect(names).toBe('deployment.apps/web\nservice/web\n');
    expect(JSON.parse(json)).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: NS } });
    expect(yaml.startsWith('apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n')).toBe(true);
    expect(yaml.split('\n').filter((l) => l === '  kind: Pod')).toHaveLength(3);
    expect(yaml.endsWith('\nkind: List\nmetadata:\n  resourceVersion: ""\n')).toBe(true);
    expect(all.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(all.split('\n').filter((l) => l.startsWith(`${NS} `))).toHaveLength(3);
    expect(nodeNames).toBe(nodes.nodeNames.map((n) => `node/${n}\n`).join(''));
  });

  it('scales, and get -w shows the new pod until interrupted', async () => {
    const watch = spawn(process.execPath, [
      CLI,
      'get',
      'pods',
      '-w',
      '-n',
      NS,
      '--kubeconfig',
      api.kubeconfig,
    ]);
    let watched = '';
    watch.stdout.on('data', (c: Buffer) => (watched += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
    await waitFor(() => watched.split('\n').length >= 5, { timeoutMs: 15_000, what: 'the initial listing' });
    const before = new Set((await livePods()).map((p) => p.metadata.name));

    expect(await ok('scale', 'deploy/web', '--replicas', '4')).toBe('deployment.apps/web scaled\n');
    await ok('rollout', 'status', 'deploy', 'web', '--timeout', '30s');
    const added = (await livePods()).map((p) => p.metadata.name).find((n) => !before.has(n));
    expect(added).toBeDefined();
    await waitFor(() => new RegExp(`\\n${added}\\s+1/1\\s+Running`).test(watched), {
      timeoutMs: 15_000,
      what: 'the new pod running in the watch output',
    });
    watch.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('restarts, waits for rollouts with kubectl’s messages, lists revisions and undoes one', async () => {
    type Template = { template: { metadata: { annotations?: Record<string, string> } } };
    const annotation = async (key: string) =>
      ((await deployment()).spec as Template).template.metadata.annotations?.[key];

    expect(await ok('rollout', 'restart', 'deployment/web')).toBe('deployment.apps/web restarted\n');
    const restartedAt = await annotation('kubectl.kubernetes.io/restartedAt');
    expect(restartedAt).toBeDefined();

    // A paused Deployment holds its next rollout, so that status is seen waiting for it.
    expect(await ok('rollout', 'pause', 'deployment/web')).toBe('deployment.apps/web paused\n');
    await client.patch('apps/v1', 'Deployment', NS, 'web', {
      spec: { template: { metadata: { annotations: { change: 'two' } } } },
    });
    const status = spawn(process.execPath, [
      CLI,
      'rollout',
      'status',
      'deploy/web',
      '-n',
      NS,
      '--kubeconfig',
      api.kubeconfig,
    ]);
    let progress = '';
    status.stdout.on('data', (c: Buffer) => (progress += c.toString('utf8')));
    const statusExit = new Promise<number | null>((resolve) => status.once('exit', (code) => resolve(code)));
    await waitFor(() => /^Waiting for deployment /.test(progress), {
      timeoutMs: 15_000,
      what: 'a waiting status',
    });
    expect(await ok('rollout', 'resume', 'deployment/web')).toBe('deployment.apps/web resumed\n');
    expect(await statusExit).toBe(0);
    expect(progress).toMatch(/^Waiting for deployment "web" rollout to finish: \d+ (out of|of) \d+ /);
    expect(progress).toMatch(/\ndeployment "web" successfully rolled out\n$/);

    expect(await ok('rollout', 'history', 'deployment/web')).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n3         <none>\n\n',
    );
    expect(await ok('rollout', 'undo', 'deployment/web')).toBe('deployment.apps/web rolled back\n');
    await ok('rollout', 'status', 'deployment/web', '--timeout', '45s');
    expect(await ok('rollout', 'history', 'deployment/web')).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n3         <none>\n4         <none>\n\n',
    );
    expect(await annotation('change')).toBeUndefined();
    expect(await annotation('kubectl.kubernetes.io/restartedAt')).toBe(restartedAt);
  });

  it('cordons and drains a node: its pods come back on the others', async () => {
    const pods = await livePods();
    const byNode = new Map<string, number>();
    for (const p of pods) {
      const node = (p.spec as { nodeName: string }).nodeName;
      byNode.set(node, (byNode.get(node) ?? 0) + 1);
    }
    const [target] = [...byNode.entries()].sort((a, b) => b[1] - a[1])[0];

    expect(await ok('cordon', target)).toBe(`node/${target} cordoned\n`);
    const drained = await ok('drain', target, '--ignore-daemonsets', '--timeout', '60s');
    const lines = drained.trim().split('\n');
    expect(lines[0]).toBe(`node/${target} already cordoned`);
    expect(lines.filter((l) => l.startsWith(`evicting pod ${NS}/`))).toHaveLength(byNode.get(target)!);
    expect(lines.filter((l) => /^pod\/\S+ evicted$/.test(l))).toHaveLength(byNode.get(target)!);
    expect(lines[lines.length - 1]).toBe(`node/${target} drained`);

    await ok('rollout', 'status', 'deployment/web', '--timeout', '30s');
    const after = await waitFor(
      async () => {
        const current = await livePods();
        return current.length === 4 ? current : undefined;
      },
      { timeoutMs: 15_000, what: 'four pods again' },
    );
    expect(after.map((p) => (p.spec as { nodeName: string }).nodeName)).not.toContain(target);
    expect(await ok('uncordon', target)).toBe(`node/${target} uncordoned\n`);
  });

  it('describes and lists events', async () => {
    const pod = (await livePods())[0];
    const [deploy, podText, svc, node, events] = await Promise.all([
      ok('describe', 'deployment', 'web'),
      ok('describe', 'pod', pod.metadata.name!),
      ok('describe', 'svc/web'),
      ok('describe', 'node', (pod.spec as { nodeName: string }).nodeName),
      ok('events'),
    ]);
    expect(deploy).toMatch(/^Name:\s+web\nNamespace:\s+verbs-/);
    expect(deploy).toMatch(
      /\nReplicas:\s+4 desired \| 4 updated \| 4 total \| 4 available \| 0 unavailable\n/,
    );
    expect(deploy).toMatch(/\nNewReplicaSet:\s+web-\S+ \(4\/4 replicas created\)\n/);
    expect(deploy).toMatch(/\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n[\s\S]*ScalingReplicaSet\s/);
    expect(podText).toMatch(/\nControlled By:\s+ReplicaSet\/web-/);
    expect(podText).toMatch(/\nStatus:\s+Running\n/);
    expect(podText).toMatch(/Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned/);
    expect(svc).toMatch(/\nEndpoints:\s+\d+\.\d+\.\d+\.\d+:80,/);
    expect(node).toMatch(/\nNon-terminated Pods:\s+\(\d+ in total\)\n/);
    expect(events.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(events).toMatch(/\nDeployment\/web|\sDeployment\/web\s/);
  });

  it('fails with one line and exit code 1', async () => {
    const missing = await kubicle(['get', 'pods', 'nope', '-n', NS, '--kubeconfig', api.kubeconfig]);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
    const pod = (await livePods())[0];
    const logs = await kubicle(['logs', pod.metadata.name!, '-n', NS, '--kubeconfig', api.kubeconfig]);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toMatch(/^Error from server \(ServiceUnavailable\): [^\n]*serves no logs[^\n]*\n$/);
  });

  it('deletes what a manifest created, waiting until it is gone, and nothing is left', async () => {
    expect(await ok('delete', '-f', manifest)).toBe('deployment.apps "web" deleted\nservice "web" deleted\n');
    await expect(client.get('apps/v1', 'Deployment', NS, 'web')).rejects.toMatchObject({ code: 404 });
    // The ReplicaSets and pods go with the garbage collector, in the background as kubectl leaves them.
    await waitFor(
      async () => {
        const left = await kubicle(['get', 'all', '-n', NS, '--kubeconfig', api.kubeconfig]);
        return left.stdout === '' && left.stderr === `No resources found in ${NS} namespace.\n`;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'an empty namespace' },
    );
  });
});
