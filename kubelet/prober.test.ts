import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../machinery/clock.js';
import { ProbeManager, ProbeTracker, knownResult, probeSettings, resolvePort, runHandler } from './prober.js';
import type { ProbeKind } from './prober.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import { makeContainer, makePod, podStatus, runtimeContainer, sandbox } from './testing/builders.js';

const settings = (extra: Partial<ReturnType<typeof probeSettings>> = {}) => ({
  ...probeSettings({}),
  periodSeconds: 1,
  ...extra,
});

describe('knownResult', () => {
  const podWith = (containerID: string, ready: boolean) =>
    ({ status: { containerStatuses: [{ name: 'app', containerID, ready }] } }) as never;
  it.each([
    ['the same container reported ready keeps readiness', 'docker://abc', true, 'readiness', 'Success'],
    ['the same container not ready starts from the default', 'docker://abc', false, 'readiness', undefined],
    ['another container (a restart) starts from the default', 'docker://old', true, 'readiness', undefined],
    ['liveness never carries over', 'docker://abc', true, 'liveness', undefined],
    ['startup never carries over', 'docker://abc', true, 'startup', undefined],
  ])('%s', (_name, containerID, ready, kind, expected) => {
    expect(knownResult(podWith(containerID, ready), { id: 'abc', name: 'app' }, kind as ProbeKind)).toBe(
      expected,
    );
  });

  it('starts a tracker from the known result', () => {
    expect(new ProbeTracker('readiness', probeSettings({}), 0, 'Success').reported).toBe('Success');
    expect(new ProbeTracker('readiness', probeSettings({}), 0).reported).toBe('Failure');
  });
});

describe('probeSettings', () => {
  it('fills in upstream defaults for unset fields', () => {
    expect(probeSettings({})).toEqual({
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeSettings({ periodSeconds: 2, failureThreshold: 1 })).toMatchObject({
      periodSeconds: 2,
      failureThreshold: 1,
    });
  });
});

describe('ProbeTracker', () => {
  it.each<[ProbeKind, string | undefined]>([
    ['readiness', 'Failure'],
    ['liveness', 'Success'],
    ['startup', undefined],
  ])('starts a %s probe at %s before any run', (kind, initial) => {
    expect(new ProbeTracker(kind, settings(), 0).reported).toBe(initial);
  });

  it('waits out the initial delay, counted from the container start', () => {
    const tracker = new ProbeTracker('liveness', settings({ initialDelaySeconds: 5 }), 1_000);
    expect(tracker.next(5_999, true)).toBe('wait');
    expect(tracker.next(6_000, true)).toBe('probe');
  });

  it('holds liveness and readiness back until the startup probe succeeded', () => {
    const tracker = new ProbeTracker('readiness', settings(), 0);
    expect(tracker.next(10_000, false)).toBe('wait');
    expect(tracker.next(10_000, true)).toBe('probe');
  });

  it('stops a startup probe once it succeeded', () => {
    const tracker = new ProbeTracker('startup', settings(), 0);
    expect(tracker.record('Success')).toBe(true);
    expect(tracker.next(1_000, true)).toBe('stop');
  });

  it('reports a failure only after failureThreshold failures in a row', () => {
    const tracker = new ProbeTracker('readiness', settings({ failureThreshold: 3 }), 0);
    expect(tracker.record('Success')).toBe(true);
    expect(tracker.record('Failure')).toBe(false);
    expect(tracker.record('Failure')).toBe(false);
    expect(tracker.record('Success')).toBe(false);
    expect(tracker.record('Failure')).toBe(false);
    expect(tracker.record('Failure')).toBe(false);
    expect(tracker.record('Failure')).toBe(true);
    expect(tracker.reported).toBe('Failure');
  });

  it('reports a success only after successThreshold successes in a row', () => {
    const tracker = new ProbeTracker('readiness', settings({ successThreshold: 2 }), 0);
    expect(tracker.record('Success')).toBe(false);
    expect(tracker.reported).toBe('Failure');
    expect(tracker.record('Success')).toBe(true);
    expect(tracker.reported).toBe('Success');
  });

  it('holds a failed liveness probe still until the container is replaced', () => {
    const tracker = new ProbeTracker('liveness', settings({ failureThreshold: 1 }), 0);
    expect(tracker.record('Failure')).toBe(true);
    expect(tracker.next(60_000, true)).toBe('wait');
  });

  it('keeps probing readiness after a failure, so it can become ready again', () => {
    const tracker = new ProbeTracker('readiness', settings({ failureThreshold: 1 }), 0);
    tracker.record('Success');
    tracker.record('Failure');
    expect(tracker.next(60_000, true)).toBe('probe');
    expect(tracker.record('Success')).toBe(true);
  });
});

describe('resolvePort', () => {
  const container = makeContainer('web', { ports: [{ name: 'http', containerPort: 8080 }] });
  it.each<[number | string | undefined, number | undefined]>([
    [80, 80],
    ['9090', 9090],
    ['http', 8080],
    ['metrics', undefined],
    [undefined, undefined],
  ])('resolves %p to %p', (port, expected) => {
    expect(resolvePort(port, container)).toBe(expected);
  });
});

describe('runHandler', () => {
  const runtime = new FakeRuntime();
  const container = makeContainer('web');
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 503).end(req.headers['x-probe'] ?? 'body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes an httpGet on 2xx and fails it on 5xx with the status code', async () => {
    const target = { runtime, containerId: 'x', container, podIP: '127.0.0.1' };
    expect(await runHandler({ httpGet: { path: '/healthz', port } }, target, 1_000)).toMatchObject({
      result: 'Success',
    });
    expect(await runHandler({ httpGet: { path: '/other', port } }, target, 1_000)).toEqual({
      result: 'Failure',
      output: 'HTTP probe failed with statuscode: 503',
    });
  });

  it('passes an httpGet whose server ends header lines with a bare LF, as CGI scripts do', async () => {
    const lax = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.0 200 OK\nContent-Type: text/plain\n\nok\n'));
    });
    await new Promise<void>((resolve) => lax.listen(0, '127.0.0.1', resolve));
    const target = { runtime, containerId: 'x', container, podIP: '127.0.0.1' };
    const laxPort = (lax.address() as AddressInfo).port;
    try {
      expect(await runHandler({ httpGet: { port: laxPort } }, target, 1_000)).toMatchObject({
        result: 'Success',
      });
    } finally {
      lax.close();
    }
  });

  it('fails an httpGet and a tcpSocket probe on a refused connection', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const target = { runtime, containerId: 'x', container, podIP: '127.0.0.1' };
    expect((await runHandler({ httpGet: { port: closed } }, target, 1_000)).result).toBe('Failure');
    const tcp = await runHandler({ tcpSocket: { port: closed } }, target, 1_000);
    expect(tcp.result).toBe('Failure');
    expect(tcp.output).toContain(`dial tcp 127.0.0.1:${closed}`);
    expect((await runHandler({ tcpSocket: { port } }, target, 1_000)).result).toBe('Success');
  });

  it('runs an exec probe in the container: exit 0 passes, anything else fails with the output', async () => {
    const fake = new FakeRuntime();
    const sandboxId = await fake.createSandbox({
      pod: { uid: 'u', name: 'p', namespace: 'n' },
      attempt: 0,
      hostname: 'p',
    });
    const id = await fake.createContainer(
      sandboxId,
      { name: 'web', image: 'busybox', restartCount: 0 },
      {
        pod: { uid: 'u', name: 'p', namespace: 'n' },
        attempt: 0,
        hostname: 'p',
      },
    );
    await fake.startContainer(id);
    fake.setExecResult((_id, command) =>
      command[0] === 'ok'
        ? { exitCode: 0, stdout: '', stderr: '', timedOut: false }
        : { exitCode: 1, stdout: 'not there\n', stderr: '', timedOut: false },
    );
    const target = { runtime: fake, containerId: id, container };
    expect((await runHandler({ exec: { command: ['ok'] } }, target, 1_000)).result).toBe('Success');
    expect(await runHandler({ exec: { command: ['cat', '/tmp/x'] } }, target, 1_000)).toEqual({
      result: 'Failure',
      output: 'not there',
    });
  });
});

