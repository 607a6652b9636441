import { rfc3339 } from './api-types.js';
import type { ContainerStatus, Pod, PodCondition } from './api-types.js';
import { computePodStatus } from './pod-status.js';
import type { PodStatusContext } from './pod-status.js';
import { NO_PROBE_RESULTS } from './probe-results.js';
import type { ProbeResults } from './probe-results.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import { at, makeContainer, makePod, podStatus, runtimeContainer, sandbox } from './testing/builders.js';

const NOW = at(100);
const ready = sandbox('ready');
const HOST = { hostIPs: ['192.168.1.10'] };

function compute(
  pod: Pod,
  runtime: RuntimePodStatus,
  context: PodStatusContext = HOST,
  probes: ProbeResults = NO_PROBE_RESULTS,
) {
  return computePodStatus(pod, runtime, probes, NOW, context);
}

function conditionsOf(conditions: PodCondition[] | undefined): string[] {
  return (conditions ?? []).map((c) => [c.type, c.status, c.reason].filter(Boolean).join(':'));
}

function stateOf(status: ContainerStatus | undefined): string {
  const s = status?.state ?? {};
  if (s.running) return 'running';
  if (s.terminated) return `terminated:${s.terminated.reason}:${s.terminated.exitCode}`;
  return `waiting:${s.waiting?.reason ?? ''}`;
}

