/**
 * The nftables proxier against real netfilter, inside network namespaces this test creates and
 * always deletes (the topology is drawn in testing/netns-lab.ts). Every nft and iptables command
 * runs in a node namespace, so nothing here reads or writes the host's own rules. The second suite
 * gives its node the iptables filter table Docker leaves (FORWARD policy DROP) and checks that the
 * forward companion is what lets forwarded service traffic through.
 */
import { spawnSync } from 'node:child_process';
import { Iptables } from './iptables.js';
import { runCommand } from './netns-command.js';
import { Nftables, NftablesError } from './nftables.js';
import { NftablesProxier } from './nftables-proxier.js';
import { cleanupProxyRules } from './proxy-server.js';
import { parseIptablesSave } from './ruleset.js';
import {
  LAB_STICKY_IP,
  LAB_WEB_IP,
  LAB_WEB_NODE_PORT,
  labClusterSnapshot,
  labSuite,
  sharedTrafficTests,
} from './testing/lab-cluster.js';
import {
  LAB_NODE_IP_TOWARDS_CLIENT,
  answers,
  connect,
  createNetnsLab,
  inNs,
  labNames,
} from './testing/netns-lab.js';
import type { Attempt, NetnsLab } from './testing/netns-lab.js';

const { names: NAMES, describeIfPossible } = labSuite(
  'kubicle-nft-test',
  'nftables proxier integration test',
  () => (spawnSync('nft', ['--version']).status === 0 ? undefined : 'nft missing (Debian package nftables)'),
);
const NODE_NS = NAMES.nodeNs;
const POD_IPS = NAMES.podIPs;
const clusterSnapshot = (webBackends: readonly string[] = POD_IPS) =>
  labClusterSnapshot(POD_IPS, webBackends);

describeIfPossible('NftablesProxier on real nftables in private network namespaces', () => {
  let lab: NetnsLab | undefined;
  const nft = new Nftables({ netns: NODE_NS });
  const proxier = new NftablesProxier(nft);

  beforeAll(async () => {
    lab = await createNetnsLab(NAMES);
    await proxier.prepareHost();
    const first = await proxier.sync(clusterSnapshot());
    expect(first.full).toBe(true);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('installs one table and nothing in the iptables tables', async () => {
    expect(await inNs(NODE_NS, 'nft', 'list', 'tables')).toBe('table ip kubicle\n');
    expect(await inNs(NODE_NS, 'iptables-nft-save')).not.toContain('KUBE-');
  });

  sharedTrafficTests(NAMES);

  it('keeps a client on one backend with ClientIP affinity, across a full resync', async () => {
    const before = await connect(NODE_NS, LAB_STICKY_IP, 80, 10);
    expect(answers(before).size).toBe(1);
    expect([...answers(before)][0]).toMatch(/^pod\d$/);
    await proxier.sync(clusterSnapshot(), { full: true });
    expect(answers(await connect(NODE_NS, LAB_STICKY_IP, 80, 10))).toEqual(answers(before));
  });

  it('takes removed endpoints out of rotation in a partial sync and deletes their chains', async () => {
    const result = await proxier.sync(clusterSnapshot([POD_IPS[1]]));
    expect(result).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(result.deletedChains).toHaveLength(2);
    const table = await inNs(NODE_NS, 'nft', 'list', 'table', 'ip', 'kubicle');
    expect(table).not.toContain(`default/web/tcp/http__${POD_IPS[0]}/8080`);
    expect(table).toContain(`default/web/tcp/http__${POD_IPS[1]}/8080`);
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 20))).toEqual(new Set(['pod1']));
    await proxier.sync(clusterSnapshot());
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('deletes the chains of a service left without endpoints, then of a removed one, in partial syncs', async () => {
    const noWebBackends = await proxier.sync(clusterSnapshot([]));
    expect(noWebBackends.full).toBe(false);
    expect(noWebBackends.deletedChains).toHaveLength(5);
    expect((await connect(NODE_NS, LAB_WEB_IP, 80))[0].error).toBe('ECONNREFUSED');
    const full = clusterSnapshot();
    const withoutSticky = await proxier.sync({
      services: full.services.filter((s) => s.metadata?.name !== 'sticky'),
      endpoints: full.endpoints,
    });
    expect(withoutSticky.full).toBe(false);
    expect(withoutSticky.deletedChains).toEqual(
      expect.arrayContaining([expect.stringMatching(/^service-.*sticky/)]),
    );
    await proxier.sync(full);
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('repairs a flushed chain at the next full sync', async () => {
    await inNs(NODE_NS, 'nft', 'flush', 'chain', 'ip', 'kubicle', 'services');
    expect((await connect(NODE_NS, LAB_WEB_IP, 80, 1, 'tcp', 300))[0].answer).toBeUndefined();
    await proxier.sync(clusterSnapshot(), { full: true });
    expect((await connect(NODE_NS, LAB_WEB_IP, 80, 1))[0].answer).toMatch(/^pod\d$/);
  });

  it('recovers from a table deleted behind its back: the failed sync is followed by a replacing one', async () => {
    await inNs(NODE_NS, 'nft', 'delete', 'table', 'ip', 'kubicle');
    await expect(proxier.sync(clusterSnapshot([POD_IPS[2]]))).rejects.toBeInstanceOf(NftablesError);
    const retry = await proxier.sync(clusterSnapshot([POD_IPS[2]]));
    expect(retry.ruleset).toMatch(/^add table ip kubicle\ndelete table ip kubicle\n/);
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 10))).toEqual(new Set(['pod2']));
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
    expect((await connect(NODE_NS, LAB_WEB_IP, 80, 1, 'tcp', 300))[0].answer).toBeUndefined();
  });
});

