/**
 * The user's journey on this host, end to end on real etcd, Docker and nftables/iptables: `kubicle up` → the
 * node is Ready → the web manifest's three pods serve on the Service's ClusterIP and NodePort, and
 * by DNS name from inside a pod → scale → a rolling update and its undo with no failed request →
 * deleting everything leaves no container and no rule → `kubicle down`. Then a cluster killed with
 * SIGKILL in the middle of a rollout converges after `up` again, without orphan containers.
 *
 * This is the one suite that programs the host's own iptables (every other proxy test works in
 * network namespaces of its own), and the only user of NodePort 30080, which the manifest fixes.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { freePort, freePortPair } from './support/free-port.js';
import { kubectl, kubectlBinaries } from './support/kubectl.js';
import type { KubectlResult } from './support/kubectl.js';
import { kubicleOnce, runKubicle } from './support/kubicle-process.js';
import type { KubicleProcess } from './support/kubicle-process.js';
import { waitFor } from './support/wait-for.js';

const WEB_MANIFEST = path.resolve('manifests/web.yaml');
const NODE_PORT = 30080;
const docker = new Docker();
const kubectlPath = kubectlBinaries([])[0]?.path;

let dir: string;
let dataDir: string;
let upArgs: string[];
let up: KubicleProcess | undefined;
const nodeName = `journey-${randomBytes(3).toString('hex')}`;
let kubeconfig: string;

function k(args: string[], timeoutMs = 60_000): Promise<KubectlResult> {
  return kubectl(kubectlPath!, args, { kubeconfig, cacheDir: path.join(dir, 'cache'), timeoutMs });
}

async function kOk(args: string[], timeoutMs?: number): Promise<string> {
  const result = await k(args, timeoutMs);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The kubicle CLI's own verbs, against the same cluster. */
async function kubicleOk(args: string[]): Promise<string> {
  const result = await kubicleOnce(args, { KUBECONFIG: kubeconfig });
  if (result.code !== 0) throw new Error(`kubicle ${args.join(' ')} failed: ${result.output}`);
  return result.output;
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kOk([...args, '-o', 'json'])) as T;
}

interface ContainerStatusJson {
  restartCount: number;
  state?: { waiting?: { reason?: string }; running?: { startedAt?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: ContainerStatusJson[];
  };
}

async function webPods(): Promise<PodJson[]> {
  return (await getJson<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=web'])).items;
}

const isReady = (p: PodJson) =>
  !p.metadata.deletionTimestamp &&
  p.status.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** One request on a fresh connection; resolves to the body, rejects on any failure. */
function fetchText(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    // CGI pages end their header lines with a bare LF, which browsers and curl take too.
    const req = http.get(url, { agent: false, timeout: timeoutMs, insecureHTTPParser: true }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** The distinct backends that answer at `url` over `requests` requests. */
async function backendsAt(url: string, requests: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < requests; i++) seen.add(await fetchText(url));
  return seen;
}

async function nodeContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`kubicle.node=${nodeName}`] } });
}

/**
 * Every rule text the host's iptables hold in the nat table, in both backends that may be in use,
 * and the proxy's nftables table (NodePorts there read `tcp . 30080 :`, written here as `:30080`).
 */
function natRules(): string {
  let text = '';
  for (const [command, ...args] of [
    ['iptables-save', '-t', 'nat'],
    ['iptables-legacy-save', '-t', 'nat'],
    ['iptables-nft-save', '-t', 'nat'],
    ['nft', 'list', 'table', 'ip', 'kubicle'],
  ]) {
    try {
      text += execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // That backend is not installed, or the proxy has no table there.
    }
  }
  return text.replace(/ \. (\d+) :/g, ' :$1 :');
}

