/**
 * The cluster DNS against a real API server, queried the way programs query it: through Node's
 * resolver (c-ares, UDP with TCP fallback on truncation) and with raw TCP queries. Names outside the
 * cluster go to a stand-in upstream resolver on loopback, so nothing leaves the machine.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../apiserver/api-object.js';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import { startTestApiServer } from '../../e2e/support/test-api-server.js';
import type { TestApiServer } from '../../e2e/support/test-api-server.js';
import { waitFor } from '../../e2e/support/wait-for.js';
import { clientFor } from '../../machinery/api-client.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { startClusterDns } from './cluster-dns.js';
import type { RunningClusterDns } from './cluster-dns.js';
import type { DnsLookup } from './cluster-dns-zone.js';
import { startDnsServer } from './dns-server.js';
import type { RunningDnsServer } from './dns-server.js';
import { ensureDnsService } from './dns-service.js';

const UPSTREAM_RECORDS: Record<string, string> = {
  'example.test': '192.0.2.1',
  'pay.example.test': '192.0.2.7',
};

type ServiceView = KubeObject & { spec: { clusterIP: string; ports: unknown[]; selector?: unknown } };

/** Every name the stand-in upstream was asked. */
const askedUpstream: string[] = [];

/** The stand-in for the host's resolver: a few A records, NXDOMAIN for everything else. */
function upstreamLookup(name: string, type: string): DnsLookup {
  askedUpstream.push(name);
  const ip = UPSTREAM_RECORDS[name.toLowerCase()];
  const answers = ip && type === 'A' ? [{ name, type: 'A' as const, ttl: 60, data: ip }] : [];
  return { kind: 'answer', rcode: ip ? 'NOERROR' : 'NXDOMAIN', answers, authorities: [], additionals: [] };
}

function tcpQuery(port: number, name: string, type: string): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffered = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.destroy();
        resolve(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      }
    });
    socket.write(dnsPacket.streamEncode({ type: 'query', id: 4242, questions: [{ name, type }] }));
  });
}

function udpQuery(port: number, name: string, type: string): Promise<DecodedPacket> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (message) => {
      socket.close();
      resolve(dnsPacket.decode(message));
    });
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type }] }), port, '127.0.0.1');
  });
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

