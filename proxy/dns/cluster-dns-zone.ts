/**
 * The cluster's DNS records as a pure function of its Services and Endpoints, following the
 * Kubernetes DNS-based service discovery specification (kubernetes/dns docs/specification.md).
 *
 * Contract:
 * - `lookup(name, type)` answers for names in the cluster domain (authoritatively: a name that does
 *   not exist is NXDOMAIN, an existing name without records of the type is NOERROR with no answers,
 *   both with the zone's SOA for negative caching), and for reverse lookups of cluster IPs and
 *   headless endpoint IPs. Everything else is `forward`.
 * - `<svc>.<ns>.svc.<zone>`: A = the cluster IP; for a headless service (`clusterIP: None`) one A per
 *   ready endpoint IP (plus not-ready ones when the service sets `publishNotReadyAddresses`).
 *   `<hostname>.<svc>.<ns>.svc.<zone>` resolves each endpoint of a headless service, the hostname
 *   being the endpoint's `hostname` or its IP with dashes.
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV for each named port (a plain `<svc>…` SRV query
 *   lists every named port): target the service name, or each endpoint's name for headless
 *   services, with the A records of the targets in the additional section.
 * - ExternalName services answer a CNAME to their external name (`alias`: the caller resolves the
 *   target and appends what it finds).
 * - `<a-b-c-d>.<ns>.pod.<zone>` A a.b.c.d (the deprecated pod records, kept for compatibility),
 *   `dns-version.<zone>` TXT, SOA and NS at the apex.
 * - Comparisons are case-insensitive; answers carry the question's name as asked. IPv6 is not
 *   served: AAAA queries for existing names get no answers.
 */

export type DnsRecordType = 'A' | 'SRV' | 'PTR' | 'CNAME' | 'TXT' | 'SOA' | 'NS';

export interface DnsSrv {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

export interface DnsSoa {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export type DnsRecord =
  | {
      readonly name: string;
      readonly type: 'A' | 'PTR' | 'CNAME' | 'NS';
      readonly ttl: number;
      readonly data: string;
    }
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly data: readonly string[] }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly data: DnsSrv }
  | { readonly name: string; readonly type: 'SOA'; readonly ttl: number; readonly data: DnsSoa };

export type DnsRcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';

export type DnsLookup =
  | {
      readonly kind: 'answer';
      readonly rcode: DnsRcode;
      readonly answers: readonly DnsRecord[];
      readonly authorities: readonly DnsRecord[];
      readonly additionals: readonly DnsRecord[];
    }
  /** The name is an alias (ExternalName): `answers` holds the CNAME; resolve `target` for `type`. */
  | { readonly kind: 'alias'; readonly answers: readonly DnsRecord[]; readonly target: string }
  | { readonly kind: 'forward' };

export interface DnsServiceInput {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly externalName?: string;
    readonly publishNotReadyAddresses?: boolean;
    readonly ports?: readonly {
      readonly name?: string;
      readonly protocol?: string;
      readonly port?: number;
    }[];
  };
}

export interface DnsEndpointsInput {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly subsets?: readonly {
    readonly addresses?: readonly { readonly ip?: string; readonly hostname?: string }[];
    readonly notReadyAddresses?: readonly { readonly ip?: string; readonly hostname?: string }[];
    readonly ports?: readonly {
      readonly name?: string;
      readonly protocol?: string;
      readonly port?: number;
    }[];
  }[];
}

export interface ClusterDnsZoneOptions {
  /** Default `cluster.local`. */
  readonly clusterDomain?: string;
  /** TTL of every answer, in seconds; default 5 (CoreDNS's kubernetes plugin default). */
  readonly ttl?: number;
}

/** The schema version of the specification these records follow. */
export const DNS_SCHEMA_VERSION = '1.1.0';

interface EndpointName {
  readonly hostname: string;
  readonly ip: string;
}