/** A pod the web Service selects, whose httpd answers `body`, created with kubectl. */
async function createWebPod(
  name: string,
  body: string,
  extra: { container: Record<string, unknown>; spec: Record<string, unknown> },
): Promise<void> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'httpd',
          image: 'busybox:latest',
          command: ['sh', '-c', `mkdir /www; echo ${body} > /www/index.html; exec httpd -f -p 8080 -h /www`],
          ports: [{ name: 'http', containerPort: 8080 }],
          ...extra.container,
        },
      ],
      ...extra.spec,
    },
  };
  const result = await kubectl(kubectlPath!, ['create', '-f', '-'], {
    kubeconfig,
    cacheDir: path.join(dir, 'cache'),
    stdin: JSON.stringify(manifest),
  });
  if (result.code !== 0) throw new Error(`creating pod ${name} failed: ${result.stderr}`);
}

/** Runs a command in a container to its end; its output (stdout and stderr) and exit code. */
async function execIn(
  containerId: string,
  cmd: string[],
): Promise<{ output: string; exitCode: number | null }> {
  // With a TTY the output arrives as it is, without the frame headers Docker otherwise adds.
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ Tty: true });
  const output = await new Promise<string>((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream.on('end', () => resolve(text));
  });
  return { output, exitCode: (await exec.inspect()).ExitCode };
}

async function httpdContainer(): Promise<Docker.ContainerInfo> {
  const containers = await nodeContainers();
  return containers.find(
    (c) => c.State === 'running' && c.Labels['io.kubernetes.container.name'] === 'httpd',
  )!;
}

/** How a connection to `host:port` ends: refused, answered, or timed out. */
function connectOutcome(host: string, port: number): Promise<{ outcome: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve({ outcome: 'answered', ms: Date.now() - started });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ outcome: err.code === 'ECONNREFUSED' ? 'refused' : err.message, ms: Date.now() - started }),
    );
  });
}

async function startUp(): Promise<void> {
  up = runKubicle(upArgs);
  await waitFor(() => /Kubicle is ready/.test(up!.output()) || up!.child.exitCode !== null, {
    timeoutMs: 60_000,
    what: 'kubicle up to be ready',
  });
  if (!/Kubicle is ready/.test(up.output())) throw new Error(`kubicle up failed:\n${up.output()}`);
}

async function waitForWebPods(count: number, image?: string, timeoutMs = 90_000): Promise<PodJson[]> {
  return waitFor(
    async () => {
      const pods = await webPods();
      const ready = pods.filter(isReady);
      const settled = pods.length === count && ready.length === count;
      return settled && (!image || ready.every((p) => p.spec.containers[0].image === image))
        ? ready
        : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `${count} ready web pods${image ? ` on ${image}` : ''}` },
  );
}

/** Requests the NodePort in a loop until stopped, counting the failures. */
function trafficLoop(url: string): { stop: () => Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        await fetchText(url);
        ok++;
      } catch (err) {
        failed.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

const describeIfReady = kubectlPath && process.getuid?.() === 0 ? describe : describe.skip;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-journey-'));
  dataDir = path.join(dir, 'data');
  kubeconfig = path.join(dataDir, 'kubeconfig');
  upArgs = [
    'up',
    '--data-dir',
    dataDir,
    '--port',
    String(await freePort()),
    '--etcd-port',
    String(await freePortPair()),
    '--node-name',
    nodeName,
    '--kubelet-port',
    '0',
    '--cluster-dns-port',
    String(await freePort()),
  ];
});

afterAll(async () => {
  if (up && up.child.exitCode === null) up.child.kill('SIGKILL');
  await kubicleOnce(['down', '--data-dir', dataDir, '--purge']);
  fs.rmSync(dir, { recursive: true, force: true });
});

