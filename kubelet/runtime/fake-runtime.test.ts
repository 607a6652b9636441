import { FakeRuntime } from './fake-runtime.js';
import { readRuntimePodStatus } from './runtime-pod-status.js';
import { ImagePullError } from './runtime.js';
import type { SandboxConfig } from './runtime.js';

const sandbox: SandboxConfig = {
  pod: { uid: 'u1', name: 'web', namespace: 'default' },
  attempt: 0,
  hostname: 'web',
};

describe('FakeRuntime with readRuntimePodStatus', () => {
  it('reads back a pod newest first, with the pod IP of its ready sandbox', async () => {
    let now = 1_000;
    const runtime = new FakeRuntime({ now: () => now });
    const sandboxId = await runtime.createSandbox(sandbox);
    await runtime.startSandbox(sandboxId);
    const first = await runtime.createContainer(
      sandboxId,
      { name: 'app', image: 'busybox', restartCount: 0 },
      sandbox,
    );
    await runtime.startContainer(first);
    now = 5_000;
    runtime.exitContainer(first, 137, { oomKilled: true });
    const second = await runtime.createContainer(
      sandboxId,
      { name: 'app', image: 'busybox:latest', restartCount: 1 },
      sandbox,
    );
    await runtime.startContainer(second);

    const status = await readRuntimePodStatus(runtime, sandbox.pod);
    expect(status.ips).toEqual(['10.88.0.2']);
    expect(status.sandboxes.map((s) => s.id)).toEqual([sandboxId]);
    expect(status.containers.map((c) => [c.id, c.state, c.restartCount, c.reason])).toEqual([
      [second, 'running', 1, undefined],
      [first, 'exited', 0, 'OOMKilled'],
    ]);
    expect(await readRuntimePodStatus(runtime, { ...sandbox.pod, uid: 'other' })).toMatchObject({
      containers: [],
      ips: [],
    });
  });

  it('keeps the runtime contract: idempotent stop and remove, pull failures as ImagePullError', async () => {
    const runtime = new FakeRuntime();
    await runtime.stopContainer('missing', 1);
    await runtime.removeContainer('missing');
    expect(await runtime.inspectContainer('missing')).toBeUndefined();
    await expect(runtime.pullImage('nginx')).rejects.toBeInstanceOf(ImagePullError);
    runtime.allowPull('nginx');
    await expect(runtime.pullImage('nginx')).resolves.toMatchObject({ repoTags: ['nginx:latest'] });
    expect(runtime.callsTo('pullImage')).toEqual([['nginx'], ['nginx']]);

    const sandboxId = await runtime.createSandbox(sandbox);
    await expect(
      runtime.createContainer(sandboxId, { name: 'x', image: 'absent:1', restartCount: 0 }, sandbox),
    ).rejects.toThrow('No such image');
    runtime.down = true;
    await expect(runtime.ping()).rejects.toThrow('Cannot connect');
  });
});
