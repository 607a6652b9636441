import type { Node, Pod } from './api-types.js';
import { CycleState, NodeInfo, Status, type FilterPlugin, type ScorePlugin } from './framework.js';
import { PodInfo } from './pod-info.js';
import { createProfile, defaultProfile, type Profile } from './profile.js';
import { SchedulerCache } from './scheduler-cache.js';
import {
  SchedulingError,
  failureMessage,
  findFeasibleNodes,
  numFeasibleNodesToFind,
  prioritizeNodes,
  schedulePod,
  selectHost,
} from './schedule-one.js';
import { NodeInfoSnapshot } from './snapshot.js';
import { FakeClock, makeNode, makePod, snapshotOf } from './testing/builders.js';

describe('numFeasibleNodesToFind', () => {
  it.each([
    [50, 0, 50],
    [99, 0, 99],
    [100, 0, 100],
    [1_000, 0, 420],
    [5_000, 0, 500],
    [6_000, 0, 300],
    [20_000, 0, 1_000],
    [1_000, 30, 300],
    [1_000, 1, 100],
  ])(
    'with %p nodes and percentageOfNodesToScore %p, stops after %p feasible nodes',
    (nodes, percentage, expected) => {
      expect(numFeasibleNodesToFind(nodes, percentage)).toBe(expected);
    },
  );
});

