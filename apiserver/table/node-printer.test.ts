import type { KubeObject } from '../api-object.js';
import { nodePrinter } from './node-printer.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const DAY = 24 * 3600 * 1000;

function node(opts: {
  labels?: Record<string, string>;
  ready?: 'True' | 'False' | 'Unknown';
  unschedulable?: boolean;
  addresses?: { type: string; address: string }[];
  nodeInfo?: Record<string, string>;
}): KubeObject {
  const conditions = [
    { type: 'MemoryPressure', status: 'False' },
    ...(opts.ready ? [{ type: 'Ready', status: opts.ready, reason: 'KubeletReady' }] : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'kind-worker',
      creationTimestamp: new Date(NOW.getTime() - 3 * DAY - 4 * 3600 * 1000).toISOString(),
      labels: { 'kubernetes.io/hostname': 'kind-worker', ...opts.labels },
    },
    spec: opts.unschedulable === undefined ? {} : { unschedulable: opts.unschedulable },
    status: {
      conditions,
      addresses: opts.addresses ?? [
        { type: 'InternalIP', address: '172.18.0.3' },
        { type: 'Hostname', address: 'kind-worker' },
      ],
      nodeInfo: opts.nodeInfo ?? {
        kubeletVersion: 'v1.32.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.8.0-45-generic',
        containerRuntimeVersion: 'docker://27.3.1',
      },
    },
  };
}

function row(obj: KubeObject): Record<string, unknown> {
  const cells = nodePrinter.cells(obj, NOW);
  return Object.fromEntries(nodePrinter.columns.map((c, i) => [c.name, cells[i]]));
}

describe('node printer', () => {
  it('declares upstream columns, wide ones at priority 1', () => {
    expect(nodePrinter.columns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0',
      'Status:0',
      'Roles:0',
      'Age:0',
      'Version:0',
      'Internal-IP:1',
      'External-IP:1',
      'OS-Image:1',
      'Kernel-Version:1',
      'Container-Runtime:1',
    ]);
  });

  it('prints a ready worker like kubectl get nodes -o wide', () => {
    expect(nodePrinter.cells(node({ ready: 'True' }), NOW)).toEqual([
      'kind-worker',
      'Ready',
      '<none>',
      '3d4h',
      'v1.32.0',
      '172.18.0.3',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.8.0-45-generic',
      'docker://27.3.1',
    ]);
  });

  it.each<[string, Parameters<typeof node>[0], string]>([
    ['ready', { ready: 'True' }, 'Ready'],
    ['not ready', { ready: 'False' }, 'NotReady'],
    ['unknown readiness (kubelet stopped posting)', { ready: 'Unknown' }, 'NotReady'],
    ['without a Ready condition', {}, 'Unknown'],
    ['cordoned', { ready: 'True', unschedulable: true }, 'Ready,SchedulingDisabled'],
    ['cordoned and not ready', { ready: 'False', unschedulable: true }, 'NotReady,SchedulingDisabled'],
    ['explicitly schedulable', { ready: 'True', unschedulable: false }, 'Ready'],
  ])('shows the status of a node %s', (_, opts, expected) => {
    expect(row(node(opts)).Status).toBe(expected);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no role labels', {}, '<none>'],
    ['a control-plane node', { 'node-role.kubernetes.io/control-plane': '' }, 'control-plane'],
    [
      'several roles, sorted, with the legacy label merged',
      {
        'node-role.kubernetes.io/worker': '',
        'kubernetes.io/role': 'infra',
        'node-role.kubernetes.io/edge': 'true',
      },
      'edge,infra,worker',
    ],
    [
      'a duplicate role only once',
      { 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'master' },
      'master',
    ],
    [
      'an empty role suffix or legacy value ignored',
      { 'node-role.kubernetes.io/': '', 'kubernetes.io/role': '' },
      '<none>',
    ],
  ])('shows roles for %s', (_, labels, expected) => {
    expect(row(node({ ready: 'True', labels })).Roles).toBe(expected);
  });

  it('takes the first address of each type and falls back to <unknown> for missing node info', () => {
    const obj = node({
      ready: 'True',
      addresses: [
        { type: 'ExternalIP', address: '203.0.113.9' },
        { type: 'InternalIP', address: '10.0.0.4' },
        { type: 'InternalIP', address: '10.0.0.5' },
      ],
      nodeInfo: {},
    });
    expect(row(obj)).toMatchObject({
      Version: '',
      'Internal-IP': '10.0.0.4',
      'External-IP': '203.0.113.9',
      'OS-Image': '<unknown>',
      'Kernel-Version': '<unknown>',
      'Container-Runtime': '<unknown>',
    });
  });
});
