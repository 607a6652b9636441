import type { KubeObject } from '../apiserver/api-object.js';
import { FakeClock } from '../machinery/clock.js';
import { IndexedStore } from '../machinery/indexed-store.js';
import {
  conditionsForSilentNode,
  desiredTaints,
  evictionTime,
  heartbeatSignature,
  NODE_NOT_READY,
  NodeLifecycleController,
  observeProbe,
  rfc3339,
  TAINT_MANAGER_EVICTION,
  tolerates,
  zoneState,
} from './node-lifecycle-controller.js';
import type {
  Lease,
  Node,
  NodeCondition,
  Pod,
  Taint,
  Toleration,
  ZoneState,
} from './node-lifecycle-controller.js';

const T0 = Date.UTC(2024, 0, 1);
const NOW = rfc3339(T0);
const UNREACHABLE_NE: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const UNREACHABLE_NS: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };
const NOT_READY_NE: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };

function node(
  ready: string | undefined,
  taints: Taint[] = [],
  extra: Partial<NonNullable<Node['spec']>> = {},
): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: '2023-12-31T00:00:00Z' },
    spec: { taints, ...extra },
    status: {
      conditions: ready
        ? [
            {
              type: 'Ready',
              status: ready,
              reason: 'KubeletReady',
              lastHeartbeatTime: 'hb',
              lastTransitionTime: 'tt',
            },
          ]
        : [],
    },
  };
}

describe('heartbeats', () => {
  it('a first sighting or a new renewal counts as heard now; the same one does not', () => {
    const first = observeProbe(undefined, 'r1|hb1', 1000);
    expect(first).toEqual({ probeAt: 1000, signature: 'r1|hb1' });
    expect(observeProbe(first, 'r1|hb1', 5000)).toBe(first);
    expect(observeProbe(first, 'r2|hb1', 5000)).toEqual({ probeAt: 5000, signature: 'r2|hb1' });
  });

  it('both the lease renewal and the status heartbeat identify a heartbeat', () => {
    const lease: Lease = { metadata: { name: 'n1' }, spec: { renewTime: '2024-01-01T00:00:00.123456Z' } };
    expect(heartbeatSignature(node('True'), lease)).toBe('2024-01-01T00:00:00.123456Z|hb');
    expect(heartbeatSignature(node(undefined), undefined)).toBe('|');
  });
});

describe('conditionsForSilentNode', () => {
  it('turns kubelet conditions Unknown, adds missing ones, and leaves NetworkUnavailable alone', () => {
    const n = node('True');
    n.status!.conditions!.push(
      { type: 'NetworkUnavailable', status: 'False' },
      { type: 'DiskPressure', status: 'Unknown' },
    );
    const got = Object.fromEntries(conditionsForSilentNode(n, NOW).map((c) => [c.type, c]));
    expect(got.Ready).toEqual({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: 'hb',
      lastTransitionTime: NOW,
    });
    expect(got.MemoryPressure).toEqual<NodeCondition>({
      type: 'MemoryPressure',
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      lastHeartbeatTime: '2023-12-31T00:00:00Z',
      lastTransitionTime: NOW,
    });
    expect(got.DiskPressure).toEqual({ type: 'DiskPressure', status: 'Unknown' }); // already Unknown: untouched
    expect(got.NetworkUnavailable).toEqual({ type: 'NetworkUnavailable', status: 'False' });
  });

  it('does not touch the node it was given', () => {
    const n = node('True');
    conditionsForSilentNode(n, NOW);
    expect(n.status!.conditions![0].status).toBe('True');
  });
});