describe('failureMessage', () => {
  it.each([
    {
      name: 'counts nodes per reason and sorts the entries as strings, as upstream',
      reasons: {
        n1: ['Insufficient cpu'],
        n2: ['Insufficient cpu'],
        n3: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
      },
      options: {},
      want: '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.',
    },
    {
      name: 'counts every reason of a node that had several',
      reasons: { n1: ['Insufficient cpu', 'Insufficient memory'], n2: ['Insufficient memory'] },
      options: {},
      want: '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.',
    },
    {
      name: 'sorts "10 …" before "2 …" because the order is by string',
      reasons: Object.fromEntries([
        ...Array.from({ length: 10 }, (_, i) => [`a${i}`, ['Too many pods']]),
        ['b0', ['Insufficient cpu']],
        ['b1', ['Insufficient cpu']],
      ]),
      options: {},
      want: '0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu.',
    },
    {
      name: 'counts nodes that a PreFilter ruled out',
      reasons: { n1: ['Insufficient cpu'] },
      options: { absentNodes: { count: 2, reasons: ["node(s) didn't satisfy plugin(s) [NodeAffinity]"] } },
      want: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    },
    {
      name: 'shows only the PreFilter message when PreFilter rejected the pod',
      reasons: {},
      options: { preFilterMessage: 'pod affinity terms conflict' },
      want: '0/3 nodes are available: pod affinity terms conflict.',
    },
    {
      name: 'appends the PostFilter message',
      reasons: { n1: ['Insufficient cpu'] },
      options: {
        postFilterMessage:
          'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      },
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    },
  ])('$name', ({ reasons, options, want }) => {
    const byNode = new Map(Object.entries(reasons as Record<string, string[]>));
    const total = byNode.size + (('absentNodes' in options && options.absentNodes?.count) || 0);
    expect(failureMessage(total || 3, byNode, options)).toBe(want);
  });
});

function scheduleAll(
  profile: Profile,
  nodes: Node[],
  pods: Pod[],
  random: () => number = Math.random,
): Map<string, string> {
  const cache = new SchedulerCache({ clock: new FakeClock() });
  for (const node of nodes) cache.addNode(node);
  const snapshot = new NodeInfoSnapshot();
  const placement = new Map<string, string>();
  let startIndex = 0;
  for (const pod of pods) {
    cache.updateSnapshot(snapshot);
    const result = schedulePod(profile, pod, snapshot, { startIndex, random });
    startIndex = result.nextStartIndex;
    if (result.kind === 'Scheduled') {
      cache.assumePod(pod, result.nodeName);
      placement.set(pod.metadata?.name ?? '', result.nodeName);
    } else {
      placement.set(pod.metadata?.name ?? '', result.message);
    }
  }
  return placement;
}

function podsPerNode(placement: Map<string, string>, nodes: Node[]): number[] {
  return nodes.map((n) => [...placement.values()].filter((v) => v === n.metadata?.name).length);
}

describe('schedulePod', () => {
  const threeNodes = () => [makeNode({ name: 'n1' }), makeNode({ name: 'n2' }), makeNode({ name: 'n3' })];

  it('explains why no node fits, as upstream words it, with the preemption note', () => {
    const nodes = [
      makeNode({
        name: 'cp',
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      }),
      makeNode({ name: 'w1', allocatable: { cpu: '1', memory: '8Gi', pods: '110' } }),
      makeNode({ name: 'w2', allocatable: { cpu: '1', memory: '8Gi', pods: '110' } }),
    ];
    const result = schedulePod(defaultProfile(), makePod({ requests: { cpu: '2' } }), snapshotOf(nodes));
    expect(result).toMatchObject({
      kind: 'Unschedulable',
      numAllNodes: 3,
      message:
        '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    });
  });

  it('says preemption finds no victims where only the current load is in the way', () => {
    const nodes = [makeNode({ name: 'n1', allocatable: { cpu: '1', memory: '1Gi', pods: '10' } })];
    const placed = [makePod({ nodeName: 'n1', requests: { cpu: '1' } })];
    const result = schedulePod(
      defaultProfile(),
      makePod({ requests: { cpu: '500m' } }),
      snapshotOf(nodes, placed),
    );
    expect(result.kind === 'Unschedulable' && result.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    expect(result.kind === 'Unschedulable' && [...result.diagnosis.unschedulablePlugins]).toEqual([
      'NodeResourcesFit',
    ]);
  });

  it('says a pod with preemptionPolicy Never is not eligible to preempt', () => {
    const nodes = [makeNode({ name: 'n1', allocatable: { cpu: '1', memory: '1Gi', pods: '10' } })];
    const result = schedulePod(
      defaultProfile(),
      makePod({ requests: { cpu: '2' }, preemptionPolicy: 'Never' }),
      snapshotOf(nodes),
    );
    expect(result.kind === 'Unschedulable' && result.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it('leaves the preemption note out when the profile asks so', () => {
    const nodes = [makeNode({ name: 'n1', allocatable: { cpu: '1', memory: '1Gi', pods: '10' } })];
    const result = schedulePod(
      defaultProfile({ preemptionMessage: false }),
      makePod({ requests: { cpu: '2' } }),
      snapshotOf(nodes),
    );
    expect(result.kind === 'Unschedulable' && result.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu.',
    );
  });

  it('reports that there are no nodes at all', () => {
    expect(schedulePod(defaultProfile(), makePod(), snapshotOf([]))).toMatchObject({
      kind: 'Unschedulable',
      message: 'no nodes available to schedule pods',
    });
  });

  it('reports a PreFilter rejection once, not per node', () => {
    const pod = makePod({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: 'metadata.name', operator: 'In', values: ['n1'] },
                  { key: 'metadata.name', operator: 'In', values: ['n2'] },
                ],
              },
            ],
          },
        },
      },
    });
    const result = schedulePod(defaultProfile(), pod, snapshotOf(threeNodes()));
    expect(result.kind === 'Unschedulable' && result.message).toBe(
      '0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  it('filters only the node a DaemonSet-style pod is pinned to, and counts the others as ruled out', () => {
    const nodes = [
      makeNode({ name: 'n1' }),
      makeNode({ name: 'n2', allocatable: { cpu: '100m', memory: '1Gi', pods: '10' } }),
      makeNode({ name: 'n3' }),
    ];
    const pinned = (name: string) =>
      makePod({
        requests: { cpu: '1' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] },
              ],
            },
          },
        },
      });
    expect(schedulePod(defaultProfile(), pinned('n3'), snapshotOf(nodes))).toMatchObject({
      kind: 'Scheduled',
      nodeName: 'n3',
      evaluatedNodes: 1,
    });
    const result = schedulePod(defaultProfile(), pinned('n2'), snapshotOf(nodes));
    expect(result.kind === 'Unschedulable' && result.message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  it('spreads equal pods evenly with the spread strategy', () => {
    const nodes = threeNodes();
    const pods = Array.from({ length: 6 }, (_, i) =>
      makePod({ name: `p${i}`, requests: { cpu: '1', memory: '1Gi' } }),
    );
    expect(podsPerNode(scheduleAll(defaultProfile({ strategy: 'spread' }), nodes, pods), nodes)).toEqual([
      2, 2, 2,
    ]);
  });

  it('fills one node before the next with the binpack strategy', () => {
    const nodes = threeNodes();
    const pods = Array.from({ length: 6 }, (_, i) =>
      makePod({ name: `p${i}`, requests: { cpu: '1', memory: '1Gi' } }),
    );
    const counts = podsPerNode(scheduleAll(defaultProfile({ strategy: 'binpack' }), nodes, pods), nodes);
    expect([...counts].sort().reverse()).toEqual([4, 2, 0]);
  });

  it('spreads replicas of one owner even when they request nothing', () => {
    const nodes = threeNodes();
    const pods = Array.from({ length: 3 }, (_, i) => makePod({ name: `p${i}`, ownerUid: 'rs-1' }));
    expect(podsPerNode(scheduleAll(defaultProfile(), nodes, pods), nodes)).toEqual([1, 1, 1]);
  });

  it('places three anti-affine replicas on three nodes and leaves the fourth pending', () => {
    const nodes = threeNodes();
    const replica = (i: number) =>
      makePod({
        name: `web-${i}`,
        labels: { app: 'web' },
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      });
    const placement = scheduleAll(defaultProfile(), nodes, [0, 1, 2, 3].map(replica));
    expect(podsPerNode(placement, nodes)).toEqual([1, 1, 1]);
    expect(placement.get('web-3')).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. " +
        'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });

  it('lets tolerations, node selectors and taints steer a pod to the one node that suits it', () => {
    const nodes = [
      makeNode({
        name: 'gpu',
        labels: { accel: 'gpu' },
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      }),
      makeNode({ name: 'plain' }),
    ];
    const pod = makePod({
      nodeSelector: { accel: 'gpu' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    expect(schedulePod(defaultProfile(), pod, snapshotOf(nodes))).toMatchObject({
      kind: 'Scheduled',
      nodeName: 'gpu',
    });
  });

  it('throws a SchedulingError when a plugin fails rather than rejects', () => {
    const broken: FilterPlugin = { name: 'Broken', filter: () => Status.error('boom') };
    const profile = createProfile([{ plugin: broken }]);
    expect(() => schedulePod(profile, makePod(), snapshotOf(threeNodes()))).toThrow(
      new SchedulingError('running "Broken" filter plugin: boom'),
    );
  });
});

describe('findFeasibleNodes', () => {
  const manyNodes = (n: number) => Array.from({ length: n }, (_, i) => makeNode({ name: `n${i}` }));

  it('stops after enough feasible nodes and starts the next cycle where this one stopped', () => {
    const snapshot = snapshotOf(manyNodes(1_000));
    const profile = defaultProfile();
    const pod = PodInfo.of(makePod());
    const first = findFeasibleNodes(profile, new CycleState(), pod, snapshot, 0);
    expect(first.feasible.length).toBe(420);
    expect(first.feasible[0].name).toBe('n0');
    expect(first.nextStartIndex).toBe(420);
    const second = findFeasibleNodes(profile, new CycleState(), pod, snapshot, first.nextStartIndex);
    expect(second.feasible[0].name).toBe('n420');
    const third = findFeasibleNodes(profile, new CycleState(), pod, snapshot, second.nextStartIndex);
    expect(third.feasible[0].name).toBe('n840');
    expect(third.feasible.at(-1)?.name).toBe('n259');
  });

  it('records every rejected node it passed on the way', () => {
    // Every even node is cordoned; 300 nodes call for 144 feasible ones, the last being n287.
    const nodes = manyNodes(300).map((n, i) => (i % 2 === 0 ? { ...n, spec: { unschedulable: true } } : n));
    const result = findFeasibleNodes(
      defaultProfile(),
      new CycleState(),
      PodInfo.of(makePod()),
      snapshotOf(nodes),
      0,
    );
    expect(result.feasible.length).toBe(144);
    expect(result.feasible.at(-1)?.name).toBe('n287');
    expect(result.diagnosis.nodeToStatus.size).toBe(144);
    expect(result.nextStartIndex).toBe(288);
    expect(result.diagnosis.nodeToStatus.get('n0')?.plugin).toBe('NodeUnschedulable');
  });

  it('runs every filter and merges the reasons when the profile asks for all of them', () => {
    const nodes = [
      makeNode({
        name: 'n1',
        unschedulable: true,
        taints: [{ key: 'k', effect: 'NoSchedule' }],
        allocatable: { cpu: '1', memory: '1Gi', pods: '10' },
      }),
    ];
    const pod = PodInfo.of(makePod({ requests: { cpu: '500m' } }));
    const all = findFeasibleNodes(
      defaultProfile({ runAllFilters: true }),
      new CycleState(),
      pod,
      snapshotOf(nodes),
    );
    expect(all.diagnosis.nodeToStatus.get('n1')?.reasons).toEqual([
      'node(s) were unschedulable',
      'node(s) had untolerated taint {k: }',
    ]);
    const first = findFeasibleNodes(defaultProfile(), new CycleState(), pod, snapshotOf(nodes));
    expect(first.diagnosis.nodeToStatus.get('n1')?.reasons).toEqual(['node(s) were unschedulable']);
  });
});

describe('prioritizeNodes and selectHost', () => {
  const fixed = (name: string, byNode: Record<string, number>): ScorePlugin => ({
    name,
    score: (_s, _p, node) => byNode[node.name],
  });

  it('adds each plugin’s score times its weight', () => {
    const nodes = [new NodeInfo(makeNode({ name: 'a' })), new NodeInfo(makeNode({ name: 'b' }))];
    const profile = createProfile([
      { plugin: fixed('One', { a: 10, b: 50 }), weight: 1 },
      { plugin: fixed('Three', { a: 20, b: 0 }), weight: 3 },
    ]);
    const scores = prioritizeNodes(
      profile,
      new CycleState(),
      PodInfo.of(makePod()),
      nodes,
      NodeInfoSnapshot.of(nodes),
    );
    expect(scores).toEqual([
      { name: 'a', totalScore: 70 },
      { name: 'b', totalScore: 50 },
    ]);
  });

  it('refuses scores outside 0..100 after normalizing', () => {
    const nodes = [new NodeInfo(makeNode({ name: 'a' }))];
    const profile = createProfile([{ plugin: fixed('Wild', { a: 101 }) }]);
    expect(() =>
      prioritizeNodes(profile, new CycleState(), PodInfo.of(makePod()), nodes, NodeInfoSnapshot.of(nodes)),
    ).toThrow(
      'plugin "Wild" returns an invalid score 101, it should in the range of [0, 100] after normalizing',
    );
  });

  it('picks the highest total', () => {
    expect(
      selectHost([
        { name: 'a', totalScore: 1 },
        { name: 'b', totalScore: 3 },
        { name: 'c', totalScore: 2 },
      ]),
    ).toBe('b');
  });

  it.each([
    [0.99, 'a'],
    [0.6, 'a'],
    [0.4, 'c'],
  ])('breaks ties with the injected random number (%p picks %p)', (r, expected) => {
    const scores = [
      { name: 'a', totalScore: 5 },
      { name: 'b', totalScore: 1 },
      { name: 'c', totalScore: 5 },
    ];
    expect(selectHost(scores, () => r)).toBe(expected);
  });

  it.each([0.99, 0.6, 0.4, 0.1])(
    'schedulePod picks what selectHost picks from prioritizeNodes with the same random (%p)',
    (r) => {
      const nodes = ['a', 'b', 'c', 'd'].map((name) => makeNode({ name }));
      const pod = makePod({ requests: { cpu: '100m' } });
      const snapshot = snapshotOf(nodes);
      const feasible = snapshot.nodeInfos;
      const expected = selectHost(
        prioritizeNodes(defaultProfile(), new CycleState(), PodInfo.of(pod), feasible, snapshot),
        () => r,
      );
      const result = schedulePod(defaultProfile(), pod, snapshot, { random: () => r });
      expect(result.kind === 'Scheduled' && result.nodeName).toBe(expected);
    },
  );

  it('picks each of several tied nodes about equally often', () => {
    const scores = ['a', 'b', 'c', 'd'].map((name) => ({ name, totalScore: 7 }));
    const counts = new Map<string, number>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 4_000; i++) {
      const host = selectHost(scores, random);
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    for (const name of ['a', 'b', 'c', 'd']) expect(counts.get(name)).toBeGreaterThan(850);
  });
});
