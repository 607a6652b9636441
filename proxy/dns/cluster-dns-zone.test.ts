import { ClusterDnsZone } from './cluster-dns-zone.js';
import type { DnsEndpointsInput, DnsLookup, DnsServiceInput } from './cluster-dns-zone.js';

const services: DnsServiceInput[] = [
  {
    metadata: { namespace: 'default', name: 'web' },
    spec: {
      clusterIP: '10.96.0.20',
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', port: 9100 }, { port: 81 }],
    },
  },
  {
    metadata: { namespace: 'default', name: 'db' },
    spec: {
      clusterIP: 'None',
      ports: [
        { name: 'pg', protocol: 'TCP', port: 5432 },
        { name: 'stats', protocol: 'UDP', port: 8125 },
      ],
    },
  },
  { metadata: { namespace: 'default', name: 'lonely' }, spec: { clusterIP: 'None' } },
  {
    metadata: { namespace: 'default', name: 'eager' },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'x', port: 1 }] },
  },
  {
    metadata: { namespace: 'shop', name: 'payments' },
    spec: { type: 'ExternalName', externalName: 'pay.example.com.' },
  },
  {
    metadata: { namespace: 'kube-system', name: 'kube-dns' },
    spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] },
  },
];

const endpoints: DnsEndpointsInput[] = [
  {
    metadata: { namespace: 'default', name: 'db' },
    subsets: [
      {
        addresses: [{ ip: '10.244.0.12', hostname: 'db-0' }, { ip: '10.244.0.11' }],
        notReadyAddresses: [{ ip: '10.244.0.13' }],
        ports: [
          { name: 'pg', protocol: 'TCP', port: 15432 },
          { name: 'stats', protocol: 'UDP', port: 18125 },
        ],
      },
    ],
  },
  {
    metadata: { namespace: 'default', name: 'eager' },
    subsets: [
      {
        addresses: [{ ip: '10.244.1.1' }],
        notReadyAddresses: [{ ip: '10.244.1.2' }],
        ports: [{ name: 'x', port: 1 }],
      },
    ],
  },
  // Endpoints of a service with a cluster IP are not DNS answers: the cluster IP is.
  {
    metadata: { namespace: 'default', name: 'web' },
    subsets: [{ addresses: [{ ip: '10.244.0.50' }], ports: [{ name: 'http', port: 8080 }] }],
  },
];

const zone = new ClusterDnsZone(services, endpoints, { clusterDomain: 'cluster.local', ttl: 5 });

/** A lookup as compact text: `RCODE answers… | additional…`, or `forward` / `alias → target`. */
function show(result: DnsLookup): string {
  if (result.kind === 'forward') return 'forward';
  const records = (list: readonly { type: string; name: string; data: unknown }[]) =>
    list.map((r) => {
      if (r.type === 'SRV') {
        const d = r.data as { priority: number; weight: number; port: number; target: string };
        return `SRV ${d.priority} ${d.weight} ${d.port} ${d.target}`;
      }
      return `${r.type} ${Array.isArray(r.data) ? r.data.join(' ') : String(r.data)}`;
    });
  if (result.kind === 'alias') return `alias ${records(result.answers).join(', ')} -> ${result.target}`;
  const extra = result.additionals.length ? ` | ${records(result.additionals).join(', ')}` : '';
  return `${result.rcode} ${records(result.answers).join(', ')}${extra}`.trim();
}

