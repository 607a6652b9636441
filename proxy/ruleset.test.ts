import {
  buildRuleset,
  collectServicePorts,
  masqueradeMark,
  parseIptablesSave,
  planRuleset,
  probability,
} from './ruleset.js';
import type { V1Endpoints, V1Service } from '@kubernetes/client-node';
import type { EndpointsInput, RulesetInput, ServiceInput } from './ruleset.js';
import { rulesetProblems, tableSection } from './testing/ruleset-checks.js';

// Chain names for ns1/svc1:p80/tcp and its endpoints. The service chain and the first endpoint
// chain are the names kube-proxy's own tests expect for the same inputs.
const SVC = 'KUBE-SVC-XPGD46QRK7WJZT7O';
const EXT = 'KUBE-EXT-XPGD46QRK7WJZT7O';
const SEP1 = 'KUBE-SEP-SXIVWICOYRO3J4NJ'; // 10.180.0.1:80
const SEP2 = 'KUBE-SEP-LXVODXWDISEETFEF'; // 10.180.0.2:80
const SEP10 = 'KUBE-SEP-A6IB6ZRNSXM7OKSA'; // 10.180.0.10:80

function service(
  namespace: string,
  name: string,
  spec: NonNullable<ServiceInput['spec']>,
  status?: ServiceInput['status'],
): ServiceInput {
  return { metadata: { namespace, name }, spec, ...(status ? { status } : {}) };
}

function endpoints(
  namespace: string,
  name: string,
  ips: string[],
  ports: { name?: string; port: number; protocol?: string }[],
  notReady: string[] = [],
): EndpointsInput {
  return {
    metadata: { namespace, name },
    subsets: [
      {
        addresses: ips.map((ip) => ({ ip })),
        ...(notReady.length ? { notReadyAddresses: notReady.map((ip) => ({ ip })) } : {}),
        ports,
      },
    ],
  } as EndpointsInput;
}

const svc1 = (extra: Partial<NonNullable<ServiceInput['spec']>> = {}, status?: ServiceInput['status']) =>
  service(
    'ns1',
    'svc1',
    { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], ...extra },
    status,
  );
const svc1WithNodePort = (
  extra: Partial<NonNullable<ServiceInput['spec']>> = {},
  status?: ServiceInput['status'],
) =>
  svc1(
    { type: 'NodePort', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }], ...extra },
    status,
  );
const eps1 = (...ips: string[]) => endpoints('ns1', 'svc1', ips, [{ name: 'p80', port: 80 }]);

const EMPTY_CLUSTER = `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-FIREWALL - [0:0]
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-I FORWARD 1 -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-I INPUT 1 -j KUBE-FIREWALL
-I OUTPUT 1 -j KUBE-FIREWALL
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
COMMIT
`;

const BASE_LINES = new Set(EMPTY_CLUSTER.split('\n'));

/** The lines a scenario adds to an empty cluster's ruleset, in order, per table. */
function serviceLines(input: Partial<RulesetInput>): { filter: string[]; nat: string[] } {
  const text = build(input);
  return {
    filter: tableSection(text, 'filter').filter((l) => !BASE_LINES.has(l)),
    nat: tableSection(text, 'nat').filter((l) => !BASE_LINES.has(l)),
  };
}

function build(input: Partial<RulesetInput>): string {
  return buildRuleset({ services: [], endpoints: [], ...input });
}