describe('computePodStatus', () => {
  it('describes a pod whose containers are still being created', () => {
    const status = compute(makePod({ containers: ['web', 'api'] }), podStatus([ready]));
    expect(status).toMatchObject({
      phase: 'Pending',
      hostIP: '192.168.1.10',
      hostIPs: [{ ip: '192.168.1.10' }],
      podIP: '172.17.0.5',
      podIPs: [{ ip: '172.17.0.5' }],
      startTime: rfc3339(NOW),
      qosClass: 'BestEffort',
    });
    expect(status.containerStatuses).toEqual([
      {
        name: 'api',
        image: 'busybox',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      },
      {
        name: 'web',
        image: 'busybox',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      },
    ]);
    expect(status.conditions).toEqual([
      { type: 'Initialized', status: 'True', lastTransitionTime: rfc3339(NOW) },
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [web api]',
        lastTransitionTime: rfc3339(NOW),
      },
      {
        type: 'ContainersReady',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [web api]',
        lastTransitionTime: rfc3339(NOW),
      },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(NOW) },
    ]);
    expect(status.initContainerStatuses).toBeUndefined();
  });

  it('reports a running container with its runtime identity', () => {
    const app = runtimeContainer('app', 'running', {
      id: 'c0ffee',
      created: 10,
      imageRef: 'docker://sha256:abc',
    });
    const status = compute(makePod(), podStatus([ready], [app]));
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses).toEqual([
      {
        name: 'app',
        image: 'busybox',
        imageID: 'docker://sha256:abc',
        containerID: 'docker://c0ffee',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: rfc3339(at(11)) } },
        lastState: {},
      },
    ]);
    expect(conditionsOf(status.conditions)).toEqual([
      'Initialized:True',
      'Ready:True',
      'ContainersReady:True',
      'PodScheduled:True',
    ]);
  });

  describe('probes', () => {
    const withProbes = makePod({
      containers: [
        makeContainer('app', { readinessProbe: { exec: { command: ['true'] } }, startupProbe: undefined }),
      ],
    });
    const withStartup = makePod({
      containers: [
        makeContainer('app', {
          readinessProbe: { exec: { command: ['true'] } },
          startupProbe: { exec: { command: ['true'] } },
        }),
      ],
    });
    const app = runtimeContainer('app', 'running', { id: 'live' });
    const results = (readiness?: 'Success' | 'Failure', startup?: 'Success' | 'Failure'): ProbeResults => ({
      liveness: new Map(),
      readiness: new Map(readiness ? [['live', readiness]] : []),
      startup: new Map(startup ? [['live', startup]] : []),
    });

    it.each<[string, Pod, ProbeResults, boolean, boolean]>([
      [
        'a readiness probe that has not run yet keeps the container unready',
        withProbes,
        results(),
        true,
        false,
      ],
      ['a successful readiness probe makes it ready', withProbes, results('Success'), true, true],
      ['a failed readiness probe makes it unready', withProbes, results('Failure'), true, false],
      [
        'a startup probe that has not succeeded means not started and not ready',
        withStartup,
        results('Success'),
        false,
        false,
      ],
      [
        'a successful startup probe lets readiness count',
        withStartup,
        results('Success', 'Success'),
        true,
        true,
      ],
      [
        'a readiness result of a previous instance does not count',
        withProbes,
        { ...results(), readiness: new Map([['old', 'Success']]) },
        true,
        false,
      ],
    ])('%s', (_name, pod, probes, started, isReady) => {
      const status = compute(pod, podStatus([ready], [app]), HOST, probes);
      expect(status.containerStatuses?.[0]).toMatchObject({ started, ready: isReady });
      expect(conditionsOf(status.conditions)[1]).toBe(
        isReady ? 'Ready:True' : 'Ready:False:ContainersNotReady',
      );
    });
  });

  describe('restarts', () => {
    it('shows a crash-looping container as waiting, with the crash as its last state', () => {
      const crashed = runtimeContainer('app', 'exited', { exitCode: 2, restartCount: 3, id: 'dead' });
      const failures = new Map([
        [
          'app',
          {
            reason: 'CrashLoopBackOff',
            message: 'back-off 40s restarting failed container=app pod=web_default(uid-1)',
          },
        ],
      ]);
      const status = compute(makePod(), podStatus([ready], [crashed]), { ...HOST, startFailures: failures });
      expect(status.phase).toBe('Running');
      expect(status.containerStatuses?.[0]).toMatchObject({
        restartCount: 3,
        ready: false,
        state: { waiting: failures.get('app') },
        lastState: {
          terminated: {
            exitCode: 2,
            reason: 'Error',
            startedAt: rfc3339(at(11)),
            finishedAt: rfc3339(at(15)),
            containerID: 'docker://dead',
          },
        },
      });
    });

    it('takes lastState from the previous instance when the container runs again', () => {
      const status = compute(
        makePod(),
        podStatus(
          [ready],
          [
            runtimeContainer('app', 'exited', {
              exitCode: 137,
              oomKilled: true,
              reason: 'OOMKilled',
              created: 1,
            }),
            runtimeContainer('app', 'running', { restartCount: 1, created: 30 }),
          ],
        ),
      );
      expect(status.containerStatuses?.[0]).toMatchObject({
        restartCount: 1,
        ready: true,
        state: { running: { startedAt: rfc3339(at(31)) } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
      });
    });

    it('shows a failed pull as the waiting reason while nothing ran yet', () => {
      const failures = new Map([['app', { reason: 'ErrImagePull', message: 'failed to pull image "nope"' }]]);
      const status = compute(makePod(), podStatus([ready]), { ...HOST, startFailures: failures });
      expect(status.phase).toBe('Pending');
      expect(stateOf(status.containerStatuses?.[0])).toBe('waiting:ErrImagePull');
    });

    it('marks a container that vanished while running as terminated with an unknown status', () => {
      const pod = makePod();
      pod.status = {
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox',
            imageID: 'x',
            ready: true,
            restartCount: 4,
            state: { running: { startedAt: rfc3339(at(1)) } },
          },
        ],
      };
      const status = compute(
        pod,
        podStatus([ready], [runtimeContainer('app', 'unknown', { restartCount: 4 })]),
      );
      expect(status.containerStatuses?.[0]).toMatchObject({
        restartCount: 5,
        state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } },
      });
    });
  });

  describe('phase', () => {
    const exited = (exitCode: number) =>
      podStatus([sandbox('notready')], [runtimeContainer('app', 'exited', { exitCode })]);
    it.each<[string, 'Always' | 'OnFailure' | 'Never', number, string, string[]]>([
      [
        'Never, exit 0: Succeeded',
        'Never',
        0,
        'Succeeded',
        [
          'Initialized:True:PodCompleted',
          'Ready:False:PodCompleted',
          'ContainersReady:False:PodCompleted',
          'PodScheduled:True',
        ],
      ],
      [
        'Never, exit 1: Failed',
        'Never',
        1,
        'Failed',
        ['Initialized:True', 'Ready:False:PodFailed', 'ContainersReady:False:PodFailed', 'PodScheduled:True'],
      ],
      [
        'OnFailure, exit 0: Succeeded',
        'OnFailure',
        0,
        'Succeeded',
        [
          'Initialized:True:PodCompleted',
          'Ready:False:PodCompleted',
          'ContainersReady:False:PodCompleted',
          'PodScheduled:True',
        ],
      ],
      [
        'OnFailure, exit 1: Running, it will be restarted',
        'OnFailure',
        1,
        'Running',
        [
          'Initialized:True',
          'Ready:False:ContainersNotReady',
          'ContainersReady:False:ContainersNotReady',
          'PodScheduled:True',
        ],
      ],
      [
        'Always, exit 0: Running, it will be restarted',
        'Always',
        0,
        'Running',
        [
          'Initialized:True',
          'Ready:False:ContainersNotReady',
          'ContainersReady:False:ContainersNotReady',
          'PodScheduled:True',
        ],
      ],
    ])('restartPolicy %s', (_name, restartPolicy, exitCode, phase, conditions) => {
      const status = compute(makePod({ restartPolicy }), exited(exitCode));
      expect(status.phase).toBe(phase);
      expect(conditionsOf(status.conditions)).toEqual(conditions);
      expect(stateOf(status.containerStatuses?.[0])).toBe(
        `terminated:${exitCode === 0 ? 'Completed' : 'Error'}:${exitCode}`,
      );
    });

    it('ends an Always pod as Succeeded or Failed only once it is terminal', () => {
      const status = compute(makePod(), exited(0), { ...HOST, podIsTerminal: true });
      expect(status.phase).toBe('Succeeded');
      expect(compute(makePod(), exited(3), { ...HOST, podIsTerminal: true }).phase).toBe('Failed');
    });

    it('never leaves a terminal phase', () => {
      const pod = makePod({ restartPolicy: 'Never' });
      pod.status = { phase: 'Succeeded' };
      expect(compute(pod, podStatus([])).phase).toBe('Succeeded');
    });
  });

  describe('init containers', () => {
    const pod = makePod({ initContainers: ['setup', 'migrate'], containers: ['app'] });

    it('waits in PodInitializing until the init containers are done', () => {
      const status = compute(pod, podStatus([ready], [runtimeContainer('setup', 'running')]));
      expect(status.phase).toBe('Pending');
      expect(status.initContainerStatuses?.map((s) => [s.name, stateOf(s), s.ready])).toEqual([
        ['setup', 'running', false],
        ['migrate', 'waiting:PodInitializing', false],
      ]);
      expect(stateOf(status.containerStatuses?.[0])).toBe('waiting:PodInitializing');
      expect(status.conditions?.[0]).toMatchObject({
        type: 'Initialized',
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [setup migrate]',
      });
    });

    it('is initialized once every init container exited 0', () => {
      const status = compute(
        pod,
        podStatus(
          [ready],
          [
            runtimeContainer('setup', 'exited', { created: 1 }),
            runtimeContainer('migrate', 'exited', { created: 5 }),
          ],
        ),
      );
      expect(status.initContainerStatuses?.map((s) => s.ready)).toEqual([true, true]);
      expect(conditionsOf(status.conditions)[0]).toBe('Initialized:True');
      expect(status.phase).toBe('Pending');
    });

    it('fails the pod when an init container fails under restartPolicy Never', () => {
      const never = makePod({ initContainers: ['setup'], restartPolicy: 'Never' });
      const status = compute(
        never,
        podStatus([ready], [runtimeContainer('setup', 'exited', { exitCode: 1 })]),
      );
      expect(status.phase).toBe('Failed');
    });

    it('keeps a failing init container in Init:CrashLoopBackOff under restartPolicy Always', () => {
      const failures = new Map([['setup', { reason: 'CrashLoopBackOff', message: 'back-off 10s' }]]);
      const status = compute(
        pod,
        podStatus([ready], [runtimeContainer('setup', 'exited', { exitCode: 1 })]),
        {
          ...HOST,
          startFailures: failures,
        },
      );
      expect(status.phase).toBe('Pending');
      expect(stateOf(status.initContainerStatuses?.[0])).toBe('waiting:CrashLoopBackOff');
    });
  });

  describe('conditions', () => {
    it('keeps transition times of unchanged conditions and other components’ conditions', () => {
      const pod = makePod();
      const earlier = rfc3339(at(5));
      pod.status = {
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: earlier },
          { type: 'ContainersReady', status: 'False', lastTransitionTime: earlier },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: earlier },
          { type: 'example.com/gate', status: 'True', lastTransitionTime: earlier },
        ],
      };
      const status = compute(pod, podStatus([ready], [runtimeContainer('app', 'running')]));
      expect(status.conditions?.map((c) => [c.type, c.lastTransitionTime])).toEqual([
        ['example.com/gate', earlier],
        ['Initialized', rfc3339(NOW)],
        ['Ready', earlier],
        ['ContainersReady', rfc3339(NOW)],
        ['PodScheduled', earlier],
      ]);
    });

    it('holds Ready back until every readiness gate is True', () => {
      const pod = makePod();
      pod.spec!.readinessGates = [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }];
      pod.status = { conditions: [{ type: 'example.com/lb', status: 'False' }] };
      const status = compute(pod, podStatus([ready], [runtimeContainer('app', 'running')]));
      expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message:
          'the status of pod readiness gate "example.com/lb" is not "True", but False, corresponding condition of pod readiness gate "example.com/dns" does not exist.',
      });
      expect(status.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    });
  });

  describe('addresses and carried-over fields', () => {
    it('gives a host-network pod the host address', () => {
      const status = compute(
        makePod({ hostNetwork: true }),
        podStatus([sandbox('ready', { hostNetwork: true })]),
      );
      expect([status.podIP, status.podIPs]).toEqual(['192.168.1.10', [{ ip: '192.168.1.10' }]]);
    });

    it('keeps the pod IP of a pod whose sandbox has stopped, and fields the kubelet does not own', () => {
      const pod = makePod({ restartPolicy: 'Never' });
      pod.status = {
        podIP: '172.17.0.9',
        podIPs: [{ ip: '172.17.0.9' }],
        nominatedNodeName: 'n1',
        startTime: rfc3339(at(1)),
        qosClass: 'Burstable',
      };
      const status = compute(pod, podStatus([sandbox('notready')], [runtimeContainer('app', 'exited')]));
      expect(status).toMatchObject({
        podIP: '172.17.0.9',
        nominatedNodeName: 'n1',
        startTime: rfc3339(at(1)),
        qosClass: 'Burstable',
      });
    });

    it('computes the QoS class when the pod has none yet', () => {
      const pod = makePod({
        containers: [
          makeContainer('app', {
            resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '500m', memory: '64Mi' } },
          }),
        ],
      });
      expect(compute(pod, podStatus([ready])).qosClass).toBe('Guaranteed');
    });
  });
});
