/**
 * The proxy against real netfilter, inside network namespaces this test creates and always deletes
 * (the topology is drawn in testing/netns-lab.ts). The proxier's iptables runner is bound to the
 * node namespace, so nothing here reads or writes the host's own rules.
 */
import { Iptables, IptablesError } from './iptables.js';
import { Proxier } from './proxier.js';
import { BUILTIN_JUMPS, parseIptablesSave } from './ruleset.js';
import {
  LAB_STICKY_IP,
  LAB_WEB_IP,
  labClusterSnapshot,
  labSuite,
  sharedTrafficTests,
} from './testing/lab-cluster.js';
import { answers, connect, createNetnsLab, inNs } from './testing/netns-lab.js';
import type { NetnsLab } from './testing/netns-lab.js';

const { names: NAMES, describeIfPossible } = labSuite('kubicle-proxy-test', 'proxier integration test');
const NODE_NS = NAMES.nodeNs;
const POD_IPS = NAMES.podIPs;
const clusterSnapshot = (webBackends: readonly string[] = POD_IPS) =>
  labClusterSnapshot(POD_IPS, webBackends);

describeIfPossible('Proxier on real iptables in private network namespaces', () => {
  let lab: NetnsLab | undefined;
  const iptables = new Iptables({ netns: NODE_NS });
  const proxier = new Proxier(iptables);

  beforeAll(async () => {
    lab = await createNetnsLab(NAMES);
    await proxier.prepareHost();
    await proxier.sync(clusterSnapshot());
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
    const result = await proxier.sync(clusterSnapshot(), { full: true });
    expect(result.ruleset).not.toContain('\n-I ');
    for (const jump of BUILTIN_JUMPS) {
      const rules = parseIptablesSave(await iptables.save(jump.table)).get(jump.table)!.rules;
      expect(rules.filter((r) => r === `-A ${jump.from} ${jump.spec}`)).toHaveLength(1);
    }
  });

  sharedTrafficTests(NAMES);

  it('keeps a client on one backend with ClientIP affinity', async () => {
    const attempts = await connect(NODE_NS, LAB_STICKY_IP, 80, 15);
    expect(answers(attempts).size).toBe(1);
    expect([...answers(attempts)][0]).toMatch(/^pod\d$/);
  });

  it('takes removed endpoints out of rotation and deletes their chains', async () => {
    const result = await proxier.sync(clusterSnapshot([POD_IPS[1]]));
    expect(result).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(result.deletedChains).toHaveLength(2);
    const attempts = await connect(NODE_NS, LAB_WEB_IP, 80, 20);
    expect(answers(attempts)).toEqual(new Set(['pod1']));
    await proxier.sync(clusterSnapshot());
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
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
    expect(answers(await connect(NODE_NS, LAB_WEB_IP, 80, 5)).size).toBeGreaterThan(0);
  });

  it('cleans up every chain and jump of its own', async () => {
    await proxier.cleanup();
    for (const table of ['nat', 'filter'] as const) {
      expect(await iptables.save(table)).not.toContain('KUBE-');
    }
    const [attempt] = await connect(NODE_NS, LAB_WEB_IP, 80);
    expect(attempt.answer).toBeUndefined();
  });
});
