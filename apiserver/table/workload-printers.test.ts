import type { KubeObject } from '../api-object.js';
import type { ResourcePrinter } from './table-types.js';
import { daemonSetPrinter, deploymentPrinter, replicaSetPrinter } from './workload-printers.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const CREATED = new Date(NOW.getTime() - 2 * 3600 * 1000 - 5 * 60 * 1000).toISOString();

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1' },
    ],
  },
};

function workload(kind: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED },
    spec: { template, ...spec },
    ...(status ? { status } : {}),
  };
}

function row(printer: ResourcePrinter, obj: KubeObject): Record<string, unknown> {
  const cells = printer.cells(obj, NOW);
  return Object.fromEntries(printer.columns.map((c, i) => [c.name, cells[i]]));
}

const columnsOf = (printer: ResourcePrinter) =>
  printer.columns.map((c) => `${c.name}:${c.type}:${c.priority}`);

describe('deployment printer', () => {
  it('declares upstream columns', () => {
    expect(columnsOf(deploymentPrinter)).toEqual([
      'Name:string:0',
      'Ready:string:0',
      'Up-to-date:string:0',
      'Available:string:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ]);
  });

  it('prints a rolling deployment like kubectl get deploy -o wide', () => {
    const deploy = workload(
      'Deployment',
      { replicas: 3, selector: { matchLabels: { app: 'web' } } },
      { replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
    );
    expect(deploymentPrinter.cells(deploy, NOW)).toEqual([
      'web',
      '2/3',
      2,
      2,
      '125m',
      'nginx,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.1',
      'app=web',
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      'match expressions, sorted by key',
      {
        matchLabels: { tier: 'frontend' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'canary'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      'env in (canary,prod),!legacy,tier=frontend',
    ],
    ['an empty selector, printed empty (not <none>)', {}, ''],
    ['a missing selector', undefined, ''],
    [
      'an unknown operator',
      { matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] },
      '<invalid>',
    ],
  ])('shows the selector for %s', (_, selector, expected) => {
    expect(row(deploymentPrinter, workload('Deployment', { replicas: 1, selector })).Selector).toBe(expected);
  });

  it('counts zero ready of the defaulted single replica before any status is written', () => {
    expect(row(deploymentPrinter, workload('Deployment', {}))).toMatchObject({
      Ready: '0/1',
      'Up-to-date': 0,
      Available: 0,
    });
  });

  it('shows a scaled-to-zero deployment as 0/0', () => {
    expect(row(deploymentPrinter, workload('Deployment', { replicas: 0 }, {})).Ready).toBe('0/0');
  });
});

describe('replicaset printer', () => {
  it('declares upstream columns', () => {
    expect(columnsOf(replicaSetPrinter)).toEqual([
      'Name:string:0',
      'Desired:integer:0',
      'Current:integer:0',
      'Ready:integer:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ]);
  });

  it('prints a replicaset like kubectl get rs -o wide', () => {
    const rs = workload(
      'ReplicaSet',
      { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d9c6b8f5' } } },
      { replicas: 3, readyReplicas: 1, availableReplicas: 1 },
    );
    expect(replicaSetPrinter.cells(rs, NOW)).toEqual([
      'web',
      3,
      3,
      1,
      '125m',
      'nginx,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.1',
      'app=web,pod-template-hash=7d9c6b8f5',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['an empty selector', {}, '<none>'],
    ['an invalid selector', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, '<error>'],
  ])('prints %s as upstream does', (_, selector, expected) => {
    expect(row(replicaSetPrinter, workload('ReplicaSet', { replicas: 1, selector })).Selector).toBe(expected);
  });
});

describe('daemonset printer', () => {
  it('declares upstream columns', () => {
    expect(columnsOf(daemonSetPrinter)).toEqual([
      'Name:string:0',
      'Desired:integer:0',
      'Current:integer:0',
      'Ready:integer:0',
      'Up-to-date:integer:0',
      'Available:integer:0',
      'Node Selector:string:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ]);
  });

  it('prints a daemonset like kubectl get ds -o wide', () => {
    const ds = workload(
      'DaemonSet',
      {
        selector: { matchLabels: { app: 'web' } },
        template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } },
      },
      {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    );
    expect(daemonSetPrinter.cells(ds, NOW)).toEqual([
      'web',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '125m',
      'nginx,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.1',
      'app=web',
    ]);
  });

  it('shows <none> without a node selector and zeros without status', () => {
    expect(
      row(daemonSetPrinter, workload('DaemonSet', { selector: { matchLabels: { app: 'web' } } })),
    ).toMatchObject({
      Desired: 0,
      Available: 0,
      'Node Selector': '<none>',
    });
  });
});