describe('zoneState', () => {
  it.each<[string, (string | undefined)[], ZoneState]>([
    ['all ready', ['True', 'True'], 'Normal'],
    ['one of two silent', ['True', 'Unknown'], 'Normal'],
    ['every node unready', ['Unknown', 'False', undefined], 'FullDisruption'],
    ['three of five unready (60%)', ['True', 'True', 'Unknown', 'Unknown', 'False'], 'PartialDisruption'],
    ['two of three unready: too few to call it a disruption', ['True', 'Unknown', 'Unknown'], 'Normal'],
    ['no nodes', [], 'Normal'],
  ])('%s', (_name, statuses, want) => {
    expect(zoneState(statuses)).toBe(want);
  });
});

describe('desiredTaints', () => {
  it.each<{ name: string; node: Node; zone?: ZoneState; want: Taint[] }>([
    { name: 'a ready node has none', node: node('True'), want: [] },
    {
      name: 'a silent node is unreachable, NoExecute stamped with the time',
      node: node('Unknown'),
      want: [UNREACHABLE_NS, { ...UNREACHABLE_NE, timeAdded: NOW }],
    },
    {
      name: 'a not-ready node swaps unreachable for not-ready, keeping foreign taints',
      node: node('False', [
        { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
        UNREACHABLE_NE,
        UNREACHABLE_NS,
      ]),
      want: [
        { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
        { ...NOT_READY_NE, timeAdded: NOW },
      ],
    },
    {
      name: 'an existing NoExecute taint keeps its timeAdded',
      node: node('Unknown', [{ ...UNREACHABLE_NE, timeAdded: 'earlier' }, UNREACHABLE_NS]),
      want: [{ ...UNREACHABLE_NE, timeAdded: 'earlier' }, UNREACHABLE_NS],
    },
    {
      name: 'a node back to ready loses our taints',
      node: node('True', [UNREACHABLE_NE, UNREACHABLE_NS]),
      want: [],
    },
    {
      name: 'a cordoned node gets the unschedulable taint',
      node: node('True', [], { unschedulable: true }),
      want: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
    },
    {
      name: 'pressure conditions bring their NoSchedule taints',
      node: {
        ...node('True'),
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'MemoryPressure', status: 'True' },
          ],
        },
      },
      want: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }],
    },
    {
      name: 'in a full disruption nobody gets (or keeps) NoExecute taints',
      node: node('Unknown', [UNREACHABLE_NE]),
      zone: 'FullDisruption',
      want: [UNREACHABLE_NS],
    },
    {
      name: 'in a partial disruption no new NoExecute taint is added',
      node: node('Unknown'),
      zone: 'PartialDisruption',
      want: [UNREACHABLE_NS],
    },
    {
      name: 'in a partial disruption an existing NoExecute taint stays',
      node: node('Unknown', [UNREACHABLE_NE]),
      zone: 'PartialDisruption',
      want: [UNREACHABLE_NE, UNREACHABLE_NS],
    },
  ])('$name', ({ node: n, zone = 'Normal', want }) => {
    expect(desiredTaints(n, zone, NOW)).toEqual(want);
  });
});