describeIfReady('the journey: up, deploy, serve, scale, roll out, delete, down', () => {
  let clusterIP: string;
  let nodeIP: string;

  it('comes up with the node Ready', async () => {
    await startUp();
    expect(up!.output()).toContain(kubeconfig);
    const nodes = await getJson<{
      items: {
        metadata: { name: string };
        status: {
          conditions: { type: string; status: string }[];
          addresses: { type: string; address: string }[];
        };
      }[];
    }>(['get', 'nodes']);
    const node = nodes.items.find((n) => n.metadata.name === nodeName)!;
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    nodeIP = node.status.addresses.find((a) => a.type === 'InternalIP')!.address;
  });

  it('runs the web manifest: 3 pods on the node, answering on the ClusterIP and the NodePort', async () => {
    expect(await kOk(['apply', '-f', WEB_MANIFEST])).toBe(
      'deployment.apps/web created\nservice/web created\n',
    );
    const pods = await waitForWebPods(3);
    expect(pods.every((p) => p.spec.nodeName === nodeName)).toBe(true);
    expect((await nodeContainers()).filter((c) => c.State === 'running')).toHaveLength(6); // sandbox + httpd

    clusterIP = (await getJson<{ spec: { clusterIP: string } }>(['get', 'service', 'web'])).spec.clusterIP;
    const names = new Set(pods.map((p) => `hello from ${p.metadata.name}`));
    for (const url of [
      `http://${clusterIP}/`,
      `http://127.0.0.1:${NODE_PORT}/`,
      `http://${nodeIP}:${NODE_PORT}/`,
    ]) {
      const seen = await waitFor(
        async () => {
          const backends = await backendsAt(url, 30);
          return backends.size === 3 ? backends : undefined;
        },
        { timeoutMs: 20_000, what: `all 3 backends at ${url}` },
      );
      expect(seen).toEqual(names);
    }
  });

  it('resolves the service by name from inside a pod', async () => {
    const container = await httpdContainer();
    for (const name of ['web', 'web.default', 'web.default.svc.cluster.local']) {
      // busybox wget's own -T crashes in this build; the timeout applet bounds it instead.
      const result = await execIn(container.Id, ['timeout', '5', 'wget', '-qO-', `http://${name}/`]);
      expect(result.output).toMatch(/hello from web-/);
      expect(result.exitCode).toBe(0);
    }
  });

  it('spreads 100 requests from inside a pod over all 3 backends', async () => {
    const container = await httpdContainer();
    const loop = 'for i in $(seq 100); do timeout 5 wget -qO- http://web/ || echo failed; done';
    const { output } = await execIn(container.Id, ['sh', '-c', loop]);
    const lines = output.trim().split(/\r?\n/);
    expect(lines).toHaveLength(100);
    expect(lines).not.toContain('failed');
    expect(new Set(lines).size).toBe(3);
  });

  it('sends no traffic to a pod that fails its readiness probe', async () => {
    await createWebPod('web-unready', 'unready', {
      container: { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } },
      spec: { terminationGracePeriodSeconds: 0 },
    });
    await waitFor(
      async () => (await getJson<PodJson>(['get', 'pod', 'web-unready'])).status.phase === 'Running',
      { timeoutMs: 30_000, what: 'the unready pod to run' },
    );
    const seen = await backendsAt(`http://${clusterIP}/`, 60);
    expect(seen.has('unready')).toBe(false);
    expect(seen.size).toBe(3);
    await kOk(['delete', 'pod', 'web-unready', '--wait=true']);
  });

  it('takes a deleted pod out of rotation within 2 s of its endpoint removal', async () => {
    // A pod that keeps serving long after it is deleted, so any request the rules still send it
    // would be answered by it, and so seen.
    await createWebPod('web-slow-exit', 'slow-exit', {
      container: { lifecycle: { preStop: { exec: { command: ['sleep', '30'] } } } },
      spec: { terminationGracePeriodSeconds: 40 },
    });
    await waitFor(async () => (await backendsAt(`http://${clusterIP}/`, 20)).has('slow-exit'), {
      timeoutMs: 30_000,
      what: 'the slow-exit pod in rotation',
    });
    const podIP = (await getJson<{ status: { podIP: string } }>(['get', 'pod', 'web-slow-exit'])).status
      .podIP;
    await kOk(['delete', 'pod', 'web-slow-exit', '--wait=false']);
    await waitFor(
      async () =>
        !(await kOk(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).includes(
          podIP,
        ),
      { timeoutMs: 10_000, intervalMs: 100, what: 'the endpoint removal' },
    );
    const removedAt = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, removedAt + 2000 - Date.now())));
    const seen = await backendsAt(`http://${clusterIP}/`, 40);
    expect(seen.has('slow-exit')).toBe(false);
    expect(seen.size).toBe(3);
    await kOk(['delete', 'pod', 'web-slow-exit', '--grace-period=0', '--force']).catch(() => undefined);
  });

  it('refuses a connection at once to a service without endpoints', async () => {
    await kOk(['create', 'service', 'clusterip', 'nobody', '--tcp=80:8080']);
    const ip = (await getJson<{ spec: { clusterIP: string } }>(['get', 'service', 'nobody'])).spec.clusterIP;
    const result = await waitFor(
      async () => {
        const attempt = await connectOutcome(ip, 80);
        return attempt.outcome === 'refused' ? attempt : undefined;
      },
      { timeoutMs: 10_000, what: 'the connection to be refused' },
    );
    expect(result.ms).toBeLessThan(1000);
    await kOk(['delete', 'service', 'nobody']);
  });

  it('keeps serving while the whole control plane restarts', async () => {
    const traffic = trafficLoop(`http://127.0.0.1:${NODE_PORT}/`);
    await new Promise((r) => setTimeout(r, 500));
    up!.child.kill('SIGTERM');
    expect(await up!.exited).toBe(0);
    await startUp();
    await waitForWebPods(3);
    await new Promise((r) => setTimeout(r, 1500));
    const { ok, failed } = await traffic.stop();
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });

  it('scales to 5 and back to 2, and the service follows', async () => {
    await kOk(['scale', 'deployment/web', '--replicas=5']);
    await waitForWebPods(5);
    expect(await kubicleOk(['scale', 'deployment/web', '--replicas=2'])).toBe('deployment.apps/web scaled\n');
    const pods = await waitForWebPods(2);
    const names = new Set(pods.map((p) => `hello from ${p.metadata.name}`));
    await waitFor(
      async () => {
        const seen = await backendsAt(`http://${clusterIP}/`, 20);
        return seen.size === 2 && [...seen].every((n) => names.has(n));
      },
      { timeoutMs: 20_000, what: 'exactly the 2 remaining backends' },
    );
    await kOk(['scale', 'deployment/web', '--replicas=3']);
    await waitForWebPods(3);
  });

  it('rolls out a new image and back with no failed request', async () => {
    const traffic = trafficLoop(`http://127.0.0.1:${NODE_PORT}/`);
    await kOk(['set', 'image', 'deployment/web', 'httpd=kubicle/busybox:latest']);
    await kOk(['rollout', 'status', 'deployment/web', '--timeout=120s'], 130_000);
    await waitForWebPods(3, 'kubicle/busybox:latest');
    expect(await kubicleOk(['rollout', 'undo', 'deployment/web'])).toBe('deployment.apps/web rolled back\n');
    expect(await kubicleOk(['rollout', 'status', 'deployment/web', '--timeout=120s'])).toContain(
      'deployment "web" successfully rolled out',
    );
    await waitForWebPods(3, 'busybox:latest');
    const { ok, failed } = await traffic.stop();
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThan(50);
  });

  it('deletes everything and leaves no container and no rule behind', async () => {
    expect(await kubicleOk(['delete', '-f', WEB_MANIFEST])).toBe(
      'deployment.apps "web" deleted\nservice "web" deleted\n',
    );
    await waitFor(async () => (await webPods()).length === 0, { timeoutMs: 60_000, what: 'the pods to go' });
    await waitFor(async () => (await nodeContainers()).length === 0, {
      timeoutMs: 30_000,
      what: 'the containers to go',
    });
    await waitFor(() => !natRules().includes(clusterIP) && !natRules().includes(`:${NODE_PORT}`), {
      timeoutMs: 10_000,
      what: "the service's rules to go",
    });
  });

  it('stops with kubicle down, which removes the rules it installed', async () => {
    const down = await kubicleOnce(['down', '--data-dir', dataDir]);
    expect(down.code).toBe(0);
    expect(await up!.exited).toBe(0);
    expect(natRules()).not.toMatch(/KUBE-|table ip kubicle/);
    expect(await nodeContainers()).toEqual([]);
  });
});

