import { collectServicePorts } from './ruleset.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import { planListeners } from './userspace-listeners.js';

const services: ServiceInput[] = [
  {
    metadata: { namespace: 'default', name: 'web' },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.20',
      externalIPs: ['192.168.1.9', '203.0.113.7'],
      ports: [
        { name: 'http', port: 80, nodePort: 30080 },
        { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
        { name: 'sig', port: 99, protocol: 'SCTP', nodePort: 30099 },
      ],
    },
    status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } },
  },
  {
    metadata: { namespace: 'default', name: 'empty' },
    spec: { type: 'NodePort', clusterIP: '10.96.0.21', ports: [{ port: 80, nodePort: 30081 }] },
  },
  {
    metadata: { namespace: 'default', name: 'internal' },
    spec: { clusterIP: '10.96.0.22', ports: [{ port: 80 }] },
  },
];
const ready = (
  name: string,
  ports: { name?: string; port: number; protocol?: string }[],
): EndpointsInput => ({
  metadata: { namespace: 'default', name },
  subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports }],
});
const endpoints: EndpointsInput[] = [
  ready('web', [
    { name: 'http', port: 8080 },
    { name: 'dns', port: 5353, protocol: 'UDP' },
    { name: 'sig', port: 9999, protocol: 'SCTP' },
  ]),
  { metadata: { namespace: 'default', name: 'empty' }, subsets: [] },
  ready('internal', [{ port: 8080 }]),
];

describe('planListeners', () => {
  const plan = (listenAddresses: string[], localAddresses: string[]) =>
    planListeners(collectServicePorts(services, endpoints), { listenAddresses, localAddresses }).map(
      (s) => `${s.id} -> ${s.servicePort}`,
    );

  it('listens on NodePorts at each address and on local external/load-balancer IPs at the service port', () => {
    expect(plan(['192.168.1.10', '127.0.0.1'], ['192.168.1.10', '192.168.1.9', '127.0.0.1']).sort()).toEqual(
      [
        'tcp 192.168.1.10:30080 -> default/web:http/tcp',
        'tcp 127.0.0.1:30080 -> default/web:http/tcp',
        'tcp 192.168.1.9:80 -> default/web:http/tcp',
        'tcp 192.168.1.10:80 -> default/web:http/tcp',
        'udp 192.168.1.10:30053 -> default/web:dns/udp',
        'udp 127.0.0.1:30053 -> default/web:dns/udp',
        'udp 192.168.1.9:53 -> default/web:dns/udp',
        'udp 192.168.1.10:53 -> default/web:dns/udp',
      ].sort(),
    );
  });

  it('leaves out service ports without endpoints (refused by the kernel), SCTP, and non-local IPs', () => {
    const ids = plan(['0.0.0.0'], []);
    expect(ids.sort()).toEqual([
      'tcp 0.0.0.0:30080 -> default/web:http/tcp',
      'udp 0.0.0.0:30053 -> default/web:dns/udp',
    ]);
  });

  it('gives a contested socket to the first service port', () => {
    const twin: ServiceInput = {
      metadata: { namespace: 'default', name: 'aaa' },
      spec: { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ port: 80, nodePort: 30080 }] },
    };
    const specs = planListeners(
      collectServicePorts([...services, twin], [...endpoints, ready('aaa', [{ port: 1 }])]),
      {
        listenAddresses: ['0.0.0.0'],
        localAddresses: [],
      },
    );
    expect(specs.filter((s) => s.id === 'tcp 0.0.0.0:30080').map((s) => s.servicePort)).toEqual([
      'default/aaa/tcp',
    ]);
  });
});
