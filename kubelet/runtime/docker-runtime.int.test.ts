/**
 * DockerRuntime against the real dockerd. Every container carries this run's own label (and node
 * name), so parallel runs neither see nor remove each other's containers; afterAll removes them all.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { waitFor } from '../../e2e/support/wait-for.js';
import { BUSYBOX_IMAGE, IMAGE_HASH_LABEL, PAUSE_IMAGE, ensureLocalImages } from '../images.js';
import { DockerRuntime } from './docker-runtime.js';
import { ImagePullError, LABEL_CONTAINER_NAME, LABEL_POD_UID } from './runtime.js';
import type { ContainerConfig, ContainerStatus, SandboxConfig } from './runtime.js';

const RUN_ID = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
const RUN_LABEL = 'kubicle.test.run';
const docker = new Docker();
const runtime = new DockerRuntime({
  docker,
  nodeName: `int-${RUN_ID}`,
  ownerLabels: { [RUN_LABEL]: RUN_ID },
});

let podCounter = 0;
function sandboxConfig(overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  podCounter++;
  const name = `pod-${podCounter}`;
  return {
    pod: { uid: `${RUN_ID}-${podCounter}`, name, namespace: 'int' },
    attempt: 0,
    hostname: name,
    ...overrides,
  };
}

function containerConfig(name: string, overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name, image: 'busybox', restartCount: 0, ...overrides };
}

async function startPod(sandbox: SandboxConfig): Promise<string> {
  const id = await runtime.createSandbox(sandbox);
  await runtime.startSandbox(id);
  return id;
}

async function run(sandboxId: string, sandbox: SandboxConfig, config: ContainerConfig): Promise<string> {
  const id = await runtime.createContainer(sandboxId, config, sandbox);
  await runtime.startContainer(id);
  return id;
}

function exited(id: string): Promise<ContainerStatus> {
  return waitFor(
    async () => {
      const status = await runtime.inspectContainer(id);
      return status?.state === 'exited' ? status : undefined;
    },
    { timeoutMs: 30_000, what: `container ${id.slice(0, 12)} to exit` },
  );
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  await ensureLocalImages(docker);
}, 120_000);

afterAll(async () => {
  const leftovers = await docker.listContainers({
    all: true,
    filters: { label: [`${RUN_LABEL}=${RUN_ID}`] },
  });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
});

describe('local images', () => {
  it('are rebuilt only when their content changes, and answer to their aliases', async () => {
    const again = await ensureLocalImages(docker);
    expect(again.map((i) => [i.reference, i.built])).toEqual([
      [PAUSE_IMAGE, false],
      [BUSYBOX_IMAGE, false],
    ]);
    const busybox = await docker.getImage('busybox').inspect();
    expect(busybox.Id).toBe(again[1].id);
    expect(busybox.Config.Cmd).toEqual(['sh']);
    expect(busybox.Config.Labels[IMAGE_HASH_LABEL]).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('DockerRuntime', () => {
  it('runs two containers that share localhost and the pod IP, and reads back their state', async () => {
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    const status = await runtime.sandboxStatus(sandboxId);
    expect(status).toMatchObject({ state: 'ready', attempt: 0, hostNetwork: false, pod: sandbox.pod });
    expect(status?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const server = await run(
      sandboxId,
      sandbox,
      containerConfig('server', { command: ['httpd', '-f', '-v', '-p', '8080', '-h', '/var/www'] }),
    );
    const client = await run(
      sandboxId,
      sandbox,
      containerConfig('client', {
        command: ['sh', '-c'],
        args: [
          'for i in $(seq 1 50); do wget -qO- http://localhost:8080/ && exit 0; sleep 0.1; done; exit 1',
        ],
        restartCount: 2,
        hash: 'abc123',
      }),
    );

    const done = await exited(client);
    expect(done).toMatchObject({
      name: 'client',
      state: 'exited',
      exitCode: 0,
      reason: 'Completed',
      oomKilled: false,
      restartCount: 2,
      hash: 'abc123',
      sandboxId,
      pod: sandbox.pod,
      image: 'busybox',
    });
    expect(done.imageRef).toMatch(/^docker:\/\/sha256:[0-9a-f]{64}$/);
    expect(done.finishedAt! - done.startedAt!).toBeGreaterThanOrEqual(0);
    expect(await readAll(await runtime.logs(client))).toContain('It works!');

    const hostname = await runtime.exec(server, ['cat', '/etc/hostname'], 5_000);
    expect(hostname).toMatchObject({ exitCode: 0, stdout: `${sandbox.hostname}\n`, timedOut: false });
    const failing = await runtime.exec(server, ['sh', '-c', 'echo oops >&2; exit 3'], 5_000);
    expect(failing).toMatchObject({ exitCode: 3, stderr: 'oops\n', timedOut: false });
    const slow = await runtime.exec(server, ['sleep', '5'], 300);
    expect(slow.timedOut).toBe(true);

    const containers = await runtime.listContainers({ podUid: sandbox.pod.uid });
    expect(containers.map((c) => [c.name, c.state]).sort()).toEqual([
      ['client', 'exited'],
      ['server', 'running'],
    ]);
    expect(containers[0].labels[LABEL_POD_UID]).toBe(sandbox.pod.uid);
    const sandboxes = await runtime.listSandboxes({ podUid: sandbox.pod.uid });
    expect(sandboxes.map((s) => [s.id, s.state, s.ip])).toEqual([[sandboxId, 'ready', status?.ip]]);

    await runtime.removeSandbox(sandboxId);
    expect(await runtime.listContainers({ podUid: sandbox.pod.uid })).toEqual([]);
    expect(await runtime.sandboxStatus(sandboxId)).toBeUndefined();
    expect(await runtime.inspectContainer(server)).toBeUndefined();
  });

  it('applies command/args as Kubernetes does, env, workingDir, mounts, DNS and resources', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-int-'));
    fs.writeFileSync(path.join(dir, 'greeting'), 'hello from the host\n');
    const sandbox = sandboxConfig({
      dns: {
        servers: ['10.96.0.10'],
        searches: ['int.svc.cluster.local', 'cluster.local'],
        options: ['ndots:5'],
      },
    });
    const sandboxId = await startPod(sandbox);
    try {
      // args alone replace the image's CMD (`sh`) and run as the command.
      const argsOnly = await run(
        sandboxId,
        sandbox,
        containerConfig('args-only', { args: ['echo', 'from', 'args'] }),
      );
      const full = await run(
        sandboxId,
        sandbox,
        containerConfig('full', {
          command: ['sh', '-c'],
          args: [
            'echo "$GREETING"; pwd; cat /data/greeting; cat /etc/resolv.conf; touch /data/x 2>/dev/null || echo read-only',
          ],
          env: [{ name: 'GREETING', value: 'hi there' }],
          workingDir: '/tmp',
          mounts: [{ hostPath: dir, containerPath: '/data', readOnly: true }],
          resources: {
            cpuShares: 512,
            cpuQuota: 50_000,
            cpuPeriod: 100_000,
            memoryLimitBytes: 64 * 1024 * 1024,
          },
        }),
      );
      expect((await exited(argsOnly)).exitCode).toBe(0);
      expect(await readAll(await runtime.logs(argsOnly))).toBe('from args\n');
      expect((await exited(full)).exitCode).toBe(0);
      const output = await readAll(await runtime.logs(full));
      expect(output).toContain('hi there\n/tmp\nhello from the host\n');
      expect(output).toContain('nameserver 10.96.0.10');
      expect(output).toContain('search int.svc.cluster.local cluster.local');
      expect(output).toContain('options ndots:5');
      expect(output).toContain('read-only');

      const host = (await docker.getContainer(full).inspect()).HostConfig;
      expect(host).toMatchObject({
        CpuShares: 512,
        CpuQuota: 50_000,
        CpuPeriod: 100_000,
        Memory: 64 * 1024 * 1024,
        NetworkMode: `container:${sandboxId}`,
        IpcMode: `container:${sandboxId}`,
        RestartPolicy: { Name: 'no' },
      });
      const timestamped = await readAll(await runtime.logs(full, { timestamps: true, tailLines: 1 }));
      expect(timestamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z read-only\n$/);
    } finally {
      await runtime.removeSandbox(sandboxId);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows logs until the container exits', async () => {
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    const ticker = await run(
      sandboxId,
      sandbox,
      containerConfig('ticker', {
        command: ['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done'],
      }),
    );
    const followed = await readAll(await runtime.logs(ticker, { follow: true }));
    expect(followed).toBe('tick 1\ntick 2\ntick 3\n');
    await runtime.removeSandbox(sandboxId);
  });

  it('ends a followed log stream cleanly when the caller aborts', async () => {
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    const chatty = await run(
      sandboxId,
      sandbox,
      containerConfig('chatty', { command: ['sh', '-c', 'while :; do echo line; sleep 0.1; done'] }),
    );
    const abort = new AbortController();
    const stream = await runtime.logs(chatty, { follow: true, signal: abort.signal });
    let text = '';
    for await (const chunk of stream) {
      text += String(chunk);
      if (text.includes('line\n')) abort.abort();
    }
    expect(text.startsWith('line\n')).toBe(true);
    expect((await runtime.inspectContainer(chatty))?.state).toBe('running');
    await runtime.removeSandbox(sandboxId);
  });

  it('stops with SIGTERM first and SIGKILL only after the grace period', async () => {
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    const graceful = await run(
      sandboxId,
      sandbox,
      containerConfig('graceful', {
        command: [
          'sh',
          '-c',
          'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done',
        ],
      }),
    );
    // PID 1 without a handler ignores SIGTERM, so only the SIGKILL after the grace period stops it.
    const stubborn = await run(
      sandboxId,
      sandbox,
      containerConfig('stubborn', { command: ['sleep', '600'] }),
    );
    await waitFor(async () => (await readAll(await runtime.logs(graceful))).includes('ready'));

    let started = Date.now();
    await runtime.stopContainer(graceful, 30);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await runtime.inspectContainer(graceful)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await readAll(await runtime.logs(graceful))).toContain('got TERM');

    started = Date.now();
    await runtime.stopContainer(stubborn, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await runtime.inspectContainer(stubborn)).toMatchObject({ exitCode: 137, reason: 'Error' });

    // Stopping again, or stopping and removing what is gone, is not an error.
    await runtime.stopContainer(stubborn, 1);
    await runtime.removeContainer(stubborn);
    await runtime.removeContainer(stubborn);
    await runtime.stopContainer(stubborn, 1);

    const pauseStart = Date.now();
    await runtime.stopSandbox(sandboxId, 30);
    expect(Date.now() - pauseStart).toBeLessThan(5_000);
    expect(await runtime.sandboxStatus(sandboxId)).toMatchObject({ state: 'notready', ip: undefined });
    await runtime.removeSandbox(sandboxId);
  });

  it('reports OOMKilled when a container exceeds its memory limit', async () => {
    const info = await docker.info();
    if (info.MemoryLimit === false) {
      // Without the memory cgroup controller Docker cannot enforce a limit, so there is nothing to observe.
      console.warn('skipping the OOM check: this kernel does not support memory limits');
      return;
    }
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    const hog = await run(
      sandboxId,
      sandbox,
      containerConfig('hog', {
        command: ['sh', '-c', 'x=$(head -c 200m /dev/zero | tr "\\0" a); echo survived'],
        resources: { memoryLimitBytes: 32 * 1024 * 1024 },
      }),
    );
    const status = await exited(hog);
    expect(status).toMatchObject({ oomKilled: true, reason: 'OOMKilled', exitCode: 137 });
    await runtime.removeSandbox(sandboxId);
  });

  it('rejects a pull it cannot do with ImagePullError, and knows which images are present', async () => {
    await expect(runtime.pullImage(`kubicle-int/missing-${RUN_ID}:1`)).rejects.toBeInstanceOf(ImagePullError);
    expect(await runtime.imageStatus(`kubicle-int/missing-${RUN_ID}:1`)).toBeUndefined();
    expect((await runtime.imageStatus('busybox'))?.repoTags).toEqual(
      expect.arrayContaining(['busybox:latest', BUSYBOX_IMAGE]),
    );
  });

  it('lists only what this node owns', async () => {
    const other = new DockerRuntime({
      docker,
      nodeName: `other-${RUN_ID}`,
      ownerLabels: { [RUN_LABEL]: RUN_ID },
    });
    const sandbox = sandboxConfig();
    const sandboxId = await startPod(sandbox);
    await runtime.createContainer(sandboxId, containerConfig('idle', { command: ['sleep', '600'] }), sandbox);
    expect(await other.listContainers()).toEqual([]);
    expect(await other.listSandboxes()).toEqual([]);
    const mine = await runtime.listContainers({ podUid: sandbox.pod.uid });
    expect(mine.map((c) => [c.labels[LABEL_CONTAINER_NAME], c.state])).toEqual([['idle', 'created']]);
    await runtime.removeSandbox(sandboxId);
  });

  it('reports its version', async () => {
    const version = await runtime.version();
    expect(version.runtimeName).toBe('docker');
    expect(version.runtimeVersion).toMatch(/^\d+\.\d+/);
    await expect(runtime.ping()).resolves.toBeUndefined();
  });
});
