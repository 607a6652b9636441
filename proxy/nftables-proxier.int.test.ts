/**
 * The nftables proxier against real netfilter, inside network namespaces this test creates and
 * always deletes (the topology is drawn in testing/netns-lab.ts). Every nft command runs in the node
 * namespace, so nothing here reads or writes the host's own rules.
 */
import { spawnSync } from 'node:child_process';
import { Nftables, NftablesError } from './nftables.js';
import { NftablesProxier } from './nftables-proxier.js';
import type { ProxySnapshot } from './proxier.js';
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

const NAMES = labNames('kubicle-nft-test');
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

const missing =
  netnsPrerequisitesMissing() ??
  (spawnSync('nft', ['--version']).status === 0 ? undefined : 'nft missing (Debian package nftables)');
if (missing) console.warn(`skipping nftables proxier integration test: ${missing}`);
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

describeIfPossible('NftablesProxier on real nftables in private network namespaces', () => {
  let lab: NetnsLab | undefined;
  const nft = new Nftables({ netns: NODE_NS });
  const proxier = new NftablesProxier(nft);

  beforeAll(async () => {
    lab = await createNetnsLab(NAMES);
    await proxier.prepareHost();
    const first = await proxier.sync(clusterSnapshot(POD_IPS));
    expect(first.full).toBe(true);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('installs one table and nothing in the iptables tables', async () => {
    expect(await inNs(NODE_NS, 'nft', 'list', 'tables')).toBe('table ip kubicle\n');
    expect(await inNs(NODE_NS, 'iptables-nft-save')).not.toContain('KUBE-');
  });

  it('reaches all three backends through the cluster IP from the node itself', async () => {
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('reaches all three backends through the cluster IP from another namespace (prerouting)', async () => {
    expect(answers(await connect(CLIENT_NS, WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
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

  it('keeps a client on one backend with ClientIP affinity, across a full resync', async () => {
    const before = await connect(NODE_NS, STICKY_IP, 80, 10);
    expect(answers(before).size).toBe(1);
    expect([...answers(before)][0]).toMatch(/^pod\d$/);
    await proxier.sync(clusterSnapshot(POD_IPS), { full: true });
    expect(answers(await connect(NODE_NS, STICKY_IP, 80, 10))).toEqual(answers(before));
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

  it('takes removed endpoints out of rotation in a partial sync and deletes their chains', async () => {
    const result = await proxier.sync(clusterSnapshot([POD_IPS[1]]));
    expect(result).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(result.deletedChains).toHaveLength(2);
    const table = await inNs(NODE_NS, 'nft', 'list', 'table', 'ip', 'kubicle');
    expect(table).not.toContain(`default/web/tcp/http__${POD_IPS[0]}/8080`);
    expect(table).toContain(`default/web/tcp/http__${POD_IPS[1]}/8080`);
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 20))).toEqual(new Set(['pod1']));
    await proxier.sync(clusterSnapshot(POD_IPS));
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('repairs a flushed chain at the next full sync', async () => {
    await inNs(NODE_NS, 'nft', 'flush', 'chain', 'ip', 'kubicle', 'services');
    expect((await connect(NODE_NS, WEB_IP, 80, 1, 'tcp', 300))[0].answer).toBeUndefined();
    await proxier.sync(clusterSnapshot(POD_IPS), { full: true });
    expect((await connect(NODE_NS, WEB_IP, 80, 1))[0].answer).toMatch(/^pod\d$/);
  });

  it('recovers from a table deleted behind its back: the failed sync is followed by a replacing one', async () => {
    await inNs(NODE_NS, 'nft', 'delete', 'table', 'ip', 'kubicle');
    await expect(proxier.sync(clusterSnapshot([POD_IPS[2]]))).rejects.toBeInstanceOf(NftablesError);
    const retry = await proxier.sync(clusterSnapshot([POD_IPS[2]]));
    expect(retry.ruleset).toMatch(/^add table ip kubicle\ndelete table ip kubicle\n/);
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 10))).toEqual(new Set(['pod2']));
  });

  it('rejects a broken script with nft message and keeps the rules in place', async () => {
    const before = await inNs(NODE_NS, 'nft', 'list', 'table', 'ip', 'kubicle');
    const error = await nft
      .apply('flush chain ip kubicle services\nadd rule ip kubicle services jump nowhere\n')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NftablesError);
    expect((error as NftablesError).message).toMatch(/nowhere/);
    expect(await inNs(NODE_NS, 'nft', 'list', 'table', 'ip', 'kubicle')).toBe(before);
  });

  it('cleans up its table', async () => {
    await proxier.cleanup();
    expect(await inNs(NODE_NS, 'nft', 'list', 'tables')).toBe('');
    expect((await connect(NODE_NS, WEB_IP, 80, 1, 'tcp', 300))[0].answer).toBeUndefined();
  });
});
