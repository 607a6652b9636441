import type { KubeObject } from '../api-object.js';
import { podPrinter } from './pod-printer.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

function pod(
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: ago(310), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: ago(300) } };
const readyCondition = (status: 'True' | 'False') => ({ type: 'Ready', status });

/** Cells keyed by column name, so each case reads like `kubectl get pods -o wide`. */
function row(obj: KubeObject): Record<string, unknown> {
  const cells = podPrinter.cells(obj, NOW);
  return Object.fromEntries(podPrinter.columns.map((c, i) => [c.name, cells[i]]));
}

describe('pod printer', () => {
  it('declares upstream columns, wide ones at priority 1', () => {
    expect(podPrinter.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(podPrinter.columns[0].format).toBe('name');
  });

  it.each<[string, KubeObject, Record<string, unknown>]>([
    [
      'a running, ready pod',
      pod(
        { nodeName: 'node-1' },
        {
          phase: 'Running',
          podIP: '10.244.1.7',
          podIPs: [{ ip: '10.244.1.7' }],
          conditions: [readyCondition('True')],
          containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, state: running }],
        },
      ),
      {
        Name: 'web-0',
        Ready: '1/1',
        Status: 'Running',
        Restarts: '0',
        Age: '5m10s',
        IP: '10.244.1.7',
        Node: 'node-1',
      },
    ],
    [
      'an unschedulable pending pod',
      pod(
        {},
        {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
        },
      ),
      {
        Ready: '0/1',
        Status: 'Pending',
        Restarts: '0',
        IP: '<none>',
        Node: '<none>',
        'Nominated Node': '<none>',
      },
    ],
    [
      'a pod whose container is being created',
      pod(
        { nodeName: 'node-1' },
        {
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ContainerCreating' } },
            },
          ],
        },
      ),
      { Ready: '0/1', Status: 'ContainerCreating' },
    ],
    [
      'a crash-looping pod, with the age of its last restart',
      pod(
        { nodeName: 'node-1' },
        {
          phase: 'Running',
          conditions: [readyCondition('False')],
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 5,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
            },
          ],
        },
      ),
      { Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '5 (5m ago)' },
    ],
    [
      'a pod between two init containers',
      pod(
        { initContainers: [{ name: 'migrate' }, { name: 'seed' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'migrate',
              ready: true,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed' } },
            },
            { name: 'seed', ready: false, restartCount: 0, state: running },
          ],
          containerStatuses: [
            { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
          ],
        },
      ),
      { Ready: '0/1', Status: 'Init:1/2', Restarts: '0' },
    ],
    [
      'a pod waiting on its first init container (PodInitializing is not a reason to show)',
      pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'migrate', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
          ],
        },
      ),
      { Status: 'Init:0/1' },
    ],
    [
      'an init container that cannot pull its image',
      pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'migrate', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
          ],
        },
      ),
      { Status: 'Init:ImagePullBackOff' },
    ],
    [
      'a failed init container, restarts counted from the init containers',
      pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'migrate',
              restartCount: 3,
              state: { terminated: { exitCode: 1, reason: 'Error' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(120) } },
            },
          ],
          containerStatuses: [
            { name: 'app', restartCount: 7, state: { waiting: { reason: 'PodInitializing' } } },
          ],
        },
      ),
      { Status: 'Init:Error', Restarts: '3 (2m ago)' },
    ],
    [
      'an init container killed by a signal without a reason',
      pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 137, signal: 9 } } }],
        },
      ),
      { Status: 'Init:Signal:9' },
    ],
    [
      'an init container that exited non-zero without a reason',
      pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }],
        },
      ),
      { Status: 'Init:ExitCode:2' },
    ],
    [
      'a running pod being deleted',
      pod(
        { nodeName: 'node-1' },
        {
          phase: 'Running',
          conditions: [readyCondition('True')],
          containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
        },
        { deletionTimestamp: ago(5), deletionGracePeriodSeconds: 30 },
      ),
      { Ready: '1/1', Status: 'Terminating' },
    ],
    [
      'a deleted pod on an unreachable node',
      pod({ nodeName: 'node-1' }, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(5) }),
      { Status: 'Unknown' },
    ],
    [
      'a completed pod, which stays Completed while being deleted',
      pod(
        { nodeName: 'node-1', restartPolicy: 'Never' },
        {
          phase: 'Succeeded',
          conditions: [readyCondition('False')],
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(60) } },
            },
          ],
        },
        { deletionTimestamp: ago(1) },
      ),
      { Ready: '0/1', Status: 'Completed', Restarts: '0' },
    ],
    [
      'a failed pod',
      pod(
        { nodeName: 'node-1' },
        {
          phase: 'Failed',
          containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 1, reason: 'Error' } } }],
        },
      ),
      { Status: 'Error' },
    ],
    [
      'a container that exited without a reason',
      pod(
        {},
        { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137 } } }] },
      ),
      { Status: 'ExitCode:137' },
    ],
    [
      'an evicted pod (the pod-level reason)',
      pod(
        { nodeName: 'node-1' },
        { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
      ),
      { Ready: '0/1', Status: 'Evicted' },
    ],
    [
      'a scheduling-gated pod',
      pod(
        { schedulingGates: [{ name: 'example.com/quota' }] },
        {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
        },
      ),
      { Status: 'SchedulingGated' },
    ],
    [
      'a pod with a sidecar: counted as a container, its restarts carried over once initialised',
      pod(
        {
          initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
          containers: [{ name: 'app', image: 'nginx' }],
        },
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }, readyCondition('True')],
          initContainerStatuses: [
            {
              name: 'proxy',
              ready: true,
              started: true,
              restartCount: 1,
              state: running,
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(600) } },
            },
          ],
          containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
        },
      ),
      { Ready: '2/2', Status: 'Running', Restarts: '1 (10m ago)' },
    ],
  ])('shows %s', (_, obj, expected) => {
    expect(row(obj)).toMatchObject(expected);
  });

  it.each([
    ['Running', 'True'],
    ['NotReady', 'False'],
  ] as const)(
    'reports %s when one container completed and another still runs (Ready=%s)',
    (expected, ready) => {
      const obj = pod(
        { containers: [{ name: 'app' }, { name: 'job' }] },
        {
          phase: 'Running',
          conditions: [readyCondition(ready)],
          containerStatuses: [
            { name: 'app', ready: true, restartCount: 0, state: running },
            {
              name: 'job',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed' } },
            },
          ],
        },
      );
      expect(row(obj)).toMatchObject({ Ready: '1/2', Status: expected });
    },
  );

  it('drops restarts of finished init containers once the pod is initialised', () => {
    const obj = pod(
      { initContainers: [{ name: 'migrate' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, readyCondition('True')],
        initContainerStatuses: [
          {
            name: 'migrate',
            restartCount: 2,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(30) } },
          },
        ],
        containerStatuses: [
          {
            name: 'app',
            ready: true,
            restartCount: 1,
            state: running,
            lastState: { terminated: { finishedAt: ago(240) } },
          },
        ],
      },
    );
    expect(row(obj)).toMatchObject({ Ready: '1/1', Status: 'Running', Restarts: '1 (4m ago)' });
  });

  it('takes the latest restart across containers for the "ago" suffix', () => {
    const obj = pod(
      { containers: [{ name: 'a' }, { name: 'b' }] },
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'a',
            ready: true,
            restartCount: 2,
            state: running,
            lastState: { terminated: { finishedAt: ago(3600) } },
          },
          {
            name: 'b',
            ready: true,
            restartCount: 1,
            state: running,
            lastState: { terminated: { finishedAt: ago(90) } },
          },
        ],
      },
    );
    expect(row(obj)).toMatchObject({ Ready: '2/2', Restarts: '3 (90s ago)' });
  });

  it('shows the wide columns: IP from podIPs, nominated node, readiness gates', () => {
    const obj = pod(
      { readinessGates: [{ conditionType: 'example.com/lb-ready' }, { conditionType: 'example.com/warm' }] },
      {
        phase: 'Pending',
        podIPs: [{ ip: 'fd00::7' }, { ip: '10.244.1.7' }],
        nominatedNodeName: 'node-2',
        conditions: [
          { type: 'example.com/lb-ready', status: 'True' },
          { type: 'example.com/warm', status: 'False' },
        ],
      },
    );
    expect(row(obj)).toMatchObject({
      IP: 'fd00::7',
      Node: '<none>',
      'Nominated Node': 'node-2',
      'Readiness Gates': '1/2',
    });
  });

  it('prints <unknown> for the age of an object without a creation timestamp', () => {
    expect(row(pod({}, {}, { creationTimestamp: undefined })).Age).toBe('<unknown>');
  });

  it.each([
    [
      'Succeeded',
      [
        {
          type: 'Completed',
          status: 'True',
          reason: 'Succeeded',
          message: 'The pod has completed successfully.',
        },
      ],
    ],
    ['Failed', [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]],
    ['Running', undefined],
  ])('marks rows of %s pods with the Completed row condition', (phase, expected) => {
    expect(podPrinter.conditions?.(pod({}, { phase }))).toEqual(expected);
  });
});
