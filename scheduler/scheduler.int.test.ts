/**
 * The running scheduler against the real API server, with Node objects created directly: placement by
 * strategy, taints, node affinity, anti-affinity with the failure reported on the pod, requeueing when
 * the cluster changes, leader election, and a scheduler stopped mid-run. Each test gets its own API
 * server, so nodes from one test never reach another.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import type { Affinity, Taint, Toleration } from './api-types.js';
import type { PodCondition } from './pod-scheduled-condition.js';
import { startScheduler } from './scheduler.js';
import type { RunningScheduler, SchedulerConfig } from './scheduler.js';

interface PodObject extends KubeObject {
  metadata: KubeObject['metadata'] & { name: string };
  spec: { nodeName?: string };
  status?: { conditions?: PodCondition[] };
}

interface EventObject extends KubeObject {
  reason: string;
  message: string;
  type: string;
  involvedObject: { name: string; uid?: string };
  reportingInstance?: string;
  source?: { component?: string; host?: string };
}

const NS = 'default';

let api: TestApiServer;
let kubeConfig: KubeConfig;
let client: ApiClient;
let running: { controller: AbortController; scheduler: RunningScheduler }[] = [];

beforeEach(async () => {
  api = await startTestApiServer();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  client = clientFor(kubeConfig);
  running = [];
});

afterEach(async () => {
  for (const { controller } of running) controller.abort();
  await Promise.all(running.map(({ scheduler }) => scheduler.done));
  await api.close();
});

async function schedulerFor(options: Partial<SchedulerConfig> = {}): Promise<{
  scheduler: RunningScheduler;
  stop: () => Promise<void>;
}> {
  const controller = new AbortController();
  const scheduler = await startScheduler({
    kubeConfig,
    signal: controller.signal,
    log: () => undefined,
    ...options,
  });
  running.push({ controller, scheduler });
  return {
    scheduler,
    stop: async () => {
      controller.abort();
      await scheduler.done;
    },
  };
}

interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
}

async function createNode(name: string, spec: NodeSpec = {}): Promise<void> {
  const allocatable = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: spec.pods ?? '110' };
  const status = {
    capacity: allocatable,
    allocatable,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
  };
  const created = await client.create('v1', 'Node', undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...spec.labels } },
    spec: spec.taints ? { taints: spec.taints } : {},
    status,
  });
  // A create may drop status, as for other kinds with a status subresource: set it the way a kubelet does.
  if (!(created as { status?: { allocatable?: unknown } }).status?.allocatable) {
    await client.updateStatus('v1', 'Node', undefined, { ...created, status } as KubeObject);
  }
}

interface PodSpec {
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
}

async function createPod(name: string, spec: PodSpec = {}): Promise<PodObject> {
  return client.create<PodObject>('v1', 'Pod', NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: spec.labels },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          resources: { requests: { cpu: spec.cpu ?? '100m', memory: spec.memory ?? '64Mi' } },
        },
      ],
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec.affinity ? { affinity: spec.affinity } : {}),
      ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
    },
  });
}

async function pods(): Promise<PodObject[]> {
  return (await client.list<PodObject>('v1', 'Pod', { namespace: NS })).items;
}

async function getPod(name: string): Promise<PodObject> {
  return client.get<PodObject>('v1', 'Pod', NS, name);
}

/** Node name per pod name, once `names` are all bound. */
async function waitForBound(names: string[], timeoutMs = 20_000): Promise<Record<string, string>> {
  return waitFor(
    async () => {
      const placed: Record<string, string> = {};
      for (const pod of await pods()) {
        if (pod.spec.nodeName) placed[pod.metadata.name] = pod.spec.nodeName;
      }
      return names.every((n) => placed[n]) ? placed : undefined;
    },
    { timeoutMs, what: `pods ${names.join(', ')} bound` },
  );
}

function podsPerNode(placed: Record<string, string>): number[] {
  const counts = new Map<string, number>();
  for (const node of Object.values(placed)) counts.set(node, (counts.get(node) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a);
}

async function events(): Promise<EventObject[]> {
  return (await client.list<EventObject>('v1', 'Event', { namespace: NS })).items;
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** Resolves after the scheduler had time for several cycles, for asserting that nothing happens. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 700));

