/**
 * The proxy against real netfilter, inside network namespaces this test creates and always deletes
 * (the topology is drawn in testing/netns-lab.ts). The proxier's iptables runner is bound to the
 * node namespace, so nothing here reads or writes the host's own rules.
 */
import { Iptables, IptablesError } from './iptables.js';
import { Proxier } from './proxier.js';
import type { ProxySnapshot } from './proxier.js';
import { BUILTIN_JUMPS, parseIptablesSave } from './ruleset.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import {
  LAB_NODE_IP as NODE_IP,
  LAB_NODE_IP_TOWARDS_CLIENT as NODE_IP_TOWARDS_CLIENT,
  answers,
  connect,
  createNetnsLab,
  inNs,
  labNames,
  netnsPrerequisitesMissing,
} from './testing/netns-lab.js';
import type { NetnsLab } from './testing/netns-lab.js';

const NAMES = labNames('kubicle-proxy-test');
const NODE_NS = NAMES.nodeNs;
const CLIENT_NS = NAMES.clientNs;
const POD_IPS = [...NAMES.podIPs];
const EXTERNAL_IP = '192.168.77.50';

const WEB_IP = '10.96.0.20';
const STICKY_IP = '10.96.0.21';
const EMPTY_IP = '10.96.0.30';
const DNS_IP = '10.96.0.53';
const WEB_NODE_PORT = 30080;
const EMPTY_NODE_PORT = 30081;

const missing = netnsPrerequisitesMissing();
if (missing) console.warn(`skipping proxier integration test: ${missing}`);
const describeIfPossible = missing ? describe.skip : describe;

function service(name: string, spec: NonNullable<ServiceInput['spec']>): ServiceInput {
  return { metadata: { namespace: 'default', name }, spec };
}

function endpointsOf(
  name: string,
  ips: string[],
  ports: { name: string; port: number; protocol?: string }[],
) {
  return {
    metadata: { namespace: 'default', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }],
  } satisfies EndpointsInput;
}

