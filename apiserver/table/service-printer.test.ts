import type { KubeObject } from '../api-object.js';
import { endpointsPrinter, servicePrinter } from './service-printer.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const CREATED = new Date(NOW.getTime() - 45_000).toISOString();

function service(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED },
    spec,
    status,
  };
}

function row(obj: KubeObject): Record<string, unknown> {
  const cells = servicePrinter.cells(obj, NOW);
  return Object.fromEntries(servicePrinter.columns.map((c, i) => [c.name, cells[i]]));
}

const http = { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' };

describe('service printer', () => {
  it('declares upstream columns, Selector only with -o wide', () => {
    expect(servicePrinter.columns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0',
      'Type:0',
      'Cluster-IP:0',
      'External-IP:0',
      'Port(s):0',
      'Age:0',
      'Selector:1',
    ]);
  });

  it('prints a ClusterIP service like kubectl get svc -o wide', () => {
    const svc = service({
      type: 'ClusterIP',
      clusterIP: '10.96.12.34',
      clusterIPs: ['10.96.12.34'],
      ports: [http],
      selector: { tier: 'frontend', app: 'web' },
    });
    expect(servicePrinter.cells(svc, NOW)).toEqual([
      'web',
      'ClusterIP',
      '10.96.12.34',
      '<none>',
      '80/TCP',
      '45s',
      'app=web,tier=frontend',
    ]);
  });

  it.each<[string, KubeObject, Record<string, unknown>]>([
    [
      'a NodePort service',
      service({ type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ ...http, nodePort: 30080 }] }),
      { Type: 'NodePort', 'External-IP': '<none>', 'Port(s)': '80:30080/TCP' },
    ],
    [
      'a LoadBalancer still waiting for an address',
      service({ type: 'LoadBalancer', clusterIP: '10.96.0.21', ports: [{ ...http, nodePort: 31000 }] }),
      { 'External-IP': '<pending>', 'Port(s)': '80:31000/TCP' },
    ],
    [
      'a LoadBalancer with ingress addresses, deduplicated, sorted and never shortened server-side',
      service(
        { type: 'LoadBalancer', clusterIP: '10.96.0.22', ports: [http] },
        {
          loadBalancer: {
            ingress: [
              { hostname: 'a1b2c3d4e5f6.elb.eu-west-1.amazonaws.com' },
              { ip: '203.0.113.10' },
              { ip: '203.0.113.10' },
            ],
          },
        },
      ),
      { 'External-IP': '203.0.113.10,a1b2c3d4e5f6.elb.eu-west-1.amazonaws.com' },
    ],
    [
      'a LoadBalancer with both ingress and external IPs',
      service(
        { type: 'LoadBalancer', clusterIP: '10.96.0.23', externalIPs: ['198.51.100.7'], ports: [http] },
        { loadBalancer: { ingress: [{ ip: '203.0.113.11' }] } },
      ),
      { 'External-IP': '203.0.113.11,198.51.100.7' },
    ],
    [
      'a headless service',
      service({
        type: 'ClusterIP',
        clusterIP: 'None',
        clusterIPs: ['None'],
        ports: [http],
        selector: { app: 'db' },
      }),
      { 'Cluster-IP': 'None', 'External-IP': '<none>', Selector: 'app=db' },
    ],
    [
      'a ClusterIP service with external IPs',
      service({
        type: 'ClusterIP',
        clusterIP: '10.96.0.24',
        externalIPs: ['198.51.100.7', '198.51.100.8'],
        ports: [http],
      }),
      { 'External-IP': '198.51.100.7,198.51.100.8' },
    ],
    [
      'an ExternalName service',
      service({ type: 'ExternalName', externalName: 'db.example.com' }),
      { Type: 'ExternalName', 'Cluster-IP': '<none>', 'External-IP': 'db.example.com', 'Port(s)': '<none>' },
    ],
    [
      'several ports and protocols, and no selector',
      service({
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153 },
        ],
      }),
      { 'Port(s)': '53/UDP,53/TCP,9153/TCP', Selector: '<none>' },
    ],
    [
      'a service whose clusterIPs were set without clusterIP',
      service({ type: 'ClusterIP', clusterIPs: ['fd00:10:96::1', '10.96.0.1'], ports: [http] }),
      { 'Cluster-IP': 'fd00:10:96::1' },
    ],
  ])('shows %s', (_, svc, expected) => {
    expect(row(svc)).toMatchObject(expected);
  });
});

function endpoints(subsets: unknown[] | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED },
    ...(subsets ? { subsets } : {}),
  };
}

const addr = (ip: string) => ({ ip, targetRef: { kind: 'Pod', name: `pod-${ip}` } });

describe('endpoints printer', () => {
  it('declares Name, Endpoints, Age', () => {
    expect(endpointsPrinter.columns.map((c) => c.name)).toEqual(['Name', 'Endpoints', 'Age']);
  });

  it.each<[string, unknown[] | undefined, string]>([
    ['no subsets', undefined, '<none>'],
    ['an empty subset list', [], '<none>'],
    [
      'two ready addresses on one port (not-ready ones left out)',
      [
        {
          addresses: [addr('10.244.1.5'), addr('10.244.2.6')],
          notReadyAddresses: [addr('10.244.3.7')],
          ports: [{ port: 8080 }],
        },
      ],
      '10.244.1.5:8080,10.244.2.6:8080',
    ],
    [
      'exactly three endpoints',
      [{ addresses: [addr('10.0.0.1'), addr('10.0.0.2'), addr('10.0.0.3')], ports: [{ port: 80 }] }],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80',
    ],
    [
      'more than three endpoints',
      [
        {
          addresses: [addr('10.0.0.1'), addr('10.0.0.2'), addr('10.0.0.3'), addr('10.0.0.4')],
          ports: [{ name: 'http', port: 80 }],
        },
      ],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...',
    ],
    [
      'every port of every address, across subsets',
      [
        { addresses: [addr('10.0.0.1'), addr('10.0.0.2')], ports: [{ port: 80 }, { port: 443 }] },
        { addresses: [addr('10.0.1.1')], ports: [{ port: 80 }] },
      ],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...',
    ],
    [
      'a headless service without ports',
      [{ addresses: [addr('10.0.0.1'), addr('10.0.0.2')] }],
      '10.0.0.1,10.0.0.2',
    ],
    ['an IPv6 address', [{ addresses: [addr('fd00::5')], ports: [{ port: 80 }] }], '[fd00::5]:80'],
    [
      'a subset with only not-ready addresses',
      [{ notReadyAddresses: [addr('10.0.0.9')], ports: [{ port: 80 }] }],
      '',
    ],
  ])('shows %s', (_, subsets, expected) => {
    expect(endpointsPrinter.cells(endpoints(subsets), NOW)).toEqual(['web', expected, '45s']);
  });
});