describe('buildRuleset golden output', () => {
  it('writes only the fixed chains and the jumps from the builtin chains for an empty cluster', () => {
    expect(build({})).toBe(EMPTY_CLUSTER);
  });

  it('sends a ClusterIP with one endpoint straight to it, marking hairpin traffic', () => {
    expect(serviceLines({ services: [svc1()], endpoints: [eps1('10.180.0.1')] })).toEqual({
      filter: [],
      nat: [
        `:${SVC} - [0:0]`,
        `:${SEP1} - [0:0]`,
        `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
        `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${SEP1}`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
      ],
    });
  });

  it('spreads three endpoints with probabilities 1/3, 1/2 and the rest, in address order', () => {
    const lines = serviceLines({
      services: [svc1()],
      endpoints: [eps1('10.180.0.10', '10.180.0.2', '10.180.0.1')],
    });
    expect(lines.nat).toEqual([
      `:${SVC} - [0:0]`,
      `:${SEP1} - [0:0]`,
      `:${SEP2} - [0:0]`,
      `:${SEP10} - [0:0]`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.3333333333 -j ${SEP1}`,
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m statistic --mode random --probability 0.5000000000 -j ${SEP2}`,
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.10:80" -j ${SEP10}`,
      `-A ${SEP1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
      `-A ${SEP1} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
      `-A ${SEP2} -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`,
      `-A ${SEP2} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80`,
      `-A ${SEP10} -m comment --comment ns1/svc1:p80 -s 10.180.0.10 -j KUBE-MARK-MASQ`,
      `-A ${SEP10} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.10:80`,
    ]);
    expect(lines.filter).toEqual([]);
  });

  it('rejects a service without endpoints in the filter table and writes no nat chains for it', () => {
    expect(serviceLines({ services: [svc1()], endpoints: [eps1()] })).toEqual({
      filter: [
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
      ],
      nat: [],
    });
    // No Endpoints object at all means the same.
    expect(serviceLines({ services: [svc1()] }).filter).toHaveLength(1);
  });

  it('routes a NodePort through the external chain, which masquerades', () => {
    expect(serviceLines({ services: [svc1WithNodePort()], endpoints: [eps1('10.180.0.1')] }).nat).toEqual([
      `:${EXT} - [0:0]`,
      `:${SVC} - [0:0]`,
      `:${SEP1} - [0:0]`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
      `-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j ${EXT}`,
      `-A ${EXT} -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ`,
      `-A ${EXT} -j ${SVC}`,
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${SEP1}`,
      `-A ${SEP1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
      `-A ${SEP1} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
    ]);
  });

  it('rejects a NodePort without endpoints on every local address', () => {
    expect(serviceLines({ services: [svc1WithNodePort()] })).toEqual({
      filter: [
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
        '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT',
      ],
      nat: [],
    });
  });

  it('keeps ClientIP affinity with recent-module checks before the random choice, using the configured timeout', () => {
    const affinity = svc1({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
    });
    expect(serviceLines({ services: [affinity], endpoints: [eps1('10.180.0.1', '10.180.0.2')] }).nat).toEqual(
      [
        `:${SVC} - [0:0]`,
        `:${SEP1} - [0:0]`,
        `:${SEP2} - [0:0]`,
        `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
        `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --name ${SEP1} --rcheck --seconds 300 --reap -j ${SEP1}`,
        `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m recent --name ${SEP2} --rcheck --seconds 300 --reap -j ${SEP2}`,
        `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j ${SEP1}`,
        `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${SEP2}`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -m recent --name ${SEP1} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
        `-A ${SEP2} -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`,
        `-A ${SEP2} -m comment --comment ns1/svc1:p80 -m recent --name ${SEP2} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80`,
      ],
    );
  });

  it.each([
    [undefined, '10800'],
    [0, '10800'],
    [86401, '10800'],
    [1, '1'],
    [86400, '86400'],
  ])('uses affinity timeout %p as %s seconds', (timeoutSeconds, expected) => {
    const affinity = svc1({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds } },
    });
    const nat = serviceLines({ services: [affinity], endpoints: [eps1('10.180.0.1')] }).nat;
    expect(nat.find((l) => l.includes('--rcheck'))).toContain(`--seconds ${expected} --reap`);
  });

  it('captures external IPs into the external chain, and rejects them when there are no endpoints', () => {
    const withExternal = svc1({ externalIPs: ['192.168.99.12', '192.168.99.11', 'fd00::1'] });
    expect(
      serviceLines({ services: [withExternal], endpoints: [eps1('10.180.0.1')] }).nat.slice(0, 7),
    ).toEqual([
      `:${EXT} - [0:0]`,
      `:${SVC} - [0:0]`,
      `:${SEP1} - [0:0]`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j ${EXT}`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.12 --dport 80 -j ${EXT}`,
      `-A ${EXT} -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ`,
    ]);
    expect(serviceLines({ services: [withExternal] }).filter).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 192.168.99.12 --dport 80 -j REJECT',
    ]);
  });

  it('serves a LoadBalancer on its ingress IPs and node port, skipping Proxy-mode and hostname ingress', () => {
    const lb = svc1WithNodePort(
      { type: 'LoadBalancer' },
      {
        loadBalancer: {
          ingress: [
            { ip: '10.0.0.5' },
            { ip: '5.6.7.8', ipMode: 'Proxy' },
            { hostname: 'lb.example' } as never,
          ],
        },
      },
    );
    expect(serviceLines({ services: [lb], endpoints: [eps1('10.180.0.1')] }).nat.slice(3, 6)).toEqual([
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 10.0.0.5 --dport 80 -j ${EXT}`,
      `-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j ${EXT}`,
    ]);
    expect(serviceLines({ services: [lb] }).filter).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 10.0.0.5 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT',
    ]);
  });

  it('writes UDP services with the udp match and a udp-hashed chain', () => {
    const dns = service('ns2', 'dns', {
      clusterIP: '172.30.0.10',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    });
    const dnsEndpoints = endpoints(
      'ns2',
      'dns',
      ['10.180.0.5'],
      [{ name: 'dns', port: 53, protocol: 'UDP' }],
    );
    expect(serviceLines({ services: [dns], endpoints: [dnsEndpoints] }).nat).toEqual([
      ':KUBE-SVC-P2PEPPDBVJT3HIZY - [0:0]',
      ':KUBE-SEP-WMD2A65JY5ISE6RM - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "ns2/dns:dns cluster IP" -m udp -p udp -d 172.30.0.10 --dport 53 -j KUBE-SVC-P2PEPPDBVJT3HIZY',
      '-A KUBE-SVC-P2PEPPDBVJT3HIZY -m comment --comment "ns2/dns:dns -> 10.180.0.5:53" -j KUBE-SEP-WMD2A65JY5ISE6RM',
      '-A KUBE-SEP-WMD2A65JY5ISE6RM -m comment --comment ns2/dns:dns -s 10.180.0.5 -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-WMD2A65JY5ISE6RM -m comment --comment ns2/dns:dns -m udp -p udp -j DNAT --to-destination 10.180.0.5:53',
    ]);
  });

  it('writes SCTP services with the sctp match', () => {
    const sctp = service('ns3', 'sctp', {
      clusterIP: '172.30.0.12',
      ports: [{ name: 'p9', port: 9, protocol: 'SCTP' }],
    });
    const nat = serviceLines({
      services: [sctp],
      endpoints: [endpoints('ns3', 'sctp', ['10.180.0.7'], [{ name: 'p9', port: 9, protocol: 'SCTP' }])],
    }).nat;
    expect(nat).toContain(
      '-A KUBE-SERVICES -m comment --comment "ns3/sctp:p9 cluster IP" -m sctp -p sctp -d 172.30.0.12 --dport 9 -j KUBE-SVC-F6SZFNXYT6GNGGQS',
    );
    expect(nat).toContain(
      '-A KUBE-SEP-RIBQCBFA2WRBNZO3 -m comment --comment ns3/sctp:p9 -m sctp -p sctp -j DNAT --to-destination 10.180.0.7:9',
    );
  });
});

describe('buildRuleset endpoints', () => {
  it('matches Endpoints ports to service ports by name, across subsets', () => {
    const multi = service('ns1', 'multi', {
      clusterIP: '172.30.0.50',
      ports: [
        { name: 'http', port: 80 },
        { name: 'metrics', port: 9090 },
      ],
    });
    const multiEndpoints: EndpointsInput = {
      metadata: { namespace: 'ns1', name: 'multi' },
      subsets: [
        {
          addresses: [{ ip: '10.1.0.1' }],
          ports: [
            { name: 'metrics', port: 19090 },
            { name: 'http', port: 8080 },
          ],
        },
        { addresses: [{ ip: '10.1.0.2' }], ports: [{ name: 'http', port: 8081 }] },
      ],
    };
    const ports = collectServicePorts([multi], [multiEndpoints]);
    expect(ports.map((p) => [p.name, p.endpoints])).toEqual([
      ['ns1/multi:http', ['10.1.0.1:8080', '10.1.0.2:8081']],
      ['ns1/multi:metrics', ['10.1.0.1:19090']],
    ]);
  });

  it('matches an unnamed port to the unnamed Endpoints port', () => {
    const single = service('ns1', 'single', { clusterIP: '172.30.0.51', ports: [{ port: 80 }] });
    const ports = collectServicePorts([single], [endpoints('ns1', 'single', ['10.1.0.3'], [{ port: 8080 }])]);
    expect(ports).toEqual([expect.objectContaining({ name: 'ns1/single', endpoints: ['10.1.0.3:8080'] })]);
  });

  it('uses ready addresses only, drops duplicates and sorts numerically', () => {
    const eps: EndpointsInput = {
      metadata: { namespace: 'ns1', name: 'svc1' },
      subsets: [
        {
          addresses: [{ ip: '10.180.0.10' }, { ip: '10.180.0.9' }, { ip: '10.180.0.10' }, { ip: 'fd00::1' }],
          notReadyAddresses: [{ ip: '10.180.0.3' }],
          ports: [{ name: 'p80', port: 80 }],
        } as never,
        { addresses: [{ ip: '10.180.0.9' }], ports: [{ name: 'p80', port: 80 }] },
      ],
    };
    expect(collectServicePorts([svc1()], [eps])[0].endpoints).toEqual(['10.180.0.9:80', '10.180.0.10:80']);
  });

  it('does not mix up Endpoints of services with the same name in different namespaces', () => {
    const other = endpoints('other', 'svc1', ['10.9.9.9'], [{ name: 'p80', port: 80 }]);
    expect(collectServicePorts([svc1()], [other])[0].endpoints).toEqual([]);
  });
  it('takes @kubernetes/client-node Service and Endpoints objects as they are', () => {
    const typedService: V1Service = {
      metadata: { namespace: 'ns1', name: 'svc1' },
      spec: { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] },
    };
    const typedEndpoints: V1Endpoints = {
      metadata: { namespace: 'ns1', name: 'svc1' },
      subsets: [{ addresses: [{ ip: '10.180.0.1' }], ports: [{ name: 'p80', port: 80 }] }],
    };
    expect(build({ services: [typedService], endpoints: [typedEndpoints] })).toBe(
      build({ services: [svc1()], endpoints: [eps1('10.180.0.1')] }),
    );
  });
});

describe('buildRuleset skips what it cannot express instead of failing the whole restore', () => {
  it.each<[string, ServiceInput]>([
    ['a headless service', service('ns', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] })],
    ['a service without a cluster IP yet', service('ns', 'pending', { ports: [{ port: 80 }] })],
    ['an IPv6 service', service('ns', 'v6', { clusterIP: 'fd00::10', ports: [{ port: 80 }] })],
    [
      'an ExternalName service',
      service('ns', 'ext', { type: 'ExternalName', clusterIP: '172.30.0.9', ports: [{ port: 80 }] }),
    ],
    ['a port out of range', service('ns', 'badport', { clusterIP: '172.30.0.9', ports: [{ port: 70000 }] })],
    [
      'an unknown protocol',
      service('ns', 'icmp', { clusterIP: '172.30.0.9', ports: [{ port: 1, protocol: 'ICMP' }] }),
    ],
    [
      'a name iptables could not parse',
      service('ns', 'bad name"', { clusterIP: '172.30.0.9', ports: [{ port: 80 }] }),
    ],
    ['a service without spec', { metadata: { namespace: 'ns', name: 'nospec' } }],
  ])('%s', (_, bad) => {
    expect(build({ services: [bad, svc1()], endpoints: [eps1('10.180.0.1')] })).toBe(
      build({ services: [svc1()], endpoints: [eps1('10.180.0.1')] }),
    );
  });

  it('ignores a node port out of range but keeps the service', () => {
    const ports = collectServicePorts([svc1({ ports: [{ name: 'p80', port: 80, nodePort: 0 }] })], []);
    expect(ports[0].nodePort).toBe(0);
  });
});

describe('buildRuleset options', () => {
  it('masquerades all cluster IP traffic with masqueradeAll', () => {
    const nat = serviceLines({
      services: [svc1()],
      endpoints: [eps1('10.180.0.1')],
      options: { masqueradeAll: true },
    }).nat;
    expect(nat[3]).toBe(
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ`,
    );
  });

  it('masquerades cluster IP traffic from outside the cluster CIDR', () => {
    const nat = serviceLines({
      services: [svc1()],
      endpoints: [eps1('10.180.0.1')],
      options: { clusterCIDR: '10.0.0.0/8' },
    }).nat;
    expect(nat[3]).toBe(
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
    );
  });

  it('uses the configured masquerade bit everywhere the mark appears', () => {
    const text = build({ options: { masqueradeBit: 0, masqueradeRandomFully: true } });
    expect(text).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x1\n');
    expect(text).toContain('-A KUBE-POSTROUTING -m mark ! --mark 0x1/0x1 -j RETURN\n');
    expect(text).toContain('-j MASQUERADE --random-fully\n');
    expect(text).toContain('-m mark --mark 0x1/0x1 -j ACCEPT\n');
    expect(text).not.toContain('0x4000');
  });

  it('limits NodePorts to the node IPs and loopback when node IPs are given', () => {
    const nat = tableSection(
      build({ nodeIPs: ['192.168.1.20', '10.0.0.2', '192.168.1.20', 'fd00::2'] }),
      'nat',
    );
    expect(nat.filter((l) => l.endsWith('-j KUBE-NODEPORTS'))).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 10.0.0.2 -j KUBE-NODEPORTS',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.1.20 -j KUBE-NODEPORTS',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    ]);
  });

  it('keeps NodePorts off loopback when localhost NodePorts are disabled', () => {
    const all = tableSection(build({ options: { localhostNodePorts: false } }), 'nat');
    expect(all.filter((l) => l.endsWith('-j KUBE-NODEPORTS'))).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    ]);
    const listed = tableSection(
      build({ nodeIPs: ['10.0.0.2'], options: { localhostNodePorts: false } }),
      'nat',
    );
    expect(listed.filter((l) => l.endsWith('-j KUBE-NODEPORTS'))).toHaveLength(1);
  });

  it.each([[-1], [32], [1.5]])('refuses masquerade bit %p', (bit) => {
    expect(() => masqueradeMark(bit)).toThrow(RangeError);
  });
});