describeIfReady('a cluster killed mid-rollout', () => {
  it('converges after up again, with the right replica count and no orphan container', async () => {
    await startUp();
    await kOk(['apply', '-f', WEB_MANIFEST]);
    await waitForWebPods(3);
    await kOk(['set', 'image', 'deployment/web', 'httpd=kubicle/busybox:latest']);
    await waitFor(
      async () => (await webPods()).some((p) => p.spec.containers[0].image === 'kubicle/busybox:latest'),
      {
        timeoutMs: 30_000,
        what: 'the rollout to start',
      },
    );
    up!.child.kill('SIGKILL');
    await up!.exited;

    await startUp();
    const pods = await waitForWebPods(3, 'kubicle/busybox:latest', 120_000);
    const uids = new Set(pods.map((p) => p.metadata.uid));
    await waitFor(
      async () => {
        const containers = await nodeContainers();
        const app = containers.filter((c) => c.Labels['io.kubernetes.pod.namespace'] === 'default');
        return (
          app.length === 6 &&
          app.every((c) => c.State === 'running' && uids.has(c.Labels['io.kubernetes.pod.uid']))
        );
      },
      { timeoutMs: 60_000, what: 'exactly the containers of the 3 current pods' },
    );
    const deployment = await getJson<{
      status: { replicas: number; updatedReplicas: number; readyReplicas: number };
    }>(['get', 'deployment', 'web']);
    expect(deployment.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3 });
  });

  it('runs the example manifests as their comments describe', async () => {
    const applied = await kubicleOk(['apply', '-f', path.resolve('manifests')]);
    // The image set by hand above goes back to the manifest's; the Service is as applied.
    expect(applied).toContain('deployment.apps/web configured');
    expect(applied).toContain('service/web unchanged');
    expect(applied).toContain('deployment.apps/frontend created');
    expect(applied).toContain('pod/crashloop created');

    // The front end reaches the back end by its Service's DNS name.
    await waitFor(
      async () =>
        /^frontend frontend-\S+ → backend api-/.test(await fetchText(`http://127.0.0.1:30081/cgi-bin/index`)),
      {
        timeoutMs: 60_000,
        what: 'the front end to answer with a back end',
      },
    );
    // The ConfigMap and Secret arrive as an environment variable and files.
    const page = await waitFor(() => fetchText('http://127.0.0.1:30082/cgi-bin/index').catch(() => ''), {
      timeoutMs: 60_000,
      what: 'the config app to answer',
    });
    expect(page).toContain('greeting: Hello from a ConfigMap');
    expect(page).toContain('colour = blue');
    expect(page).toContain('password length: 6');

    // The crash-looping pod shows its failure the way upstream does.
    const crashed = await waitFor(
      async () => {
        const pod = await getJson<{ status: { containerStatuses?: ContainerStatusJson[] } }>([
          'get',
          'pod',
          'crashloop',
        ]);
        const status = pod.status.containerStatuses?.[0];
        return status?.state?.waiting?.reason === 'CrashLoopBackOff' ? status : undefined;
      },
      { timeoutMs: 60_000, what: 'CrashLoopBackOff' },
    );
    expect(crashed.restartCount).toBeGreaterThanOrEqual(1);
    expect(crashed.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 3 });
    expect(await kubicleOk(['logs', 'crashloop', '--previous'])).toContain('cannot reach the database');

    // The probes app turns Ready only once its readiness file exists, 10 s after it starts.
    const probed = await waitFor(
      async () => {
        const pods = (await getJson<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=probes'])).items;
        return pods.length === 2 && pods.every(isReady) ? pods : undefined;
      },
      { timeoutMs: 60_000, what: 'the probes app to turn Ready' },
    );
    for (const pod of probed) {
      const started = Date.parse(pod.status.containerStatuses![0].state!.running!.startedAt!);
      const ready = Date.parse(pod.status.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!);
      expect(ready - started).toBeGreaterThanOrEqual(9_000);
    }
  });
});
