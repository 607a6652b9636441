import type { KubeObject } from '../api-object.js';
import {
  AllocationInvalid,
  allocationsOf,
  firstServiceIp,
  intToIp,
  ipInRange,
  ipToInt,
  parseCidr,
  pickFree,
  ServiceAllocator,
} from './service-allocations.js';

describe('service allocations', () => {
  it('converts addresses and ranges', () => {
    expect(ipToInt('10.96.0.1')).toBe(10 * 2 ** 24 + 96 * 2 ** 16 + 1);
    expect(intToIp(ipToInt('192.168.255.7')!)).toBe('192.168.255.7');
    expect(ipToInt('10.0.0.256')).toBeUndefined();
    expect(parseCidr('10.96.0.0/12')).toEqual({ base: ipToInt('10.96.0.0'), size: 2 ** 20 });
    expect(firstServiceIp('10.96.0.0/12')).toBe('10.96.0.1');
    expect(() => parseCidr('10.0.0.0/31')).toThrow(/invalid service CIDR/);
  });

  it.each([
    ['10.96.0.0', false],
    ['10.96.0.1', true],
    ['10.111.255.254', true],
    ['10.111.255.255', false],
    ['10.112.0.1', false],
  ])('%s is allocatable in 10.96.0.0/12: %s', (ip, expected) => {
    expect(ipInRange(parseCidr('10.96.0.0/12'), ip)).toBe(expected);
  });

  it('finds the last free slot once random probing keeps hitting taken ones', () => {
    expect(
      pickFree(
        100,
        (o) => o !== 42,
        () => 0,
      ),
    ).toBe(42);
    expect(pickFree(3, () => true)).toBeUndefined();
  });

  it('reads what a service holds', () => {
    const svc: KubeObject = {
      metadata: { name: 's' },
      spec: { clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30001 }, { port: 81 }] },
    };
    expect(allocationsOf(svc)).toEqual({ clusterIp: '10.96.0.5', nodePorts: [30001] });
    expect(allocationsOf({ metadata: {}, spec: { clusterIP: 'None' } })).toEqual({
      clusterIp: undefined,
      nodePorts: [],
    });
  });

  describe('plan', () => {
    const allocator = (taken: string[] = []) =>
      new ServiceAllocator(
        '/registry',
        { clusterIpRange: '10.96.0.0/24', nodePortMin: 30000, nodePortMax: 30010 },
        async () => taken,
      );

    it('allocates an IP and node ports and claims them in the transaction', async () => {
      const plan = await allocator().plan(
        { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } },
        undefined,
        'default/s',
      );
      const spec = plan.service.spec as {
        clusterIP: string;
        clusterIPs: string[];
        ports: { nodePort: number }[];
      };
      expect(ipInRange(parseCidr('10.96.0.0/24'), spec.clusterIP)).toBe(true);
      expect(spec.clusterIPs).toEqual([spec.clusterIP]);
      expect(spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
      expect(plan.extras.compares).toHaveLength(2);
      expect(plan.extras.operations.map((o) => o.request_put?.key?.toString())).toEqual([
        `/registry/ranges/serviceips/${spec.clusterIP}`,
        `/registry/ranges/servicenodeports/${spec.ports[0].nodePort}`,
      ]);
    });

    it('refuses out-of-range requests with field causes', async () => {
      const attempt = allocator().plan(
        {
          metadata: { name: 's' },
          spec: { type: 'NodePort', clusterIP: '10.97.0.1', ports: [{ port: 80, nodePort: 80 }] },
        },
        undefined,
        'default/s',
      );
      await expect(attempt).rejects.toBeInstanceOf(AllocationInvalid);
      await expect(attempt).rejects.toMatchObject({
        causes: [{ field: 'spec.clusterIPs' }, { field: 'spec.ports[0].nodePort' }],
      });
    });

    it('releases node ports when a service turns back into ClusterIP, and keeps its IP', async () => {
      const current: KubeObject = {
        metadata: { name: 's' },
        spec: { type: 'NodePort', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30003 }] },
      };
      const plan = await allocator().plan(
        {
          metadata: { name: 's' },
          spec: { type: 'ClusterIP', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30003 }] },
        },
        current,
        'default/s',
      );
      expect((plan.service.spec as { ports: object[] }).ports[0]).toEqual({ port: 80 });
      expect(plan.extras.compares).toHaveLength(0);
      expect(plan.extras.operations.map((o) => o.request_delete_range?.key?.toString())).toEqual([
        '/registry/ranges/servicenodeports/30003',
      ]);
    });

    it('gives headless services no IP', async () => {
      const plan = await allocator().plan(
        { metadata: { name: 's' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
        undefined,
        'default/s',
      );
      expect((plan.service.spec as { clusterIPs: string[] }).clusterIPs).toEqual(['None']);
      expect(plan.extras.operations).toHaveLength(0);
    });
  });
});
