import { ingressToWrite, nodeInternalIPs } from './load-balancer-status.js';
import type { LoadBalancerServiceInput } from './load-balancer-status.js';

const NODES = ['192.168.1.12', '192.168.1.9', '192.168.1.12', 'fe80::1', 'not-an-ip'];

describe('ingressToWrite', () => {
  it.each<[string, LoadBalancerServiceInput, string[], { ip: string }[] | undefined]>([
    [
      'a LoadBalancer without ingress gets every node address, sorted and unique',
      { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } },
      NODES,
      [{ ip: '192.168.1.9' }, { ip: '192.168.1.12' }],
    ],
    [
      'no status at all counts as missing',
      { spec: { type: 'LoadBalancer' } },
      ['10.0.0.1'],
      [{ ip: '10.0.0.1' }],
    ],
    [
      'an empty ingress list counts as missing',
      { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [] } } },
      ['10.0.0.1'],
      [{ ip: '10.0.0.1' }],
    ],
    [
      'ingress already written (by another node) is left alone',
      { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '10.9.9.9' }] } } },
      ['10.0.0.1'],
      undefined,
    ],
    [
      'a service for another load-balancer implementation is left alone',
      { spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' } },
      ['10.0.0.1'],
      undefined,
    ],
    ['not a LoadBalancer', { spec: { type: 'NodePort' } }, ['10.0.0.1'], undefined],
    ['no usable address known', { spec: { type: 'LoadBalancer' } }, ['fe80::1'], undefined],
  ])('%s', (_, service, addresses, expected) => {
    expect(ingressToWrite(service, addresses)).toEqual(expected);
  });
});

describe('nodeInternalIPs', () => {
  it('reads InternalIP addresses only', () => {
    const node = {
      status: {
        addresses: [
          { type: 'Hostname', address: 'node-1' },
          { type: 'ExternalIP', address: '203.0.113.4' },
          { type: 'InternalIP', address: '192.168.1.12' },
          { type: 'InternalIP', address: '10.0.0.3' },
        ],
      },
    };
    expect(nodeInternalIPs(node)).toEqual(['10.0.0.3', '192.168.1.12']);
    expect(nodeInternalIPs({})).toEqual([]);
  });
});