describe('buildRuleset against installed rules', () => {
  const installed = (nat: string, filter = '') =>
    parseIptablesSave(`*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${filter}COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${nat}COMMIT
`);

  it('flushes and deletes per-service chains that are no longer needed, and nothing else', () => {
    const existing = installed(`:DOCKER - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:${SVC} - [0:0]
:${SEP1} - [0:0]
:${SEP2} - [0:0]
:KUBE-SVC-OLDOLDOLDOLDOLDO - [0:0]
:KUBE-EXT-OLDOLDOLDOLDOLDO - [0:0]
:KUBE-FW-OLDOLDOLDOLDOLDO - [0:0]
:KUBE-SVL-OLDOLDOLDOLDOLDO - [0:0]
:MY-KUBE-SVC-X - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
`);
    const text = build({ services: [svc1()], endpoints: [eps1('10.180.0.1')], existing });
    const nat = tableSection(text, 'nat');
    expect(nat.filter((l) => l.startsWith('-X'))).toEqual([
      '-X KUBE-EXT-OLDOLDOLDOLDOLDO',
      '-X KUBE-FW-OLDOLDOLDOLDOLDO',
      `-X ${SEP2}`,
      '-X KUBE-SVC-OLDOLDOLDOLDOLDO',
      '-X KUBE-SVL-OLDOLDOLDOLDOLDO',
    ]);
    for (const chain of ['KUBE-EXT-OLDOLDOLDOLDOLDO', SEP2, 'KUBE-SVC-OLDOLDOLDOLDOLDO']) {
      expect(nat).toContain(`:${chain} - [0:0]`);
    }
    for (const foreign of ['DOCKER', 'KUBE-KUBELET-CANARY', 'MY-KUBE-SVC-X']) {
      expect(text).not.toMatch(new RegExp(`[: ]${foreign}\\b`));
    }
    expect(nat).not.toContain(`-X ${SEP1}`);
    expect(rulesetProblems(text, existing)).toEqual([]);
  });

  it('leaves a stale chain that a foreign chain still jumps to, rather than failing the restore', () => {
    const existing = installed(`:MINE - [0:0]
:KUBE-SVC-OLDOLDOLDOLDOLDO - [0:0]
-A MINE -j KUBE-SVC-OLDOLDOLDOLDOLDO
`);
    const text = build({ existing });
    expect(text).not.toContain('KUBE-SVC-OLDOLDOLDOLDOLDO');
  });

  it('does not insert jumps from builtin chains that are already there, however they are printed', () => {
    const existing = installed(
      `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment kubernetes-service-portals -j KUBE-SERVICES
-A POSTROUTING -j DOCKER-POSTROUTING
`,
      `-A INPUT -j KUBE-FIREWALL
`,
    );
    const text = build({ existing });
    const inserts = text.split('\n').filter((l) => l.startsWith('-I '));
    expect(inserts).toEqual([
      '-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-I FORWARD 1 -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-I OUTPUT 1 -j KUBE-FIREWALL',
      '-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ]);
  });
});

describe('buildRuleset partial sync', () => {
  const dns = service('ns2', 'dns', {
    clusterIP: '172.30.0.10',
    ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
  });
  const dnsEndpoints = endpoints('ns2', 'dns', ['10.180.0.5'], [{ name: 'dns', port: 53, protocol: 'UDP' }]);
  const input: RulesetInput = {
    services: [svc1WithNodePort(), dns],
    endpoints: [eps1('10.180.0.1'), dnsEndpoints],
  };
  const installed = parseIptablesSave(
    `*nat\n:KUBE-SERVICES - [0:0]\n:${EXT} - [0:0]\n:${SVC} - [0:0]\n:${SEP1} - [0:0]\n` +
      ':KUBE-SVC-P2PEPPDBVJT3HIZY - [0:0]\n:KUBE-SEP-WMD2A65JY5ISE6RM - [0:0]\nCOMMIT\n',
  );

  it('leaves the chains of unchanged services out but still captures their traffic', () => {
    const plan = planRuleset({ ...input, existing: installed, changedServices: new Set(['ns2/dns']) });
    const nat = tableSection(plan.text, 'nat');
    expect(nat.filter((l) => l.includes('XPGD46QRK7WJZT7O') || l.includes(SEP1))).toEqual([
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC}`,
      `-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j ${EXT}`,
    ]);
    expect(nat).toContain(':KUBE-SVC-P2PEPPDBVJT3HIZY - [0:0]');
    expect(plan.writtenServicePorts).toBe(1);
    expect(plan.deletedChains).toEqual([]);
    expect([...plan.activeChains.nat]).toEqual(
      expect.arrayContaining([EXT, SVC, SEP1, 'KUBE-SVC-P2PEPPDBVJT3HIZY']),
    );
    expect(rulesetProblems(plan.text, installed)).toEqual([]);
  });

  it('writes an unchanged service anyway when one of its chains is not installed', () => {
    const missingSep = parseIptablesSave(`*nat\n:${EXT} - [0:0]\n:${SVC} - [0:0]\nCOMMIT\n`);
    const plan = planRuleset({ ...input, existing: missingSep, changedServices: new Set() });
    expect(tableSection(plan.text, 'nat')).toContain(`:${SEP1} - [0:0]`);
    expect(plan.writtenServicePorts).toBe(2);
  });

  it('writes everything without a changed set, which is a full sync', () => {
    expect(planRuleset({ ...input, existing: installed }).writtenServicePorts).toBe(2);
    expect(buildRuleset({ ...input, existing: installed })).toBe(
      planRuleset({ ...input, existing: installed }).text,
    );
  });
});

describe('buildRuleset consistency', () => {
  const everything: RulesetInput = {
    services: [
      svc1WithNodePort(
        { type: 'LoadBalancer', externalIPs: ['192.168.99.11'], sessionAffinity: 'ClientIP' },
        { loadBalancer: { ingress: [{ ip: '10.0.0.5' }] } },
      ),
      service('ns2', 'dns', {
        clusterIP: '172.30.0.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
      service('ns2', 'empty', {
        type: 'NodePort',
        clusterIP: '172.30.0.11',
        externalIPs: ['192.168.99.12'],
        ports: [{ port: 80, nodePort: 3002 }],
      }),
    ],
    endpoints: [
      eps1('10.180.0.1', '10.180.0.2', '10.180.0.10'),
      endpoints(
        'ns2',
        'dns',
        ['10.180.0.5', '10.180.0.6'],
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53 },
        ],
      ),
    ],
    existing: parseIptablesSave(`*nat\n:KUBE-SEP-OLDOLDOLDOLDOLDO - [0:0]\nCOMMIT\n`),
    options: { clusterCIDR: '10.180.0.0/16' },
  };

  it.each<[string, Partial<RulesetInput>]>([
    ['an empty cluster', {}],
    ['one endpoint', { services: [svc1()], endpoints: [eps1('10.180.0.1')] }],
    ['no endpoints with node port', { services: [svc1WithNodePort()] }],
    ['every feature at once', everything],
  ])('jumps only to declared chains or builtin targets: %s', (_, input) => {
    expect(rulesetProblems(build(input), input.existing)).toEqual([]);
  });

  it('the checker itself catches a jump to an undeclared chain and a delete of a live chain', () => {
    const broken =
      '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-MISSING\n-X KUBE-SERVICES\nCOMMIT\n';
    expect(rulesetProblems(broken)).toEqual([
      'line 3: KUBE-SERVICES jumps to KUBE-SVC-MISSING, which is not a chain in table nat',
      '-X KUBE-SERVICES in nat but rules are appended to it',
    ]);
  });

  it('puts the jump to KUBE-NODEPORTS last in KUBE-SERVICES', () => {
    const rules = tableSection(build(everything), 'nat').filter((l) => l.startsWith('-A KUBE-SERVICES '));
    expect(rules.at(-1)).toContain('-j KUBE-NODEPORTS');
    expect(rules.filter((l) => l.includes('-j KUBE-NODEPORTS'))).toHaveLength(1);
  });

  it('does not depend on the order services and endpoints arrive in', () => {
    const shuffled: RulesetInput = {
      ...everything,
      services: [...everything.services].reverse(),
      endpoints: [...everything.endpoints].reverse().map((e) => ({
        ...e,
        subsets: e.subsets?.map((s) => ({ ...s, addresses: [...(s.addresses ?? [])].reverse() })),
      })),
    };
    expect(buildRuleset(shuffled)).toBe(buildRuleset(everything));
  });

  it('orders service ports by name then protocol', () => {
    expect(
      collectServicePorts(everything.services, everything.endpoints).map((p) => `${p.name}/${p.protocol}`),
    ).toEqual(['ns1/svc1:p80/tcp', 'ns2/dns:dns/udp', 'ns2/dns:dns-tcp/tcp', 'ns2/empty/tcp']);
  });
});

describe('probability', () => {
  it.each([
    [1, '1.0000000000'],
    [2, '0.5000000000'],
    [3, '0.3333333333'],
    [6, '0.1666666667'],
    [7, '0.1428571429'],
    [1000, '0.0010000000'],
  ])('formats 1/%i as %s, as upstream', (n, expected) => {
    expect(probability(n)).toBe(expected);
  });
});

describe('parseIptablesSave', () => {
  it('lists the chains and rules of every table in real iptables-save output', () => {
    const saved =
      parseIptablesSave(`# Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov 23 04:09:53 2026
*mangle
:PREROUTING ACCEPT [10:600]
COMMIT
# Completed on Mon Nov 23 04:09:53 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov 23 04:09:53 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
COMMIT
# Completed on Mon Nov 23 04:09:53 2026
`);
    expect([...saved.keys()]).toEqual(['mangle', 'nat']);
    expect([...saved.get('nat')!.chains]).toEqual([
      'PREROUTING',
      'INPUT',
      'OUTPUT',
      'POSTROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-XPGD46QRK7WJZT7O',
    ]);
    expect(saved.get('nat')!.rules).toEqual([
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    ]);
    expect(saved.get('mangle')!.rules).toEqual([]);
  });

  it('reads empty output (a table never used in this namespace) as no tables', () => {
    expect(parseIptablesSave('').size).toBe(0);
  });
});