interface ServiceEntry {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'cluster-ip' | 'headless' | 'external-name';
  readonly clusterIP: string;
  readonly externalName: string;
  /** Named ports, lower case, with their numbers on the service. */
  readonly servicePorts: readonly {
    readonly name: string;
    readonly protocol: string;
    readonly port: number;
  }[];
  readonly endpoints: readonly EndpointName[];
  /** Headless only: per port name and protocol, the endpoint port numbers by endpoint IP. */
  readonly endpointPorts: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export class ClusterDnsZone {
  readonly clusterDomain: string;
  private readonly ttl: number;
  private readonly services = new Map<string, ServiceEntry>();
  private readonly namespaces = new Set<string>();
  private readonly reverse = new Map<string, string>();
  private readonly soa: DnsRecord;

  constructor(
    services: readonly DnsServiceInput[],
    endpoints: readonly DnsEndpointsInput[],
    options: ClusterDnsZoneOptions = {},
  ) {
    this.clusterDomain = normalise(options.clusterDomain ?? 'cluster.local');
    this.ttl = options.ttl ?? 5;
    this.soa = {
      name: this.clusterDomain,
      type: 'SOA',
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${this.clusterDomain}`,
        rname: `hostmaster.${this.clusterDomain}`,
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        // Negative answers are cached for this long: short, so a new service resolves quickly.
        minimum: this.ttl,
      },
    };
    const endpointsByKey = new Map<string, DnsEndpointsInput>();
    for (const ep of endpoints) {
      endpointsByKey.set(`${lower(ep.metadata?.namespace)}/${lower(ep.metadata?.name)}`, ep);
    }
    for (const service of services) {
      const entry = serviceEntry(service, endpointsByKey);
      if (!entry) continue;
      this.services.set(`${entry.name}.${entry.namespace}`, entry);
      this.namespaces.add(entry.namespace);
      const fqdn = `${entry.name}.${entry.namespace}.svc.${this.clusterDomain}`;
      if (entry.kind === 'cluster-ip') this.reverse.set(entry.clusterIP, fqdn);
      if (entry.kind === 'headless') {
        for (const ep of entry.endpoints) {
          if (!this.reverse.has(ep.ip)) this.reverse.set(ep.ip, `${ep.hostname}.${fqdn}`);
        }
      }
    }
  }

  /** Whether `name` is inside the cluster domain (the zone answers it authoritatively). */
  isInZone(name: string): boolean {
    const n = normalise(name);
    return n === this.clusterDomain || n.endsWith(`.${this.clusterDomain}`);
  }

  lookup(name: string, type: string): DnsLookup {
    const asked = name.replace(/\.$/, '');
    const n = normalise(asked);
    const qtype = type.toUpperCase();
    if (n.endsWith('.in-addr.arpa')) return this.lookupReverse(asked, n, qtype);
    if (!this.isInZone(n)) return { kind: 'forward' };
    const labels = n === this.clusterDomain ? [] : n.slice(0, -this.clusterDomain.length - 1).split('.');
    const top = labels.at(-1);
    if (labels.length === 0) return this.apex(asked, qtype);
    if (labels.length === 1 && labels[0] === 'dns-version') {
      return this.records(qtype === 'TXT' || qtype === 'ANY' ? [txt(asked, this.ttl)] : []);
    }
    if (top === 'svc') return this.lookupService(asked, labels.slice(0, -1), qtype);
    if (top === 'pod') return this.lookupPod(asked, labels.slice(0, -1), qtype);
    return this.nxdomain();
  }

  private apex(asked: string, qtype: string): DnsLookup {
    if (qtype === 'SOA') return this.records([{ ...this.soa, name: asked }]);
    if (qtype === 'NS') {
      return this.records([{ name: asked, type: 'NS', ttl: this.ttl, data: `ns.dns.${this.clusterDomain}` }]);
    }
    return this.records([]);
  }

  private lookupService(asked: string, labels: readonly string[], qtype: string): DnsLookup {
    if (labels.length === 0) return this.records([]);
    if (labels.length === 1) return this.namespaces.has(labels[0]) ? this.records([]) : this.nxdomain();
    const [namespace, serviceName] = [labels.at(-1)!, labels.at(-2)!];
    const service = this.services.get(`${serviceName}.${namespace}`);
    if (!service) return this.nxdomain();
    const rest = labels.slice(0, -2);
    const fqdn = `${service.name}.${service.namespace}.svc.${this.clusterDomain}`;

    if (rest.length === 0) {
      if (service.kind === 'external-name') {
        const cname: DnsRecord = { name: asked, type: 'CNAME', ttl: this.ttl, data: service.externalName };
        if (qtype === 'CNAME') return this.records([cname]);
        return { kind: 'alias', answers: [cname], target: service.externalName };
      }
      if (qtype === 'A' || qtype === 'ANY') return this.records(this.addressesOf(service, asked));
      if (qtype === 'SRV') return this.srv(asked, service, fqdn, undefined);
      return this.records([]);
    }
    if (rest.length === 1 && service.kind === 'headless') {
      const matching = service.endpoints.filter((ep) => ep.hostname === rest[0]);
      if (matching.length === 0) return this.nxdomain();
      if (qtype !== 'A' && qtype !== 'ANY') return this.records([]);
      return this.records(uniqueIPs(matching).map((ip) => a(asked, ip, this.ttl)));
    }
    if (rest.length === 2 && rest[0].startsWith('_') && rest[1].startsWith('_')) {
      const portName = rest[0].slice(1);
      const protocol = rest[1].slice(1);
      const exists = service.servicePorts.some((p) => p.name === portName && p.protocol === protocol);
      if (!exists || service.kind === 'external-name') return this.nxdomain();
      if (qtype !== 'SRV' && qtype !== 'ANY') return this.records([]);
      return this.srv(asked, service, fqdn, { name: portName, protocol });
    }
    return this.nxdomain();
  }

  private addressesOf(service: ServiceEntry, asked: string): DnsRecord[] {
    if (service.kind === 'cluster-ip') return [a(asked, service.clusterIP, this.ttl)];
    return uniqueIPs(service.endpoints).map((ip) => a(asked, ip, this.ttl));
  }

  private srv(
    asked: string,
    service: ServiceEntry,
    fqdn: string,
    only: { name: string; protocol: string } | undefined,
  ): DnsLookup {
    const ports = service.servicePorts.filter(
      (p) => only === undefined || (p.name === only.name && p.protocol === only.protocol),
    );
    const answers: DnsRecord[] = [];
    const additionals = new Map<string, DnsRecord>();
    for (const port of ports) {
      if (service.kind === 'cluster-ip') {
        answers.push(srvRecord(asked, this.ttl, 100, port.port, fqdn));
        additionals.set(`${fqdn} ${service.clusterIP}`, a(fqdn, service.clusterIP, this.ttl));
        continue;
      }
      const byIP = service.endpointPorts.get(`${port.name}/${port.protocol}`) ?? new Map<string, number>();
      const targets = service.endpoints.filter((ep) => byIP.has(ep.ip));
      // Equal shares of 100, as CoreDNS weights the records of one port.
      const weight = Math.max(1, Math.floor(100 / Math.max(1, targets.length)));
      for (const ep of targets) {
        const target = `${ep.hostname}.${fqdn}`;
        answers.push(srvRecord(asked, this.ttl, weight, byIP.get(ep.ip)!, target));
        additionals.set(`${target} ${ep.ip}`, a(target, ep.ip, this.ttl));
      }
    }
    return this.records(answers, [...additionals.values()]);
  }

  private lookupPod(asked: string, labels: readonly string[], qtype: string): DnsLookup {
    if (labels.length <= 1) return this.records([]);
    if (labels.length !== 2) return this.nxdomain();
    const ip = labels[0].replace(/-/g, '.');
    if (!IPV4.test(ip)) return this.nxdomain();
    return this.records(qtype === 'A' || qtype === 'ANY' ? [a(asked, ip, this.ttl)] : []);
  }

  private lookupReverse(asked: string, n: string, qtype: string): DnsLookup {
    const octets = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4) return { kind: 'forward' };
    const target = this.reverse.get(octets.reverse().join('.'));
    if (target === undefined) return { kind: 'forward' };
    if (qtype !== 'PTR' && qtype !== 'ANY') return this.records([]);
    return this.records([{ name: asked, type: 'PTR', ttl: this.ttl, data: target }]);
  }

  private records(answers: DnsRecord[], additionals: DnsRecord[] = []): DnsLookup {
    return {
      kind: 'answer',
      rcode: 'NOERROR',
      answers,
      authorities: answers.length === 0 ? [this.soa] : [],
      additionals,
    };
  }

  private nxdomain(): DnsLookup {
    return { kind: 'answer', rcode: 'NXDOMAIN', answers: [], authorities: [this.soa], additionals: [] };
  }
}

function serviceEntry(
  service: DnsServiceInput,
  endpointsByKey: ReadonlyMap<string, DnsEndpointsInput>,
): ServiceEntry | undefined {
  const namespace = lower(service.metadata?.namespace);
  const name = lower(service.metadata?.name);
  const spec = service.spec;
  if (!namespace || !name || !spec) return undefined;
  const servicePorts = (spec.ports ?? [])
    .filter((p) => p.name && Number.isInteger(p.port))
    .map((p) => ({ name: lower(p.name), protocol: lower(p.protocol || 'TCP'), port: p.port! }));
  const base = { namespace, name, servicePorts, clusterIP: '', externalName: '' };
  if (spec.type === 'ExternalName') {
    const externalName = (spec.externalName ?? '').replace(/\.$/, '');
    if (!externalName) return undefined;
    return { ...base, kind: 'external-name', externalName, endpoints: [], endpointPorts: new Map() };
  }
  const clusterIP = spec.clusterIP ?? '';
  if (IPV4.test(clusterIP)) {
    return { ...base, kind: 'cluster-ip', clusterIP, endpoints: [], endpointPorts: new Map() };
  }
  if (clusterIP !== 'None') return undefined;
  const endpoints: EndpointName[] = [];
  const endpointPorts = new Map<string, Map<string, number>>();
  const seen = new Set<string>();
  for (const subset of endpointsByKey.get(`${namespace}/${name}`)?.subsets ?? []) {
    const addresses = [
      ...(subset.addresses ?? []),
      ...(spec.publishNotReadyAddresses ? (subset.notReadyAddresses ?? []) : []),
    ];
    for (const address of addresses) {
      const ip = address.ip ?? '';
      if (!IPV4.test(ip)) continue;
      const hostname = lower(address.hostname) || ip.replace(/\./g, '-');
      if (!seen.has(`${hostname} ${ip}`)) endpoints.push({ hostname, ip });
      seen.add(`${hostname} ${ip}`);
      for (const port of subset.ports ?? []) {
        if (!port.name || !Number.isInteger(port.port)) continue;
        const key = `${lower(port.name)}/${lower(port.protocol || 'TCP')}`;
        if (!endpointPorts.has(key)) endpointPorts.set(key, new Map());
        endpointPorts.get(key)!.set(ip, port.port!);
      }
    }
  }
  endpoints.sort((x, y) => compareIPs(x.ip, y.ip) || (x.hostname < y.hostname ? -1 : 1));
  return { ...base, kind: 'headless', endpoints, endpointPorts };
}

function a(name: string, ip: string, ttl: number): DnsRecord {
  return { name, type: 'A', ttl, data: ip };
}

function txt(name: string, ttl: number): DnsRecord {
  return { name, type: 'TXT', ttl, data: [DNS_SCHEMA_VERSION] };
}

function srvRecord(name: string, ttl: number, weight: number, port: number, target: string): DnsRecord {
  return { name, type: 'SRV', ttl, data: { priority: 0, weight, port, target } };
}

function uniqueIPs(endpoints: readonly EndpointName[]): string[] {
  return [...new Set(endpoints.map((ep) => ep.ip))];
}

function lower(value: string | undefined): string {
  return (value ?? '').toLowerCase();
}

function normalise(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function compareIPs(x: string, y: string): number {
  const px = x.split('.').map(Number);
  const py = y.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (px[i] !== py[i]) return px[i] - py[i];
  return 0;
}
