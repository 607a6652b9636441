/**
 * PodSyncer on the fake runtime, with a fake API client that applies status patches the way the
 * server does, so each test drives a pod through several syncs and asserts on runtime calls, status
 * and events. Volumes go to a temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../machinery/clock.js';
import type { ConfigMap, Pod } from './api-types.js';
import { Backoff } from './backoff.js';
import { PodSyncer } from './pod-syncer.js';
import { ProbeManager } from './prober.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import { makeContainer, makePod } from './testing/builders.js';
import { VolumeManager } from './volume-manager.js';

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = applyMergePatch(result[k], v);
  }
  return result;
}

interface Harness {
  clock: FakeClock;
  runtime: FakeRuntime;
  syncer: PodSyncer;
  events: string[];
  patches: unknown[];
  deletes: unknown[][];
  configMaps: Map<string, ConfigMap>;
  /** The pod as the API server holds it after the patches so far. */
  pod(): Pod;
  sync(): Promise<number | undefined>;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function harness(initial: Pod): Harness {
  const clock = new FakeClock(Date.UTC(2024, 0, 1, 12));
  const runtime = new FakeRuntime({ now: () => clock.now() });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-syncer-'));
  dirs.push(dataDir);
  const events: string[] = [];
  const patches: unknown[] = [];
  const deletes: unknown[][] = [];
  const configMaps = new Map<string, ConfigMap>();
  let current: Pod = { ...initial, metadata: { ...initial.metadata, resourceVersion: '1' } };
  let version = 1;
  const client = {
    async patch<T>(_v: string, _k: string, _ns: string | undefined, _name: string, patch: unknown) {
      patches.push(patch);
      current = applyMergePatch(current, patch) as Pod;
      current.metadata = { ...current.metadata, resourceVersion: String(++version) };
      return current as unknown as T;
    },
    async delete(...args: unknown[]) {
      deletes.push(args);
      return { metadata: {} };
    },
  };
  const probes = new ProbeManager({ runtime, clock, onChange: () => undefined, onFailure: () => undefined });
  const syncer = new PodSyncer({
    runtime,
    client,
    recordEvent: (_obj, type, reason, message) => events.push(`${type} ${reason}: ${message}`),
    volumes: new VolumeManager(dataDir),
    probes,
    backoff: new Backoff(clock),
    pullBackoff: new Backoff(clock),
    clock,
    dataDir,
    dns: { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' },
    hostIPs: ['192.0.2.2'],
    machineMemoryBytes: 4 * 1024 ** 3,
    nodeAllocatable: { cpu: '2', memory: '4Gi' },
    sources: { configMaps: () => configMaps, secrets: () => new Map(), services: () => [] },
    log: () => undefined,
  });
  return {
    clock,
    runtime,
    syncer,
    events,
    patches,
    deletes,
    configMaps,
    pod: () => current,
    sync: async () => (await syncer.syncPod(current)).resyncAfterMs,
  };
}

async function containerIds(h: Harness, name: string): Promise<string[]> {
  return (await h.runtime.listContainers()).filter((c) => c.name === name).map((c) => c.id);
}

describe('PodSyncer.syncPod', () => {
  it('creates the sandbox, starts the containers and reports the pod Running with its IPs', async () => {
    const h = harness(makePod({ containers: ['app', 'sidecar'] }));
    await h.sync();
    expect(h.runtime.callsTo('createSandbox')).toHaveLength(1);
    expect(h.runtime.callsTo('startContainer')).toHaveLength(2);
    const status = h.pod().status!;
    expect(status).toMatchObject({ phase: 'Running', podIP: '10.88.0.2', hostIP: '192.0.2.2' });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(h.events).toEqual([
      'Normal Pulled: Container image "busybox" already present on machine',
      'Normal Created: Created container app',
      'Normal Started: Started container app',
      'Normal Pulled: Container image "busybox" already present on machine',
      'Normal Created: Created container sidecar',
      'Normal Started: Started container sidecar',
    ]);
  });

  it('does nothing and writes nothing when the pod already runs as specified', async () => {
    const h = harness(makePod());
    await h.sync();
    const calls = h.runtime.calls.length;
    const writes = h.patches.length;
    await h.clock.advance(30_000);
    await h.sync();
    expect(h.runtime.calls.slice(calls).filter((c) => !/^(list|inspect)/.test(c.method))).toEqual([]);
    expect(h.patches).toHaveLength(writes);
  });

  it('recognises its own status coming back from a sync that left nothing to do, and no other', async () => {
    const h = harness(makePod());
    expect(h.syncer.holdsOwnSettledStatus(h.pod())).toBe(false);
    await h.sync();
    const echo = h.pod();
    expect(h.syncer.holdsOwnSettledStatus(echo)).toBe(true);
    const changed = structuredClone(echo);
    changed.status!.conditions!.find((c) => c.type === 'Ready')!.status = 'False';
    expect(h.syncer.holdsOwnSettledStatus(changed)).toBe(false);
    expect(h.syncer.holdsOwnSettledStatus({ ...echo, status: undefined })).toBe(false);
  });

  it('does not count a status as settled when a container exited during the sync that wrote it', async () => {
    const h = harness(makePod());
    const start = h.runtime.startContainer.bind(h.runtime);
    h.runtime.startContainer = async (id: string) => {
      await start(id);
      if ((await h.runtime.inspectContainer(id))?.name === 'app') h.runtime.exitContainer(id, 3);
    };
    await h.sync();
    expect(h.pod().status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 3 });
    expect(h.syncer.holdsOwnSettledStatus(h.pod())).toBe(false);
  });

  it('runs init containers one at a time, in order, before the app containers', async () => {
    const h = harness(makePod({ initContainers: ['first', 'second'], containers: ['app'] }));
    await h.sync();
    expect(h.pod().status?.phase).toBe('Pending');
    const [first] = await containerIds(h, 'first');
    expect(await containerIds(h, 'second')).toEqual([]);
    h.runtime.exitContainer(first, 0);
    await h.sync();
    const [second] = await containerIds(h, 'second');
    expect(await containerIds(h, 'app')).toEqual([]);
    h.runtime.exitContainer(second, 0);
    await h.sync();
    expect(await containerIds(h, 'app')).toHaveLength(1);
    expect(h.pod().status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
  });

  it('backs a crashing container off: restart at once, then CrashLoopBackOff until 10 s passed', async () => {
    const h = harness(makePod());
    await h.sync();
    await h.clock.advance(1_000);
    h.runtime.exitContainer((await containerIds(h, 'app'))[0], 1);
    await h.sync();
    expect(await containerIds(h, 'app')).toHaveLength(2);
    expect(h.pod().status?.containerStatuses?.[0].restartCount).toBe(1);

    await h.clock.advance(1_000);
    const [newest] = (await h.runtime.listContainers()).filter((c) => c.state === 'running').map((c) => c.id);
    h.runtime.exitContainer(newest, 1);
    const resyncAfter = await h.sync();
    expect(await containerIds(h, 'app')).toHaveLength(2);
    expect(resyncAfter).toBeGreaterThan(9_000);
    expect(resyncAfter).toBeLessThanOrEqual(10_100);
    const waiting = h.pod().status?.containerStatuses?.[0];
    expect(waiting?.state?.waiting).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(waiting?.state?.waiting?.message).toMatch(
      /^back-off 10s restarting failed container=app pod=web_default/,
    );
    expect(waiting?.lastState?.terminated?.exitCode).toBe(1);
    expect(h.events).toContain(
      'Warning BackOff: Back-off restarting failed container app in pod web_default(uid-1)',
    );

    await h.clock.advance(10_000);
    await h.sync();
    expect(h.pod().status?.containerStatuses?.[0]).toMatchObject({ restartCount: 2, state: { running: {} } });
  });

  it('waits with CreateContainerConfigError for a missing ConfigMap, and starts once it exists', async () => {
    const pod = makePod({
      containers: [
        makeContainer('app', {
          env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
        }),
      ],
    });
    const h = harness(pod);
    await h.sync();
    expect(h.pod().status?.containerStatuses?.[0].state?.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'configmap "settings" not found',
    });
    expect(h.events).toContain('Warning Failed: Error: configmap "settings" not found');
    h.configMaps.set('settings', { metadata: { name: 'settings' }, data: { mode: 'fast' } });
    await h.sync();
    const [created] = h.runtime.callsTo('createContainer').map((args) => args[1] as { env: unknown[] });
    expect(created.env).toContainEqual({ name: 'MODE', value: 'fast' });
    expect(h.pod().status?.phase).toBe('Running');
  });

  it('reports ErrImagePull, then ImagePullBackOff while the pull backoff lasts', async () => {
    const h = harness(makePod({ containers: [makeContainer('app', { image: 'registry.example/app:1' })] }));
    await h.sync();
    expect(h.pod().status?.containerStatuses?.[0].state?.waiting?.reason).toBe('ErrImagePull');
    expect(h.events.filter((e) => e.startsWith('Warning Failed'))).toEqual([
      'Warning Failed: Failed to pull image "registry.example/app:1": failed to pull image "registry.example/app:1": pull access denied or registry unreachable',
      'Warning Failed: Error: ErrImagePull',
    ]);
    await h.clock.advance(1_000);
    await h.sync();
    expect(h.pod().status?.containerStatuses?.[0].state?.waiting?.reason).toBe('ImagePullBackOff');
    expect(h.runtime.callsTo('pullImage')).toHaveLength(1);
  });

  it('finishes a restartPolicy Never pod as Succeeded and stops its sandbox', async () => {
    const h = harness(makePod({ restartPolicy: 'Never' }));
    await h.sync();
    h.runtime.exitContainer((await containerIds(h, 'app'))[0], 0);
    await h.sync();
    expect(h.pod().status?.phase).toBe('Succeeded');
    expect(h.runtime.callsTo('stopSandbox')).toHaveLength(1);
    await h.sync();
    expect(await containerIds(h, 'app')).toHaveLength(1);
  });

  it('restarts a container whose definition changed, with a Killing event', async () => {
    const h = harness(makePod());
    await h.sync();
    const changed = structuredClone(h.pod());
    changed.spec!.containers[0].image = 'kubicle/busybox:latest';
    await h.syncer.syncPod(changed);
    expect(h.events).toContain('Normal Killing: Container app definition changed, will be restarted');
    expect(h.runtime.callsTo('stopContainer')).toHaveLength(1);
    expect(await containerIds(h, 'app')).toHaveLength(2);
  });
});