describe('cluster DNS', () => {
  let api: TestApiServer;
  let client: ApiClient;
  let upstream: RunningDnsServer;
  let dns: RunningClusterDns;
  const stop = new AbortController();
  const resolver = new Resolver({ timeout: 3000, tries: 1 });

  beforeAll(async () => {
    api = await startTestApiServer();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.kubeconfig);
    client = clientFor(kubeConfig);

    await client.create('v1', 'Service', 'default', {
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'alt', port: 81 },
        ],
      },
    });
    await client.create('v1', 'Service', 'default', {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
    });
    await client.create('v1', 'Endpoints', 'default', {
      metadata: { name: 'db' },
      subsets: [
        {
          addresses: [{ ip: '10.244.0.11' }, { ip: '10.244.0.12', hostname: 'db-0' }],
          notReadyAddresses: [{ ip: '10.244.0.13' }],
          ports: [{ name: 'pg', port: 5432 }],
        },
      ],
    });
    await client.create('v1', 'Namespace', undefined, { metadata: { name: 'shop' } });
    await client.create('v1', 'Service', 'shop', {
      metadata: { name: 'payments' },
      spec: { type: 'ExternalName', externalName: 'pay.example.test' },
    });
    const crowd = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.1.${i + 1}` }));
    await client.create('v1', 'Service', 'default', {
      metadata: { name: 'crowd' },
      spec: { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] },
    });
    await client.create('v1', 'Endpoints', 'default', {
      metadata: { name: 'crowd' },
      subsets: [{ addresses: crowd, ports: [{ name: 'x', port: 1 }] }],
    });

    upstream = await startDnsServer({
      listen: { address: '127.0.0.1', port: 0 },
      lookup: upstreamLookup,
      upstream: () => [],
      log: () => undefined,
    });
    dns = await startClusterDns({
      kubeConfig,
      listen: { address: '127.0.0.1', port: 0 },
      upstream: [`127.0.0.1:${upstream.port}`],
      // Endpoints may not be loopback addresses; any other address will do for the objects.
      service: { endpointIP: '192.0.2.53' },
      signal: stop.signal,
      log: () => undefined,
    });
    expect(await dns.synced).toBe(true);
    resolver.setServers([`127.0.0.1:${dns.port}`]);
  });

  afterAll(async () => {
    stop.abort();
    await dns?.stopped;
    await upstream?.close();
    await api?.close();
  });

  it('resolves a service to its cluster IP', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    expect(await resolver.resolve4('web.default.svc.cluster.local')).toEqual([web.spec.clusterIP]);
  });

  it('resolves a headless service to its ready endpoints, and each endpoint by name', async () => {
    expect((await resolver.resolve4('db.default.svc.cluster.local')).sort()).toEqual([
      '10.244.0.11',
      '10.244.0.12',
    ]);
    expect(await resolver.resolve4('db-0.db.default.svc.cluster.local')).toEqual(['10.244.0.12']);
  });

  it('serves SRV records for named ports', async () => {
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toEqual([
      { name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 },
    ]);
    const pg = await resolver.resolveSrv('_pg._tcp.db.default.svc.cluster.local');
    expect(pg.map((r) => r.name).sort()).toEqual([
      '10-244-0-11.db.default.svc.cluster.local',
      'db-0.db.default.svc.cluster.local',
    ]);
  });

  it('answers NXDOMAIN for unknown names in the cluster domain, without asking upstream', async () => {
    expect(await errorCode(resolver.resolve4('nope.default.svc.cluster.local'))).toBe('ENOTFOUND');
    expect(await errorCode(resolver.resolve4('example.test.default.svc.cluster.local'))).toBe('ENOTFOUND');
    expect(askedUpstream.filter((name) => name.endsWith('cluster.local'))).toEqual([]);
  });

  it('answers an existing name without records of the type with no data, not NXDOMAIN', async () => {
    expect(await errorCode(resolver.resolve6('web.default.svc.cluster.local'))).toBe('ENODATA');
  });

  it('forwards other names to the upstream resolver', async () => {
    expect(await resolver.resolve4('example.test')).toEqual(['192.0.2.1']);
    expect(askedUpstream).toContain('example.test');
    expect(await errorCode(resolver.resolve4('missing.test'))).toBe('ENOTFOUND');
  });

  it('follows an ExternalName service to the addresses of its target', async () => {
    expect(await resolver.resolve4('payments.shop.svc.cluster.local')).toEqual(['192.0.2.7']);
    expect(await resolver.resolveCname('payments.shop.svc.cluster.local')).toEqual(['pay.example.test']);
  });

  it('truncates a large UDP answer so the client retries over TCP and gets it all', async () => {
    const truncated = await udpQuery(dns.port, 'crowd.default.svc.cluster.local', 'A');
    expect(truncated.flag_tc).toBe(true);
    expect(truncated.answers).toEqual([]);
    const addresses = await resolver.resolve4('crowd.default.svc.cluster.local');
    expect(addresses).toHaveLength(60);
  });

  it('answers over TCP, cluster names and forwarded ones', async () => {
    const local = await tcpQuery(dns.port, 'db.default.svc.cluster.local', 'A');
    expect(local.id).toBe(4242);
    expect(local.flag_aa).toBe(true);
    expect(local.answers.map((a) => a.data).sort()).toEqual(['10.244.0.11', '10.244.0.12']);
    const forwarded = await tcpQuery(dns.port, 'example.test', 'A');
    expect(forwarded.answers.map((a) => a.data)).toEqual(['192.0.2.1']);
  });

  it('follows Services created and deleted through the API', async () => {
    await client.create('v1', 'Service', 'default', {
      metadata: { name: 'late' },
      spec: { ports: [{ port: 80 }] },
    });
    const late = await client.get<ServiceView>('v1', 'Service', 'default', 'late');
    await waitFor(
      async () => (await resolver.resolve4('late.default.svc.cluster.local'))[0] === late.spec.clusterIP,
      {
        timeoutMs: 2000,
        what: 'the new service to resolve',
      },
    );
    await client.delete('v1', 'Service', 'default', 'late');
    await waitFor(
      async () => (await errorCode(resolver.resolve4('late.default.svc.cluster.local'))) === 'ENOTFOUND',
      {
        timeoutMs: 2000,
        what: 'the deleted service to be gone',
      },
    );
  });

  it('publishes itself as kube-system/kube-dns on 10.96.0.10 with Endpoints pointing at its address', async () => {
    const service = await waitFor(() => client.get<ServiceView>('v1', 'Service', 'kube-system', 'kube-dns'));
    expect(service.spec.clusterIP).toBe('10.96.0.10');
    expect(service.spec.selector).toBeUndefined();
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ name: 'dns', port: 53, protocol: 'UDP', targetPort: dns.port }),
      expect.objectContaining({ name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: dns.port }),
    ]);
    const endpoints = await waitFor(() =>
      client.get<KubeObject & { subsets: unknown[] }>('v1', 'Endpoints', 'kube-system', 'kube-dns'),
    );
    expect(endpoints.subsets).toEqual([
      {
        addresses: [{ ip: '192.0.2.53' }],
        ports: [
          { name: 'dns', port: dns.port, protocol: 'UDP' },
          { name: 'dns-tcp', port: dns.port, protocol: 'TCP' },
        ],
      },
    ]);
    expect(await resolver.resolve4('kube-dns.kube-system.svc.cluster.local')).toEqual(['10.96.0.10']);
  });

  describe('ensureDnsService', () => {
    const spec = { namespace: 'dns-test', clusterIP: '10.96.0.53', endpointIP: '192.168.1.5', port: 1053 };

    beforeAll(async () => {
      await client.create('v1', 'Namespace', undefined, { metadata: { name: 'dns-test' } });
    });

    it('creates both objects, then changes nothing when they match', async () => {
      expect(await ensureDnsService(client, spec)).toEqual({ service: 'created', endpoints: 'created' });
      expect(await ensureDnsService(client, spec)).toEqual({ service: 'unchanged', endpoints: 'unchanged' });
    });

    it('moves the Endpoints when the DNS server moves', async () => {
      expect(await ensureDnsService(client, { ...spec, endpointIP: '192.168.1.6' })).toEqual({
        service: 'unchanged',
        endpoints: 'updated',
      });
    });

    it('recreates its own Service on a new cluster IP', async () => {
      expect(await ensureDnsService(client, { ...spec, clusterIP: '10.96.0.54' })).toEqual({
        service: 'recreated',
        endpoints: 'updated',
      });
      const service = await client.get<ServiceView>('v1', 'Service', 'dns-test', 'kube-dns');
      expect(service.spec.clusterIP).toBe('10.96.0.54');
    });

    it('refuses to replace a Service someone else created', async () => {
      await client.create('v1', 'Service', 'dns-test', {
        metadata: { name: 'other-dns' },
        spec: { ports: [{ port: 53 }] },
      });
      await expect(ensureDnsService(client, { ...spec, name: 'other-dns' })).rejects.toThrow(
        /not created by kubicle/,
      );
    });
  });
});
