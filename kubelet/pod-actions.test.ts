import {
  computePodActions,
  containerHash,
  findNextInitContainerToRun,
  nextRestartCount,
} from './pod-actions.js';
import type { PodActions } from './pod-actions.js';
import type { ProbeResults } from './probe-results.js';
import { NO_PROBE_RESULTS } from './probe-results.js';
import { makeContainer, makePod, podStatus, runtimeContainer, sandbox } from './testing/builders.js';
import type { Pod } from './api-types.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';

const ready = sandbox('ready');

/** The parts of the plan a row cares about, with kills reduced to `name:reason`. */
function plan(actions: PodActions) {
  return {
    killPod: actions.killPod,
    createSandbox: actions.createSandbox,
    attempt: actions.attempt,
    init: actions.initContainerToStart,
    start: actions.containersToStart,
    kill: actions.containersToKill.map((k) => `${k.name}:${k.reason ?? ''}`),
  };
}

const nothing = { killPod: false, createSandbox: false, attempt: 0, init: undefined, start: [], kill: [] };

describe('computePodActions', () => {
  describe('sandbox', () => {
    it.each<[string, Pod, RuntimePodStatus, ReturnType<typeof plan>]>([
      [
        'a new pod gets a sandbox and all its containers',
        makePod({ containers: ['a', 'b'] }),
        podStatus([]),
        { ...nothing, killPod: true, createSandbox: true, start: ['a', 'b'] },
      ],
      [
        'a new pod with init containers starts only the first init container',
        makePod({ initContainers: ['i1', 'i2'] }),
        podStatus([]),
        { ...nothing, killPod: true, createSandbox: true, init: 'i1' },
      ],
      [
        'a dead sandbox is replaced with the next attempt and everything restarts',
        makePod({ containers: ['a'] }),
        podStatus([sandbox('notready')], [runtimeContainer('a', 'running')]),
        { ...nothing, killPod: true, createSandbox: true, attempt: 1, start: ['a'] },
      ],
      [
        'a ready sandbox without an IP is replaced',
        makePod(),
        podStatus([sandbox('ready', { ip: undefined })]),
        { ...nothing, killPod: true, createSandbox: true, attempt: 1, start: ['app'] },
      ],
      [
        'two ready sandboxes are replaced by a third',
        makePod(),
        podStatus([sandbox('ready', { attempt: 0 }), sandbox('ready', { attempt: 1 })]),
        { ...nothing, killPod: true, createSandbox: true, attempt: 2, start: ['app'] },
      ],
      [
        'a switch to host networking needs a new sandbox',
        makePod({ hostNetwork: true }),
        podStatus([ready], [runtimeContainer('app', 'running')]),
        { ...nothing, killPod: true, createSandbox: true, attempt: 1, start: ['app'] },
      ],
      [
        'a host-network sandbox needs no IP of its own',
        makePod({ hostNetwork: true }),
        podStatus([sandbox('ready', { hostNetwork: true })], [runtimeContainer('app', 'running')]),
        nothing,
      ],
      [
        'a finished restartPolicy=Never pod does not get a fresh sandbox',
        makePod({ restartPolicy: 'Never' }),
        podStatus([sandbox('notready')], [runtimeContainer('app', 'exited', { exitCode: 1 })]),
        { ...nothing, killPod: true, createSandbox: false, attempt: 1 },
      ],
      [
        'a restartPolicy=Never pod whose first sandbox never ran a container retries the sandbox',
        makePod({ restartPolicy: 'Never' }),
        podStatus([sandbox('notready')]),
        { ...nothing, killPod: true, createSandbox: true, attempt: 1, start: ['app'] },
      ],
      [
        'OnFailure: a lost sandbox restarts only the containers that did not succeed',
        makePod({ containers: ['ok', 'bad'], restartPolicy: 'OnFailure' }),
        podStatus(
          [sandbox('notready')],
          [
            runtimeContainer('ok', 'exited', { exitCode: 0 }),
            runtimeContainer('bad', 'exited', { exitCode: 2 }),
          ],
        ),
        { ...nothing, killPod: true, createSandbox: true, attempt: 1, start: ['bad'] },
      ],
      [
        'OnFailure: nothing to rerun means no new sandbox',
        makePod({ containers: ['ok'], restartPolicy: 'OnFailure' }),
        podStatus([sandbox('notready')], [runtimeContainer('ok', 'exited', { exitCode: 0 })]),
        { ...nothing, killPod: true, createSandbox: false, attempt: 1 },
      ],
    ])('%s', (_name, pod, status, want) => {
      expect(plan(computePodActions(pod, status))).toEqual(want);
    });
  });

  describe('init containers', () => {
    it.each<[string, Pod, RuntimePodStatus, ReturnType<typeof plan>]>([
      [
        'the next init container starts after the previous one succeeded',
        makePod({ initContainers: ['i1', 'i2'] }),
        podStatus([ready], [runtimeContainer('i1', 'exited', { exitCode: 0 })]),
        { ...nothing, init: 'i2' },
      ],
      [
        'nothing starts while an init container runs',
        makePod({ initContainers: ['i1', 'i2'] }),
        podStatus([ready], [runtimeContainer('i1', 'running')]),
        nothing,
      ],
      [
        'app containers start once the last init container succeeded',
        makePod({ initContainers: ['i1', 'i2'], containers: ['a', 'b'] }),
        podStatus(
          [ready],
          [
            runtimeContainer('i1', 'exited', { created: 1 }),
            runtimeContainer('i2', 'exited', { created: 8 }),
          ],
        ),
        { ...nothing, start: ['a', 'b'] },
      ],
      [
        'a failed init container is retried under restartPolicy Always',
        makePod({ initContainers: ['i1', 'i2'] }),
        podStatus([ready], [runtimeContainer('i1', 'exited', { exitCode: 1 })]),
        { ...nothing, init: 'i1' },
      ],
      [
        'a failed init container is retried under restartPolicy OnFailure',
        makePod({ initContainers: ['i1'], restartPolicy: 'OnFailure' }),
        podStatus([ready], [runtimeContainer('i1', 'exited', { exitCode: 1 })]),
        { ...nothing, init: 'i1' },
      ],
      [
        'a failed init container kills the pod under restartPolicy Never',
        makePod({ initContainers: ['i1'], restartPolicy: 'Never' }),
        podStatus([ready], [runtimeContainer('i1', 'exited', { exitCode: 1 })]),
        { ...nothing, killPod: true },
      ],
      [
        'an init container in unknown state is killed before it is started again',
        makePod({ initContainers: ['i1'] }),
        podStatus([ready], [runtimeContainer('i1', 'unknown')]),
        { ...nothing, init: 'i1', kill: ['i1:Unknown'] },
      ],
      [
        'init containers removed by the runtime are not rerun while an app container runs',
        makePod({ initContainers: ['i1'], containers: ['a'] }),
        podStatus([ready], [runtimeContainer('a', 'running')]),
        nothing,
      ],
    ])('%s', (_name, pod, status, want) => {
      expect(plan(computePodActions(pod, status))).toEqual(want);
    });

    it('reports the failed init container it retries', () => {
      const failed = runtimeContainer('i2', 'exited', { exitCode: 3, created: 9 });
      const status = podStatus([ready], [runtimeContainer('i1', 'exited', { created: 1 }), failed]);
      const result = findNextInitContainerToRun(makePod({ initContainers: ['i1', 'i2'] }), status);
      expect(result).toEqual({ done: false, next: makeContainer('i2'), lastFailed: failed });
    });
  });

  describe('app containers', () => {
    const liveApp = runtimeContainer('app', 'running', { id: 'app-live' });
    const probes = (kind: keyof ProbeResults, id: string): ProbeResults => ({
      ...NO_PROBE_RESULTS,
      [kind]: new Map([[id, 'Failure']]),
    });

    it.each<[string, Pod, RuntimePodStatus, ProbeResults, ReturnType<typeof plan>]>([
      ['a running container is kept', makePod(), podStatus([ready], [liveApp]), NO_PROBE_RESULTS, nothing],
      [
        'a missing container is started',
        makePod({ containers: ['app', 'sidecar'] }),
        podStatus([ready], [liveApp]),
        NO_PROBE_RESULTS,
        { ...nothing, start: ['sidecar'] },
      ],
      [
        'a container created but never started is started',
        makePod(),
        podStatus([ready], [runtimeContainer('app', 'created')]),
        NO_PROBE_RESULTS,
        { ...nothing, start: ['app'] },
      ],
      ...(['Always', 'OnFailure', 'Never'] as const).flatMap((policy) => [
        [
          `restartPolicy ${policy}: a container that failed is ${policy === 'Never' ? 'left dead and the pod killed' : 'restarted'}`,
          makePod({ restartPolicy: policy }),
          podStatus([ready], [runtimeContainer('app', 'exited', { exitCode: 1 })]),
          NO_PROBE_RESULTS,
          policy === 'Never' ? { ...nothing, killPod: true } : { ...nothing, start: ['app'] },
        ] as [string, Pod, RuntimePodStatus, ProbeResults, ReturnType<typeof plan>],
        [
          `restartPolicy ${policy}: a container that succeeded is ${policy === 'Always' ? 'restarted' : 'left alone and the pod killed'}`,
          makePod({ restartPolicy: policy }),
          podStatus([ready], [runtimeContainer('app', 'exited', { exitCode: 0 })]),
          NO_PROBE_RESULTS,
          policy === 'Always' ? { ...nothing, start: ['app'] } : { ...nothing, killPod: true },
        ] as [string, Pod, RuntimePodStatus, ProbeResults, ReturnType<typeof plan>],
      ]),
      [
        'a container in unknown state is killed and started again',
        makePod(),
        podStatus([ready], [runtimeContainer('app', 'unknown')]),
        NO_PROBE_RESULTS,
        { ...nothing, start: ['app'], kill: ['app:Unknown'] },
      ],
      [
        'a failed liveness probe kills and restarts the container',
        makePod(),
        podStatus([ready], [liveApp]),
        probes('liveness', 'app-live'),
        { ...nothing, start: ['app'], kill: ['app:LivenessProbe'] },
      ],
      [
        'a failed liveness probe under restartPolicy Never kills without restarting',
        makePod({ restartPolicy: 'Never' }),
        podStatus([ready], [liveApp]),
        probes('liveness', 'app-live'),
        { ...nothing, killPod: true, kill: ['app:LivenessProbe'] },
      ],
      [
        'a failed startup probe kills and restarts the container',
        makePod(),
        podStatus([ready], [liveApp]),
        probes('startup', 'app-live'),
        { ...nothing, start: ['app'], kill: ['app:StartupProbe'] },
      ],
      [
        'a liveness failure of an earlier container instance is ignored',
        makePod(),
        podStatus([ready], [liveApp]),
        probes('liveness', 'app-previous'),
        nothing,
      ],
      [
        'a changed image restarts the container even under restartPolicy Never',
        makePod({ containers: [makeContainer('app', { image: 'busybox:1.36' })], restartPolicy: 'Never' }),
        podStatus([ready], [liveApp]),
        NO_PROBE_RESULTS,
        { ...nothing, start: ['app'], kill: ['app:'] },
      ],
      [
        'a container without a recorded hash is not treated as changed',
        makePod({ containers: [makeContainer('app', { image: 'other' })] }),
        podStatus([ready], [runtimeContainer('app', 'running', { hash: undefined })]),
        NO_PROBE_RESULTS,
        nothing,
      ],
      [
        'a pod being deleted restarts nothing and is killed once nothing runs',
        makePod({}, { deletionTimestamp: '2024-01-01T12:00:00Z' }),
        podStatus([ready], [runtimeContainer('app', 'exited', { exitCode: 1 })]),
        NO_PROBE_RESULTS,
        { ...nothing, killPod: true },
      ],
    ])('%s', (_name, pod, status, probeResults, want) => {
      expect(plan(computePodActions(pod, status, probeResults))).toEqual(want);
    });

    it('explains kills in the words of the Killing event', () => {
      const actions = computePodActions(
        makePod(),
        podStatus([ready], [liveApp]),
        probes('liveness', 'app-live'),
      );
      expect(actions.containersToKill).toEqual([
        {
          containerId: 'app-live',
          name: 'app',
          reason: 'LivenessProbe',
          message: 'Container app failed liveness probe, will be restarted',
        },
      ]);
      expect(actions.sandboxId).toBe(ready.id);
    });

    it('judges a container by its newest instance only', () => {
      const status = podStatus(
        [ready],
        [
          runtimeContainer('app', 'exited', { exitCode: 1, created: 1 }),
          runtimeContainer('app', 'running', { created: 20, restartCount: 1 }),
        ],
      );
      expect(plan(computePodActions(makePod(), status))).toEqual(nothing);
      expect(nextRestartCount(status, 'app')).toBe(2);
      expect(nextRestartCount(status, 'other')).toBe(0);
    });
  });
});

describe('containerHash', () => {
  it('changes with the image and ignores fields that cannot change in a live pod', () => {
    const base = makeContainer('app');
    expect(containerHash(base)).toBe(containerHash({ ...base, env: [{ name: 'A', value: '1' }] }));
    expect(containerHash(base)).not.toBe(containerHash({ ...base, image: 'busybox:1.36' }));
  });
});