describe('tolerations', () => {
  it.each<[string, Toleration, boolean]>([
    ['Exists on the key', { key: UNREACHABLE_NE.key, operator: 'Exists', effect: 'NoExecute' }, true],
    ['Exists without a key tolerates everything', { operator: 'Exists' }, true],
    ['another effect does not', { key: UNREACHABLE_NE.key, operator: 'Exists', effect: 'NoSchedule' }, false],
    ['no effect means every effect', { key: UNREACHABLE_NE.key, operator: 'Exists' }, true],
    ['Equal with the empty value', { key: UNREACHABLE_NE.key, operator: 'Equal', value: '' }, true],
    ['Equal with another value', { key: UNREACHABLE_NE.key, value: 'x' }, false],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['an empty key with Equal tolerates nothing', { operator: 'Equal' }, false],
  ])('%s', (_name, toleration, want) => {
    expect(tolerates(toleration, UNREACHABLE_NE)).toBe(want);
  });

  const since = 1_000_000;
  const taints = [{ taint: UNREACHABLE_NE, since }];
  it.each<{ name: string; tolerations: Toleration[]; cap?: number; want: number | null }>([
    { name: 'no toleration: evicted at once', tolerations: [], want: since },
    {
      name: 'the API server default: 300 s after the taint',
      tolerations: [
        { key: UNREACHABLE_NE.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      want: since + 300_000,
    },
    {
      name: 'the shortest of several tolerations wins',
      tolerations: [
        { key: UNREACHABLE_NE.key, operator: 'Exists', tolerationSeconds: 60 },
        { operator: 'Exists', tolerationSeconds: 600 },
      ],
      want: since + 60_000,
    },
    { name: 'tolerated forever: never', tolerations: [{ operator: 'Exists' }], want: null },
    {
      name: 'negative seconds mean at once',
      tolerations: [{ key: UNREACHABLE_NE.key, operator: 'Exists', tolerationSeconds: -5 }],
      want: since,
    },
    {
      name: 'the cap shortens finite tolerations',
      tolerations: [{ key: UNREACHABLE_NE.key, operator: 'Exists', tolerationSeconds: 300 }],
      cap: 2_000,
      want: since + 2_000,
    },
    {
      name: 'the cap leaves unlimited tolerations alone',
      tolerations: [{ operator: 'Exists' }],
      cap: 2_000,
      want: null,
    },
  ])('evictionTime: $name', ({ tolerations, cap, want }) => {
    expect(evictionTime(tolerations, taints, cap)).toBe(want);
  });

  it('evictionTime: a second taint that is not tolerated evicts at its start', () => {
    const both = [...taints, { taint: NOT_READY_NE, since: since + 5 }];
    const tolerations = [{ key: UNREACHABLE_NE.key, operator: 'Exists', tolerationSeconds: 300 }];
    expect(evictionTime(tolerations, both)).toBe(since + 5);
  });

  it('evictionTime: no NoExecute taints, no eviction', () => {
    expect(evictionTime([], [])).toBeNull();
  });
});

// --- the controller over time with a FakeClock --------------------------------------------------

function informer<T extends KubeObject>(objects: T[]) {
  const store = new IndexedStore<T>();
  for (const o of objects) store.upsert(structuredClone(o));
  return { store, addEventHandler: () => () => undefined, waitForSync: async () => true };
}

function pod(name: string, tolerations: Toleration[]): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    spec: { nodeName: 'n1', tolerations },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function fixture(options: { maxTolerationMs?: number } = {}) {
  const clock = new FakeClock(T0);
  const healthy: Node = { ...node('True'), metadata: { name: 'n2' } };
  const nodes = informer<Node>([
    { ...node('True'), metadata: { ...node('True').metadata, resourceVersion: '1' } },
    healthy,
  ]);
  const leases = informer<Lease>([
    { metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: 'r1' } },
  ]);
  const pods = informer<Pod>([
    pod('intolerant', []),
    pod('patient', [
      { key: UNREACHABLE_NE.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]),
    pod('forever', [{ operator: 'Exists' }]),
  ]);
  const actions: string[] = [];
  const events: string[] = [];
  let rv = 1;
  const store = (obj: KubeObject) => {
    const stored = {
      ...structuredClone(obj),
      metadata: { ...obj.metadata, resourceVersion: String(++rv) },
    } as Node;
    nodes.store.upsert(stored);
    return stored as never;
  };
  const controller = new NodeLifecycleController({
    client: {
      updateStatus: async (_v, kind, _ns, obj) => {
        actions.push(
          `status ${kind} ${(obj as Node).status!.conditions!.find((c) => c.type === 'Ready')!.status}`,
        );
        return store(obj);
      },
      update: async (_v, kind, _ns, obj) => {
        actions.push(
          `update ${kind} taints=${((obj as Node).spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).join(',')}`,
        );
        return store(obj);
      },
      patch: async (_v, kind, _ns, name, patch) => {
        const condition = (patch as { status: { conditions: { type: string; status: string }[] } }).status
          .conditions[0];
        actions.push(`patch ${kind} ${name} ${condition.type}=${condition.status}`);
        // As the informer would deliver it: the condition merged by type.
        const cached = structuredClone(pods.store.get(`ns/${name}`)!) as Pod;
        const others = (cached.status!.conditions ?? []).filter((c) => c.type !== condition.type);
        cached.status!.conditions = [...others, condition];
        pods.store.upsert(cached);
        return {} as never;
      },
      delete: async (_v, kind, _ns, name) => {
        actions.push(`delete ${kind} ${name}`);
        pods.store.delete(`ns/${name}`);
        return {} as never;
      },
    },
    nodes,
    pods,
    leases,
    recorder: { event: (_o, _t, reason) => void events.push(reason) },
    gracePeriodMs: 40_000,
    maxTolerationMs: options.maxTolerationMs,
    clock,
    log: () => undefined,
  });
  const drain = async () => {
    while (controller.queue.len() > 0) {
      const key = (await controller.queue.get())!;
      await controller.sync(key);
      controller.queue.done(key);
    }
  };
  return { controller, clock, actions, events, nodes, leases, drain };
}

describe('NodeLifecycleController', () => {
  it('declares a silent node Unknown after the grace period, taints it and evicts by toleration', async () => {
    const f = fixture();
    await f.controller.sync('n1');
    expect(f.actions).toEqual([]);

    await f.clock.advance(39_999);
    expect(f.controller.queue.len()).toBe(0);
    await f.clock.advance(1);
    await f.drain();
    expect(f.actions).toEqual([
      'status Node Unknown',
      'update Node taints=node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute',
      'patch Pod intolerant Ready=False',
      'patch Pod patient Ready=False',
      'patch Pod forever Ready=False',
      'patch Pod intolerant DisruptionTarget=True',
      'delete Pod intolerant',
    ]);
    expect(f.events).toEqual([NODE_NOT_READY, TAINT_MANAGER_EVICTION]);

    f.actions.length = 0;
    await f.clock.advance(299_000);
    await f.drain();
    expect(f.actions.filter((a) => a.startsWith('delete'))).toEqual([]);
    await f.clock.advance(1_000);
    await f.drain();
    expect(f.actions.filter((a) => a.startsWith('delete'))).toEqual(['delete Pod patient']);
  });

  it('evicts after the configured cap instead of 300 s', async () => {
    const f = fixture({ maxTolerationMs: 5_000 });
    await f.controller.sync('n1');
    await f.clock.advance(40_000);
    await f.drain();
    f.actions.length = 0;
    await f.clock.advance(4_999);
    await f.drain();
    expect(f.actions).toEqual([]);
    await f.clock.advance(1);
    await f.drain();
    expect(f.actions).toEqual(['patch Pod patient DisruptionTarget=True', 'delete Pod patient']);
  });

  it('keeps a node whose lease keeps renewing, and lifts the taints once it is ready again', async () => {
    const f = fixture();
    await f.controller.sync('n1');
    for (let i = 1; i <= 5; i++) {
      await f.clock.advance(30_000);
      f.leases.store.upsert({
        metadata: { name: 'n1', namespace: 'kube-node-lease' },
        spec: { renewTime: `r${i + 1}` },
      });
      await f.controller.sync('n1');
    }
    await f.drain();
    expect(f.actions).toEqual([]);

    await f.clock.advance(40_000);
    await f.drain();
    expect(f.actions[0]).toBe('status Node Unknown');

    // The kubelet comes back: a renewed lease and Ready=True posted by it.
    f.actions.length = 0;
    const back = structuredClone(f.nodes.store.get('n1')!) as Node;
    back.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'hb2' }];
    f.nodes.store.upsert(back);
    await f.controller.sync('n1');
    expect(f.actions).toEqual(['update Node taints=']);
  });
});