describe('ProbeManager', () => {
  type Probe = NonNullable<ReturnType<typeof makeContainer>['livenessProbe']>;

  /** A manager probing one running container whose exec answers as `healthy` says. */
  function setUp(kind: 'livenessProbe' | 'readinessProbe', probe: Probe) {
    const clock = new FakeClock();
    const state = { healthy: true };
    const runtime = {
      exec: async () => ({
        exitCode: state.healthy ? 0 : 1,
        stdout: state.healthy ? '' : 'down',
        stderr: '',
        timedOut: false,
      }),
    };
    const changes: string[] = [];
    const failures: string[] = [];
    const manager = new ProbeManager({
      runtime,
      clock,
      onChange: (uid) => changes.push(uid),
      onFailure: (_pod, container, k, output) => failures.push(`${container.name}/${k}: ${output}`),
    });
    const pod = makePod({ containers: [makeContainer('app', { [kind]: probe })] });
    const running = runtimeContainer('app', 'running', { startedAt: clock.now() });
    manager.syncPod(pod, podStatus([sandbox('ready')], [running]));
    return { clock, manager, pod, running, changes, failures, state };
  }

  it('reports readiness Success after the first good run and Failure after the threshold', async () => {
    const t = setUp('readinessProbe', {
      exec: { command: ['check'] },
      periodSeconds: 1,
      failureThreshold: 2,
    });
    const readiness = () => t.manager.results.readiness.get(t.running.id);
    expect(readiness()).toBe('Failure');
    await t.clock.advance(0);
    expect(readiness()).toBe('Success');
    expect(t.changes).toEqual(['uid-1']);
    t.state.healthy = false;
    await t.clock.advance(1_000);
    expect(readiness()).toBe('Success');
    await t.clock.advance(1_000);
    expect(readiness()).toBe('Failure');
    expect(t.changes).toEqual(['uid-1', 'uid-1']);
    t.manager.stop();
  });

  it('records every failed liveness run and forgets the results of a container that stopped', async () => {
    const t = setUp('livenessProbe', { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 3 });
    t.state.healthy = false;
    await t.clock.advance(0);
    await t.clock.advance(2_000);
    expect(t.failures).toEqual(['app/liveness: down', 'app/liveness: down', 'app/liveness: down']);
    expect(t.manager.results.liveness.get(t.running.id)).toBe('Failure');
    const exited = { ...t.running, state: 'exited' as const };
    t.manager.syncPod(t.pod, podStatus([sandbox('ready')], [exited]));
    expect(t.manager.results.liveness.has(t.running.id)).toBe(false);
    await t.clock.advance(5_000);
    expect(t.failures).toHaveLength(3);
  });

  it('does not probe before the initial delay has passed', async () => {
    const t = setUp('livenessProbe', {
      exec: { command: ['check'] },
      periodSeconds: 1,
      initialDelaySeconds: 3,
      failureThreshold: 1,
    });
    t.state.healthy = false;
    await t.clock.advance(2_000);
    expect(t.failures).toEqual([]);
    await t.clock.advance(1_000);
    expect(t.failures).toEqual(['app/liveness: down']);
    t.manager.stop();
  });
});
