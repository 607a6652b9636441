import {
  buildNftRuleset,
  hashAndTruncate,
  nftAffinitySetName,
  nftEndpointChainName,
  nftServiceChainName,
  planNftRuleset,
} from './nftables-ruleset.js';
import type { NftRulesetInput } from './nftables-ruleset.js';
import { collectServicePorts } from './ruleset.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';

function service(name: string, spec: NonNullable<ServiceInput['spec']>, status?: ServiceInput['status']) {
  return { metadata: { namespace: 'ns1', name }, spec, ...(status ? { status } : {}) } satisfies ServiceInput;
}

function endpoints(name: string, ips: string[], port = 80, portName = 'p80'): EndpointsInput {
  return {
    metadata: { namespace: 'ns1', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: portName, port }] }],
  };
}

const svc1 = (extra: Partial<NonNullable<ServiceInput['spec']>> = {}, status?: ServiceInput['status']) =>
  service(
    'svc1',
    { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], ...extra },
    status,
  );

// Upstream kube-proxy's own tests expect these names for ns1/svc1:p80 and its endpoint 10.180.0.1:80.
const SVC = 'service-ULMVA6XW-ns1/svc1/tcp/p80';
const EXT = 'external-ULMVA6XW-ns1/svc1/tcp/p80';
const EP1 = 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80';

/** The rules of one chain in the script's table block. */
function chainRules(text: string, chain: string): string[] | undefined {
  const lines = text.split('\n');
  const start = lines.indexOf(`\tchain ${chain} {`);
  if (start < 0) return undefined;
  const end = lines.indexOf('\t}', start);
  return lines
    .slice(start + 1, end)
    .map((l) => l.trim())
    .filter((l) => !l.startsWith('type '));
}

/** The elements of one map or set in the script's table block. */
function elementsOf(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `\tmap ${name} {` || l === `\tset ${name} {`);
  const end = lines.indexOf('\t}', start);
  return lines
    .slice(start + 1, end)
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => !/^(type |elements = \{|\})/.test(l));
}