function clusterSnapshot(webBackends: string[]): ProxySnapshot {
  return {
    services: [
      service('web', {
        type: 'NodePort',
        clusterIP: WEB_IP,
        externalIPs: [EXTERNAL_IP],
        ports: [{ name: 'http', port: 80, nodePort: WEB_NODE_PORT }],
      }),
      service('sticky', {
        clusterIP: STICKY_IP,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        ports: [{ name: 'http', port: 80 }],
      }),
      service('empty', {
        type: 'NodePort',
        clusterIP: EMPTY_IP,
        ports: [{ port: 80, nodePort: EMPTY_NODE_PORT }],
      }),
      service('dns', { clusterIP: DNS_IP, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpoints: [
      endpointsOf('web', webBackends, [{ name: 'http', port: 8080 }]),
      endpointsOf('sticky', POD_IPS, [{ name: 'http', port: 8080 }]),
      endpointsOf('dns', POD_IPS, [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
      { metadata: { namespace: 'default', name: 'empty' }, subsets: [] },
    ],
  };
}

describeIfPossible('Proxier on real iptables in private network namespaces', () => {
  let lab: NetnsLab | undefined;
  const iptables = new Iptables({ netns: NODE_NS });
  const proxier = new Proxier(iptables);

  beforeAll(async () => {
    lab = await createNetnsLab(NAMES);
    await proxier.prepareHost();
    await proxier.sync(clusterSnapshot(POD_IPS));
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('set the sysctls inside the node namespace', async () => {
    expect((await inNs(NODE_NS, 'cat', '/proc/sys/net/ipv4/conf/all/route_localnet')).trim()).toBe('1');
    expect((await inNs(NODE_NS, 'cat', '/proc/sys/net/ipv4/ip_forward')).trim()).toBe('1');
  });

  it('hooks each builtin chain exactly once, in the text iptables-save prints back', async () => {
    // A second full sync reads the real tables: the jumps found there must not be inserted again.
    const result = await proxier.sync(clusterSnapshot(POD_IPS), { full: true });
    expect(result.ruleset).not.toContain('\n-I ');
    for (const jump of BUILTIN_JUMPS) {
      const rules = parseIptablesSave(await iptables.save(jump.table)).get(jump.table)!.rules;
      expect(rules.filter((r) => r === `-A ${jump.from} ${jump.spec}`)).toHaveLength(1);
    }
  });

  it('reaches all three backends through the cluster IP from the node itself', async () => {
    const attempts = await connect(NODE_NS, WEB_IP, 80, 30);
    expect(answers(attempts)).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('reaches all three backends through the cluster IP from another namespace (PREROUTING)', async () => {
    const attempts = await connect(CLIENT_NS, WEB_IP, 80, 30);
    expect(answers(attempts)).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it.each([
    ['the node IP', NODE_NS, NODE_IP],
    ['127.0.0.1', NODE_NS, '127.0.0.1'],
    ['the node address facing another namespace', CLIENT_NS, NODE_IP_TOWARDS_CLIENT],
  ])('answers on the NodePort at %s', async (_, ns, address) => {
    const attempts = await connect(ns, address, WEB_NODE_PORT, 10);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('answers on the external IP', async () => {
    const attempts = await connect(NODE_NS, EXTERNAL_IP, 80, 5);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('keeps a client on one backend with ClientIP affinity', async () => {
    const attempts = await connect(NODE_NS, STICKY_IP, 80, 15);
    expect(answers(attempts).size).toBe(1);
    expect([...answers(attempts)][0]).toMatch(/^pod\d$/);
  });

  it('proxies UDP', async () => {
    const attempts = await connect(NODE_NS, DNS_IP, 53, 10, 'udp');
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it.each([
    ['the cluster IP from the node', NODE_NS, EMPTY_IP, 80],
    ['the cluster IP from another namespace', CLIENT_NS, EMPTY_IP, 80],
    ['the NodePort on the node IP', NODE_NS, NODE_IP, EMPTY_NODE_PORT],
    ['the NodePort from another namespace', CLIENT_NS, NODE_IP_TOWARDS_CLIENT, EMPTY_NODE_PORT],
  ])('refuses a service without endpoints at once: %s', async (_, ns, address, port) => {
    const [attempt] = await connect(ns, address, port);
    expect(attempt.error).toBe('ECONNREFUSED');
    expect(attempt.ms).toBeLessThan(1000);
  });

  it('takes removed endpoints out of rotation and deletes their chains', async () => {
    const result = await proxier.sync(clusterSnapshot([POD_IPS[1]]));
    expect(result).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(result.deletedChains).toHaveLength(2);
    const attempts = await connect(NODE_NS, WEB_IP, 80, 20);
    expect(answers(attempts)).toEqual(new Set(['pod1']));
    await proxier.sync(clusterSnapshot(POD_IPS));
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('rejects a broken restore with iptables message and keeps the rules in place', async () => {
    const before = await iptables.save('nat');
    const broken = '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-DOESNOTEXIST0000\nCOMMIT\n';
    const error = await iptables.restore(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IptablesError);
    expect((error as IptablesError).message).toMatch(/KUBE-SVC-DOESNOTEXIST0000|line/);
    const withoutComments = (text: string) => text.replace(/^#.*\n/gm, '');
    expect(withoutComments(await iptables.save('nat'))).toBe(withoutComments(before));
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 5)).size).toBeGreaterThan(0);
  });

  it('cleans up every chain and jump of its own', async () => {
    await proxier.cleanup();
    for (const table of ['nat', 'filter'] as const) {
      expect(await iptables.save(table)).not.toContain('KUBE-');
    }
    const [attempt] = await connect(NODE_NS, WEB_IP, 80);
    expect(attempt.answer).toBeUndefined();
  });
});