describe('ClusterDnsZone', () => {
  it.each([
    // Services with a cluster IP.
    ['web.default.svc.cluster.local', 'A', 'NOERROR A 10.96.0.20'],
    ['WEB.Default.SVC.cluster.LOCAL.', 'A', 'NOERROR A 10.96.0.20'],
    ['kube-dns.kube-system.svc.cluster.local', 'A', 'NOERROR A 10.96.0.10'],
    ['web.default.svc.cluster.local', 'AAAA', 'NOERROR'],
    ['web.default.svc.cluster.local', 'TXT', 'NOERROR'],
    // Headless: ready endpoints only, unless the service publishes not-ready ones.
    ['db.default.svc.cluster.local', 'A', 'NOERROR A 10.244.0.11, A 10.244.0.12'],
    ['eager.default.svc.cluster.local', 'A', 'NOERROR A 10.244.1.1, A 10.244.1.2'],
    ['lonely.default.svc.cluster.local', 'A', 'NOERROR'],
    ['db-0.db.default.svc.cluster.local', 'A', 'NOERROR A 10.244.0.12'],
    ['10-244-0-11.db.default.svc.cluster.local', 'A', 'NOERROR A 10.244.0.11'],
    ['10-244-0-13.db.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['db-1.db.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['db-0.web.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    // SRV for named ports.
    [
      '_http._tcp.web.default.svc.cluster.local',
      'SRV',
      'NOERROR SRV 0 100 80 web.default.svc.cluster.local | A 10.96.0.20',
    ],
    [
      '_metrics._tcp.web.default.svc.cluster.local',
      'SRV',
      'NOERROR SRV 0 100 9100 web.default.svc.cluster.local | A 10.96.0.20',
    ],
    ['_http._udp.web.default.svc.cluster.local', 'SRV', 'NXDOMAIN'],
    ['_nope._tcp.web.default.svc.cluster.local', 'SRV', 'NXDOMAIN'],
    ['_http._tcp.web.default.svc.cluster.local', 'A', 'NOERROR'],
    [
      '_pg._tcp.db.default.svc.cluster.local',
      'SRV',
      'NOERROR SRV 0 50 15432 10-244-0-11.db.default.svc.cluster.local, SRV 0 50 15432 db-0.db.default.svc.cluster.local' +
        ' | A 10.244.0.11, A 10.244.0.12',
    ],
    [
      '_stats._udp.db.default.svc.cluster.local',
      'SRV',
      'NOERROR SRV 0 50 18125 10-244-0-11.db.default.svc.cluster.local, SRV 0 50 18125 db-0.db.default.svc.cluster.local' +
        ' | A 10.244.0.11, A 10.244.0.12',
    ],
    [
      'web.default.svc.cluster.local',
      'SRV',
      'NOERROR SRV 0 100 80 web.default.svc.cluster.local, SRV 0 100 9100 web.default.svc.cluster.local | A 10.96.0.20',
    ],
    // ExternalName.
    ['payments.shop.svc.cluster.local', 'A', 'alias CNAME pay.example.com -> pay.example.com'],
    ['payments.shop.svc.cluster.local', 'CNAME', 'NOERROR CNAME pay.example.com'],
    // Names that do not exist, and names that exist without records.
    ['nope.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['web.nope.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['a.b.web.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['default.svc.cluster.local', 'A', 'NOERROR'],
    ['nope.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['svc.cluster.local', 'A', 'NOERROR'],
    ['cluster.local', 'A', 'NOERROR'],
    ['cluster.local', 'NS', 'NOERROR NS ns.dns.cluster.local'],
    ['something.cluster.local', 'A', 'NXDOMAIN'],
    // The search path tries these before the real name: they must fail fast, not be forwarded.
    ['google.com.default.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['google.com.svc.cluster.local', 'A', 'NXDOMAIN'],
    ['google.com.cluster.local', 'A', 'NXDOMAIN'],
    // Pods, version, reverse lookups.
    ['10-244-0-99.default.pod.cluster.local', 'A', 'NOERROR A 10.244.0.99'],
    ['10-244-0-999.default.pod.cluster.local', 'A', 'NXDOMAIN'],
    ['dns-version.cluster.local', 'TXT', 'NOERROR TXT 1.1.0'],
    ['20.0.96.10.in-addr.arpa', 'PTR', 'NOERROR PTR web.default.svc.cluster.local'],
    ['12.0.244.10.in-addr.arpa', 'PTR', 'NOERROR PTR db-0.db.default.svc.cluster.local'],
    ['11.0.244.10.in-addr.arpa', 'PTR', 'NOERROR PTR 10-244-0-11.db.default.svc.cluster.local'],
    ['8.8.8.8.in-addr.arpa', 'PTR', 'forward'],
    // Outside the zone.
    ['example.com', 'A', 'forward'],
    ['cluster.local.example.com', 'A', 'forward'],
    ['localcluster.local', 'A', 'forward'],
  ])('%s %s → %s', (name, type, expected) => {
    expect(show(zone.lookup(name, type))).toBe(expected);
  });

  it('answers with the name as asked, for clients that randomise case', () => {
    const result = zone.lookup('wEb.DeFault.svc.cluster.local', 'A');
    expect(result.kind === 'answer' && result.answers[0].name).toBe('wEb.DeFault.svc.cluster.local');
  });

  it('adds the SOA to negative answers, with the TTL as negative-caching time', () => {
    for (const name of ['nope.default.svc.cluster.local', 'web.default.svc.cluster.local']) {
      const result = zone.lookup(name, name.startsWith('nope') ? 'A' : 'AAAA');
      if (result.kind !== 'answer') throw new Error('expected an answer');
      expect(result.authorities).toEqual([
        expect.objectContaining({
          type: 'SOA',
          name: 'cluster.local',
          data: expect.objectContaining({ minimum: 5 }),
        }),
      ]);
    }
  });

  it('uses the configured domain and TTL', () => {
    const custom = new ClusterDnsZone(services, endpoints, { clusterDomain: 'corp.internal.', ttl: 30 });
    const result = custom.lookup('web.default.svc.corp.internal', 'A');
    expect(result).toEqual(
      expect.objectContaining({ kind: 'answer', answers: [expect.objectContaining({ ttl: 30 })] }),
    );
    expect(custom.lookup('web.default.svc.cluster.local', 'A')).toEqual({ kind: 'forward' });
  });

  it('skips objects without the fields it needs instead of failing', () => {
    const odd = new ClusterDnsZone(
      [{}, { metadata: { name: 'x' } }, { metadata: { namespace: 'a', name: 'b' }, spec: { clusterIP: '' } }],
      [{}, { metadata: { namespace: 'a', name: 'b' }, subsets: [{ addresses: [{ ip: 'bad' }] }] }],
    );
    expect(show(odd.lookup('b.a.svc.cluster.local', 'A'))).toBe('NXDOMAIN');
  });
});