describe('nftables chain names', () => {
  const sp = collectServicePorts([svc1()], [endpoints('svc1', ['10.180.0.1'])])[0];

  it('are upstream kube-proxy nftables names', () => {
    expect(nftServiceChainName(sp)).toBe(SVC);
    expect(nftEndpointChainName(sp, '10.180.0.1:80')).toBe(EP1);
    expect(nftAffinitySetName(sp, '10.180.0.1:80')).toBe('affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  });

  it('keep every name within nft limits, however long the parts', () => {
    const long = 'a'.repeat(63);
    const name = hashAndTruncate(`${long}/${long}/sctp/${long}__10.100.100.100/65535`);
    expect(name.length).toBe(205);
    expect(name.endsWith('...')).toBe(true);
    expect(hashAndTruncate('x')).toMatch(/^[A-Z2-7]{8}-x$/);
  });
});

describe('planNftRuleset', () => {
  const base = { services: [svc1()], endpoints: [endpoints('svc1', ['10.180.0.1', '10.180.0.2'])] };

  it('replaces the whole table in one transaction when nothing is known about it', () => {
    const text = buildNftRuleset(base);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'add table ip kubicle',
      'delete table ip kubicle',
      'table ip kubicle {',
    ]);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it.each([
    ['filter-input', 'type filter hook input priority -110; policy accept;'],
    ['filter-forward', 'type filter hook forward priority -110; policy accept;'],
    ['filter-output', 'type filter hook output priority -110; policy accept;'],
    ['nat-prerouting', 'type nat hook prerouting priority -100; policy accept;'],
    ['nat-output', 'type nat hook output priority -100; policy accept;'],
    ['nat-postrouting', 'type nat hook postrouting priority 100; policy accept;'],
  ])('hooks %s as upstream (%s)', (chain, spec) => {
    expect(buildNftRuleset(base)).toContain(`\tchain ${chain} {\n\t\t${spec}\n`);
  });

  it.each<[string, NftRulesetInput, string, string[]]>([
    [
      'a cluster IP with two endpoints',
      base,
      SVC,
      [
        'numgen random mod 2 == 0 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
        `goto endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80`,
      ],
    ],
    [
      'the endpoint chain: hairpin masquerade, then DNAT',
      base,
      EP1,
      ['ip saddr 10.180.0.1 jump mark-for-masquerade', 'meta l4proto tcp dnat to 10.180.0.1:80'],
    ],
    [
      'off-cluster clients masqueraded with a cluster CIDR',
      { ...base, options: { clusterCIDR: '10.0.0.0/8' } },
      SVC,
      [
        'ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
        'numgen random mod 2 == 0 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
        'goto endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80',
      ],
    ],
    [
      'all cluster-IP traffic masqueraded with masqueradeAll',
      {
        services: base.services,
        endpoints: [endpoints('svc1', ['10.180.0.1'])],
        options: { masqueradeAll: true },
      },
      SVC,
      ['ip daddr 172.30.0.41 tcp dport 80 jump mark-for-masquerade', `goto ${EP1}`],
    ],
    [
      'ClientIP affinity: sticky lookups before the random pick',
      {
        services: [
          svc1({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
        ],
        endpoints: [endpoints('svc1', ['10.180.0.1'])],
      },
      SVC,
      [`ip saddr @affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 goto ${EP1}`, `goto ${EP1}`],
    ],
    [
      'ClientIP affinity: the endpoint records the client',
      {
        services: [
          svc1({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
        ],
        endpoints: [endpoints('svc1', ['10.180.0.1'])],
      },
      EP1,
      [
        'ip saddr 10.180.0.1 jump mark-for-masquerade',
        'update @affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 { ip saddr } meta l4proto tcp dnat to 10.180.0.1:80',
      ],
    ],
    [
      'external traffic is masqueraded before the service chain',
      {
        services: [svc1({ type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 3001 }] })],
        endpoints: base.endpoints,
      },
      EXT,
      ['jump mark-for-masquerade', `goto ${SVC}`],
    ],
    [
      'masquerading by mark, with a custom bit and fully-random',
      { ...base, options: { masqueradeBit: 2, masqueradeRandomFully: true } },
      'masquerading',
      ['meta mark & 0x4 == 0 return', 'meta mark set meta mark ^ 0x4', 'masquerade fully-random'],
    ],
    [
      'NodePorts on every local address without node IPs',
      base,
      'services',
      [
        'ip daddr . meta l4proto . th dport vmap @service-ips',
        'fib daddr type local meta l4proto . th dport vmap @service-nodeports',
      ],
    ],
    [
      'NodePorts only on the node IPs when given',
      { ...base, nodeIPs: ['192.168.1.5'] },
      'services',
      [
        'ip daddr . meta l4proto . th dport vmap @service-ips',
        'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
      ],
    ],
    [
      'no localhost NodePorts when disabled',
      { ...base, options: { localhostNodePorts: false } },
      'nodeport-endpoints-check',
      ['fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports'],
    ],
  ])('writes %s', (_, input, chain, rules) => {
    expect(chainRules(buildNftRuleset(input), chain)).toEqual(rules);
  });

  it.each<[string, NftRulesetInput, string, string[]]>([
    [
      'cluster, external and load-balancer IPs to the service or external chain',
      {
        services: [
          svc1(
            {
              type: 'LoadBalancer',
              externalIPs: ['192.168.99.11'],
              ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
            },
            { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8', ipMode: 'Proxy' }] } },
          ),
        ],
        endpoints: base.endpoints,
      },
      'service-ips',
      [
        `172.30.0.41 . tcp . 80 : goto ${SVC}`,
        `192.168.99.11 . tcp . 80 : goto ${EXT}`,
        `1.2.3.4 . tcp . 80 : goto ${EXT}`,
      ],
    ],
    [
      'the NodePort to the external chain',
      {
        services: [svc1({ type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 3001 }] })],
        endpoints: base.endpoints,
      },
      'service-nodeports',
      [`tcp . 3001 : goto ${EXT}`],
    ],
    [
      'a service without endpoints to the reject chain',
      {
        services: [
          svc1({
            type: 'NodePort',
            externalIPs: ['192.168.99.11'],
            ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
          }),
        ],
        endpoints: [],
      },
      'no-endpoint-services',
      ['172.30.0.41 . tcp . 80 : goto reject-chain', '192.168.99.11 . tcp . 80 : goto reject-chain'],
    ],
    [
      'the NodePort of a service without endpoints to the reject chain',
      {
        services: [svc1({ type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 3001 }] })],
        endpoints: [],
      },
      'no-endpoint-nodeports',
      ['tcp . 3001 : goto reject-chain'],
    ],
    [
      'one key per address and port: the first service port in sorted order wins',
      {
        services: [
          svc1({ externalIPs: ['192.168.99.11'] }),
          service('svc2', {
            clusterIP: '172.30.0.42',
            externalIPs: ['192.168.99.11'],
            ports: [{ name: 'p80', port: 80 }],
          }),
        ],
        endpoints: [endpoints('svc1', ['10.180.0.1']), endpoints('svc2', ['10.180.0.2'])],
      },
      'service-ips',
      [
        `172.30.0.41 . tcp . 80 : goto ${SVC}`,
        `192.168.99.11 . tcp . 80 : goto ${EXT}`,
        '172.30.0.42 . tcp . 80 : goto service-QCIBCZ4I-ns1/svc2/tcp/p80',
      ],
    ],
    [
      'the node IPs and loopback as NodePort addresses',
      { ...base, nodeIPs: ['192.168.1.5', '127.0.0.1', 'fe80::1'] },
      'nodeport-ips',
      ['192.168.1.5', '127.0.0.0/8'],
    ],
  ])('maps %s', (_, input, map, elements) => {
    expect(elementsOf(buildNftRuleset(input), map)).toEqual(elements);
  });

  it('leaves out services nft would reject and headless ones', () => {
    const plan = planNftRuleset({
      services: [
        svc1(),
        service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('v6', { clusterIP: 'fd00::1', ports: [{ port: 80 }] }),
        service('Bad_Name', { clusterIP: '172.30.0.50', ports: [{ port: 80 }] }),
      ],
      endpoints: base.endpoints,
    });
    expect(plan.servicePorts.map((sp) => sp.name)).toEqual(['ns1/svc1:p80']);
  });

  describe('syncs over a known table', () => {
    const first = planNftRuleset(base);
    const twoServices = {
      services: [
        ...base.services,
        service('svc2', { clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80 }] }),
      ],
      endpoints: [...base.endpoints, endpoints('svc2', ['10.180.0.3'])],
    };
    const installed = planNftRuleset(twoServices).installed;

    it('full: flushes the table and the maps, then writes everything', () => {
      const plan = planNftRuleset({ ...base, installed: first.installed });
      expect(plan.kind).toBe('full');
      expect(plan.text.split('\n').slice(0, 7)).toEqual([
        'add table ip kubicle',
        'flush table ip kubicle',
        'flush map ip kubicle service-ips',
        'flush map ip kubicle service-nodeports',
        'flush map ip kubicle no-endpoint-services',
        'flush map ip kubicle no-endpoint-nodeports',
        'flush set ip kubicle nodeport-ips',
      ]);
      expect(plan.writtenServicePorts).toBe(1);
      expect(plan.deleted).toEqual([]);
    });

    it('partial: rewrites only the changed service, deleting what it no longer needs', () => {
      const plan = planNftRuleset({
        services: twoServices.services,
        endpoints: [endpoints('svc1', ['10.180.0.1']), endpoints('svc2', ['10.180.0.3'])],
        installed,
        changedServices: new Set(['ns1/svc1']),
      });
      expect(plan.kind).toBe('partial');
      expect(plan.writtenServicePorts).toBe(1);
      expect(plan.deleted).toEqual(['endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80']);
      const lines = plan.text.split('\n');
      // Map elements point at chains: they must be gone before the chain is deleted.
      expect(lines.indexOf('flush map ip kubicle service-ips')).toBeLessThan(
        lines.indexOf('delete chain ip kubicle endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80'),
      );
      expect(lines).toContain(`flush chain ip kubicle ${SVC}`);
      expect(lines).toContain('flush chain ip kubicle services');
      expect(chainRules(plan.text, SVC)).toEqual([`goto ${EP1}`]);
      expect(chainRules(plan.text, 'service-QCIBCZ4I-ns1/svc2/tcp/p80')).toBeUndefined();
      // The maps are whole again, unchanged services included.
      expect(elementsOf(plan.text, 'service-ips')).toContain(
        '172.30.0.42 . tcp . 80 : goto service-QCIBCZ4I-ns1/svc2/tcp/p80',
      );
    });

    it('partial: writes an unchanged service whose chains are not all installed', () => {
      const plan = planNftRuleset({
        ...twoServices,
        installed: first.installed,
        changedServices: new Set(),
      });
      expect(plan.writtenServicePorts).toBe(1);
      expect(chainRules(plan.text, 'service-QCIBCZ4I-ns1/svc2/tcp/p80')).toBeDefined();
    });

    it('deletes the chains and affinity sets of a removed service', () => {
      const sticky = {
        services: [svc1({ sessionAffinity: 'ClientIP' })],
        endpoints: [endpoints('svc1', ['10.180.0.1'])],
      };
      const plan = planNftRuleset({
        services: [],
        endpoints: [],
        installed: planNftRuleset(sticky).installed,
        changedServices: new Set(),
      });
      expect(plan.deleted).toEqual([EP1, SVC, 'affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80']);
      const lines = plan.text.split('\n');
      // The service chain's gotos would keep the endpoint chain busy.
      expect(lines.indexOf(`flush chain ip kubicle ${SVC}`)).toBeGreaterThan(-1);
      expect(lines.indexOf(`flush chain ip kubicle ${SVC}`)).toBeLessThan(
        lines.indexOf(`delete chain ip kubicle ${EP1}`),
      );
      expect(lines.indexOf(`delete chain ip kubicle ${EP1}`)).toBeLessThan(
        lines.indexOf('delete set ip kubicle affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80'),
      );
    });
  });

  it('is deterministic whatever the input order', () => {
    const a = buildNftRuleset({
      services: [svc1(), service('svc2', { clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80 }] })],
      endpoints: [endpoints('svc2', ['10.180.0.3']), endpoints('svc1', ['10.180.0.2', '10.180.0.1'])],
    });
    const b = buildNftRuleset({
      services: [service('svc2', { clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80 }] }), svc1()],
      endpoints: [endpoints('svc1', ['10.180.0.1', '10.180.0.2']), endpoints('svc2', ['10.180.0.3'])],
    });
    expect(a).toBe(b);
  });
});