describe('scheduler with the API server', () => {
  it.each([
    ['spread', [2, 2, 2]],
    ['binpack', [4, 2]],
  ] as const)('places six 1-CPU pods on three 4-CPU nodes as %s does', async (strategy, expected) => {
    await Promise.all(['n1', 'n2', 'n3'].map((n) => createNode(n)));
    await schedulerFor({ strategy });
    const podNames = names('web', 6);
    await Promise.all(podNames.map((n) => createPod(n, { cpu: '1', memory: '1Gi' })));
    const placed = await waitForBound(podNames);
    expect(podsPerNode(placed)).toEqual(expected);
  });

  it('fills the nodes to capacity and leaves the rest pending with Insufficient cpu', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((n) => createNode(n, { cpu: '2' })));
    await schedulerFor({ strategy: 'binpack' });
    const fitting = names('fit', 6);
    await Promise.all(fitting.map((n) => createPod(n, { cpu: '1' })));
    const placed = await waitForBound(fitting);
    expect(podsPerNode(placed)).toEqual([2, 2, 2]);

    await createPod('extra', { cpu: '1' });
    const pending = await waitFor(
      async () => {
        const pod = await getPod('extra');
        return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      { what: 'PodScheduled=False on extra' },
    );
    expect(pending.message).toBe(
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
    expect((await getPod('extra')).spec.nodeName).toBeUndefined();
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    await createNode('gpu-1', { labels: { pool: 'gpu' }, taints: [taint] });
    await createNode('gpu-2', { labels: { pool: 'gpu' }, taints: [taint] });
    await createNode('plain');
    await schedulerFor();
    const plain = names('plain', 4);
    await Promise.all(plain.map((n) => createPod(n)));
    await createPod('tolerating', {
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    await createPod('intolerant', { nodeSelector: { pool: 'gpu' } });

    const placed = await waitForBound([...plain, 'tolerating']);
    for (const n of plain) expect(placed[n]).toBe('plain');
    expect(placed.tolerating).toMatch(/^gpu-/);

    const condition = await waitFor(
      async () =>
        (await getPod('intolerant')).status?.conditions?.find(
          (c) => c.type === 'PodScheduled' && c.status === 'False',
        ),
      { what: 'intolerant reported unschedulable' },
    );
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('honours required and preferred node affinity', async () => {
    await createNode('a', { labels: { 'topology.kubernetes.io/zone': 'zone-a', disk: 'hdd' } });
    await createNode('b', { labels: { 'topology.kubernetes.io/zone': 'zone-b', disk: 'ssd' } });
    await createNode('c', { labels: { 'topology.kubernetes.io/zone': 'zone-c', disk: 'ssd' } });
    await schedulerFor();
    const required = names('zone-b', 3);
    await Promise.all(
      required.map((n) =>
        createPod(n, {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-b'] },
                    ],
                  },
                ],
              },
            },
          },
        }),
      ),
    );
    const preferred = names('prefers-c', 3);
    await Promise.all(
      preferred.map((n) =>
        createPod(n, {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }],
              },
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  preference: {
                    matchExpressions: [
                      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-c'] },
                    ],
                  },
                },
              ],
            },
          },
        }),
      ),
    );
    const placed = await waitForBound([...required, ...preferred]);
    for (const n of required) expect(placed[n]).toBe('b');
    for (const n of preferred) expect(placed[n]).toBe('c');
  });

  it('spreads anti-affine replicas one per node and schedules the fourth once a node is added', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((n) => createNode(n)));
    await schedulerFor();
    const antiAffinity: Affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
    const replicas = names('db', 4);
    for (const n of replicas) await createPod(n, { labels: { app: 'db' }, affinity: antiAffinity });

    const message =
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    const unscheduled = await waitFor(
      async () => {
        const all = await pods();
        const bound = all.filter((p) => p.spec.nodeName);
        const waiting = all.filter((p) =>
          p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'),
        );
        return bound.length === 3 && waiting.length === 1 ? waiting[0] : undefined;
      },
      { what: 'three replicas bound and one reported unschedulable' },
    );
    const bound = (await pods()).filter((p) => p.spec.nodeName);
    expect(new Set(bound.map((p) => p.spec.nodeName)).size).toBe(3);
    expect(unscheduled.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    const failed = await waitFor(
      async () =>
        (await events()).find(
          (e) => e.reason === 'FailedScheduling' && e.involvedObject.name === unscheduled.metadata.name,
        ),
      { what: 'the FailedScheduling event' },
    );
    expect(failed).toMatchObject({ type: 'Warning', message, source: { component: 'default-scheduler' } });

    // Nothing changes while the cluster does not.
    await settle();
    expect((await getPod(unscheduled.metadata.name)).spec.nodeName).toBeUndefined();

    await createNode('n4');
    const placed = await waitForBound(replicas);
    expect(placed[unscheduled.metadata.name]).toBe('n4');
    const scheduled = await waitFor(
      async () =>
        (await events()).find(
          (e) => e.reason === 'Scheduled' && e.involvedObject.name === unscheduled.metadata.name,
        ),
      { what: 'the Scheduled event' },
    );
    expect(scheduled.message).toBe(`Successfully assigned default/${unscheduled.metadata.name} to n4`);
    const condition = (await getPod(unscheduled.metadata.name)).status?.conditions?.find(
      (c) => c.type === 'PodScheduled',
    );
    expect(condition?.status).toBe('True');
  });

  it('schedules a pending pod as soon as a deleted pod frees the capacity', async () => {
    await createNode('small', { cpu: '2' });
    await schedulerFor();
    await createPod('first', { cpu: '1500m' });
    await waitForBound(['first']);
    await createPod('second', { cpu: '1500m' });
    await waitFor(
      async () =>
        (await getPod('second')).status?.conditions?.some(
          (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
        ),
      { what: 'second reported unschedulable' },
    );

    const deletedAt = Date.now();
    await client.delete('v1', 'Pod', NS, 'first', { gracePeriodSeconds: 0 });
    await waitFor(async () => (await pods()).every((p) => p.metadata.name !== 'first'), {
      what: 'first deleted',
    });
    const placed = await waitForBound(['second'], 5_000);
    expect(placed.second).toBe('small');
    // Woken by the deletion, not by the periodic retry of unschedulable pods (60 s).
    expect(Date.now() - deletedAt).toBeLessThan(5_000);
  });

  it('with leader election only the leader binds, and the other takes over when it stops', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((n) => createNode(n)));
    const election = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 200 };
    const a = await schedulerFor({ leaderElect: true, identity: 'sched-a', leaderElection: election });
    const b = await schedulerFor({ leaderElect: true, identity: 'sched-b', leaderElection: election });
    const first = names('wave1', 30);
    await Promise.all(first.map((n) => createPod(n)));
    await waitForBound(first);

    const [leader, follower] = a.scheduler.isLeader() ? [a, b] : [b, a];
    expect(leader.scheduler.isLeader()).toBe(true);
    expect(follower.scheduler.isLeader()).toBe(false);
    expect(leader.scheduler.stats.bindRequests).toBe(30);
    expect(leader.scheduler.stats.bindFailures).toBe(0);
    expect(follower.scheduler.stats.bindRequests).toBe(0);
    const lease = await client.get<KubeObject & { spec: { holderIdentity: string } }>(
      'coordination.k8s.io/v1',
      'Lease',
      'kube-system',
      'kube-scheduler',
    );
    expect(lease.spec.holderIdentity).toBe(leader.scheduler.identity);

    await leader.stop();
    const second = names('wave2', 10);
    await Promise.all(second.map((n) => createPod(n)));
    await waitForBound([...first, ...second]);
    expect(follower.scheduler.stats.bindRequests).toBe(10);
    expect(leader.scheduler.stats.bindRequests + follower.scheduler.stats.bindRequests).toBe(40);

    const scheduledEvents = await waitFor(
      async () => {
        const found = (await events()).filter((e) => e.reason === 'Scheduled');
        return found.length === 40 ? found : undefined;
      },
      { what: '40 Scheduled events' },
    );
    const byInstance = (id: string) => scheduledEvents.filter((e) => e.reportingInstance === id).length;
    expect(byInstance(leader.scheduler.identity)).toBe(30);
    expect(byInstance(follower.scheduler.identity)).toBe(10);
    expect(new Set(scheduledEvents.map((e) => e.involvedObject.uid)).size).toBe(40);
  });

  it('loses no pod when a scheduler is stopped mid-run and another takes over', async () => {
    await Promise.all(names('n', 5).map((n) => createNode(n, { pods: '200' })));
    const all = names('job', 300);
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((n) => createPod(n, { cpu: '10m' })));
    }
    const first = await schedulerFor({ identity: 'first', parallelBinds: 8 });
    await waitFor(() => first.scheduler.stats.bound >= 60, { what: 'the first scheduler to bind 60 pods' });
    await first.stop();
    const boundByFirst = first.scheduler.stats.bound;
    expect(boundByFirst).toBeLessThan(all.length);

    const second = await schedulerFor({ identity: 'second' });
    const placed = await waitForBound(all, 30_000);
    expect(Object.keys(placed)).toHaveLength(all.length);
    expect(boundByFirst + second.scheduler.stats.bound).toBe(all.length);
    expect(second.scheduler.stats.bindFailures).toBe(0);
    const notScheduled = (await pods()).filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status !== 'True'),
    );
    expect(notScheduled).toEqual([]);
  });
});