/** Docker's filter table as it leaves it (before any container publishes a port). */
const DOCKER_FILTER = [
  '*filter',
  ':FORWARD DROP [0:0]',
  ':DOCKER - [0:0]',
  ':DOCKER-USER - [0:0]',
  '-A FORWARD -j DOCKER-USER',
  '-A FORWARD -o kbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -o kbr0 -j DOCKER',
  '-A DOCKER-USER -j RETURN',
  'COMMIT',
  '',
].join('\n');
const DROP_FILTER = '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n';

describeIfPossible(
  'the forward companion, on a node whose iptables FORWARD chain drops (as Docker makes it)',
  () => {
    const names = labNames('kubicle-nftfw-test');
    const node = names.nodeNs;
    const nft = new Nftables({ netns: node });
    const iptables = new Iptables({ netns: node });
    // Off-cluster clients' traffic to cluster IPs is marked for masquerade only given the pod CIDR
    // (kube-proxy's --cluster-cidr); NodePort traffic always is.
    const options = { clusterCIDR: '10.244.0.0/16' };
    const snapshot = labClusterSnapshot(names.podIPs);
    let lab: NetnsLab | undefined;

    beforeAll(async () => {
      lab = await createNetnsLab(names);
      await new NftablesProxier(nft).prepareHost();
    });

    afterAll(async () => {
      await lab?.destroy();
    });

    /** Replaces the node's whole iptables filter table (iptables-restore without --noflush). */
    async function setFilter(text: string): Promise<void> {
      const result = await runCommand(
        ['ip', 'netns', 'exec', node, 'iptables-restore', '-T', 'filter'],
        text,
      );
      if (result.exitCode !== 0) throw new Error(`iptables-restore failed: ${result.stderr}`);
    }

    /** From the client namespace, routed through the node: what the cluster IP and the NodePort give. */
    async function forwarded(count: number): Promise<{ clusterIP: Set<string>; nodePort: Set<string> }> {
      const kinds = (attempts: Attempt[]) =>
        new Set(attempts.map((a) => (a.answer?.startsWith('pod') ? 'a pod' : `error ${a.error}`)));
      const [viaClusterIP, viaNodePort] = await Promise.all([
        connect(names.clientNs, LAB_WEB_IP, 80, count, 'tcp', 1000),
        connect(names.clientNs, LAB_NODE_IP_TOWARDS_CLIENT, LAB_WEB_NODE_PORT, count, 'tcp', 1000),
      ]);
      return { clusterIP: kinds(viaClusterIP), nodePort: kinds(viaNodePort) };
    }

    const filterRules = async () => parseIptablesSave(await iptables.save('filter')).get('filter')!.rules;

    it.each([
      ['Docker', DOCKER_FILTER, 'DOCKER-USER', 'the proxier'],
      ['a DROP policy alone', DROP_FILTER, 'FORWARD', 'kubicle proxy --cleanup'],
    ])(
      'with %s, forwarded service traffic is dropped without it and passes with it (first in %s); %s removes it',
      async (_, filter, hook, remover) => {
        await setFilter(filter);
        const before = await filterRules();

        // The nft rules alone: they DNAT, and the node itself reaches the pods, but iptables drops
        // what is forwarded.
        await new NftablesProxier(nft, options).sync(snapshot);
        expect((await connect(node, LAB_WEB_IP, 80, 3)).every((a) => a.answer?.startsWith('pod'))).toBe(true);
        expect(await forwarded(2)).toEqual({
          clusterIP: new Set(['error TIMEOUT']),
          nodePort: new Set(['error TIMEOUT']),
        });

        const proxier = new NftablesProxier(nft, options, iptables);
        const result = await proxier.sync(snapshot);
        expect(result.problems).toBeUndefined();
        expect((await filterRules()).find((rule) => rule.startsWith(`-A ${hook} `))).toMatch(
          / -j KUBICLE-FORWARD$/,
        );
        expect(await forwarded(6)).toEqual({ clusterIP: new Set(['a pod']), nodePort: new Set(['a pod']) });
        // A full resync leaves one jump, still first.
        await proxier.sync(snapshot, { full: true });
        expect((await filterRules()).filter((rule) => rule.endsWith('-j KUBICLE-FORWARD'))).toHaveLength(1);

        if (remover === 'the proxier') await proxier.cleanup();
        else await cleanupProxyRules({ netns: node, log: () => undefined });
        expect(await filterRules()).toEqual(before);
        expect(await iptables.save('filter')).not.toContain('KUBICLE-FORWARD');
        expect(await iptables.save('filter')).toMatch(/^:FORWARD DROP /m);
      },
    );
  },
);