describe('PodSyncer.terminatePod', () => {
  it('stops every container with the grace period, reports the end, removes it all and deletes the pod', async () => {
    const h = harness(makePod({ containers: ['app', 'sidecar'] }));
    await h.sync();
    const terminating = structuredClone(h.pod());
    terminating.metadata!.deletionTimestamp = '2024-01-01T12:00:30Z';
    terminating.metadata!.deletionGracePeriodSeconds = 30;
    await h.syncer.terminatePod(terminating);
    expect(h.runtime.callsTo('stopContainer').map((args) => args[1])).toEqual([30, 30]);
    expect(h.events.filter((e) => e.includes('Killing'))).toEqual([
      'Normal Killing: Stopping container app',
      'Normal Killing: Stopping container sidecar',
    ]);
    expect(h.pod().status?.containerStatuses?.map((c) => c.state?.terminated?.exitCode)).toEqual([143, 143]);
    expect(await h.runtime.listContainers()).toEqual([]);
    expect(await h.runtime.listSandboxes()).toEqual([]);
    expect(h.deletes).toEqual([
      ['v1', 'Pod', 'default', 'web', { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' } }],
    ]);
  });

  it('runs a preStop exec hook before stopping the container', async () => {
    const pod = makePod({
      containers: [makeContainer('app', { lifecycle: { preStop: { exec: { command: ['drain'] } } } })],
    });
    const h = harness(pod);
    await h.sync();
    const terminating = structuredClone(h.pod());
    terminating.metadata!.deletionGracePeriodSeconds = 5;
    await h.syncer.terminatePod(terminating);
    const order = h.runtime.calls.map((c) => c.method).filter((m) => m === 'exec' || m === 'stopContainer');
    expect(order).toEqual(['exec', 'stopContainer']);
    expect(h.runtime.callsTo('exec')[0][1]).toEqual(['drain']);
  });
});

describe('PodSyncer.cleanupPod', () => {
  it('removes what the runtime still has of a pod the API no longer has', async () => {
    const h = harness(makePod());
    await h.sync();
    await h.syncer.cleanupPod('uid-1', undefined);
    expect(await h.runtime.listContainers()).toEqual([]);
    expect(await h.runtime.listSandboxes()).toEqual([]);
    expect(h.deletes).toEqual([]);
  });
});
