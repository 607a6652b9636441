import { Proxier } from './proxier.js';
import type { ProxySnapshot } from './proxier.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import { FakeIptables } from './testing/fake-iptables.js';

function web(nodePort?: number): ServiceInput {
  return {
    metadata: { namespace: 'default', name: 'web' },
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP: '10.96.0.20',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', ...(nodePort ? { nodePort } : {}) }],
    },
  };
}

function webEndpoints(...ips: string[]): EndpointsInput {
  return {
    metadata: { namespace: 'default', name: 'web' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }],
  };
}

const snapshot = (services: ServiceInput[], endpoints: EndpointsInput[]): ProxySnapshot => ({
  services,
  endpoints,
});

function kubeChains(fake: FakeIptables): string[] {
  return ['filter', 'nat'].flatMap((t) =>
    fake
      .userChains(t)
      .filter((c) => c.startsWith('KUBE-'))
      .map((c) => `${t}/${c}`),
  );
}

const sortedLines = (text: string) => text.split('\n').sort();

function ruleCount(fake: FakeIptables, table: string, chain: string, target: string): number {
  return fake.rules(table, chain).filter((r) => r.endsWith(`-j ${target}`)).length;
}

describe('Proxier.sync', () => {
  let fake: FakeIptables;
  let proxier: Proxier;

  beforeEach(() => {
    fake = new FakeIptables();
    proxier = new Proxier(fake);
  });

  it('installs the service chains and hooks them into the builtin chains once', async () => {
    const result = await proxier.sync(snapshot([web(30080)], [webEndpoints('10.244.0.10', '10.244.0.11')]));
    expect(result.servicePorts).toBe(1);
    expect(result.endpoints).toBe(2);
    expect(fake.restores).toEqual([result.ruleset]);
    expect(kubeChains(fake).filter((c) => /KUBE-(SVC|SEP|EXT)-/.test(c))).toHaveLength(4);
    for (const [table, from, to] of [
      ['nat', 'PREROUTING', 'KUBE-SERVICES'],
      ['nat', 'OUTPUT', 'KUBE-SERVICES'],
      ['nat', 'POSTROUTING', 'KUBE-POSTROUTING'],
      ['filter', 'FORWARD', 'KUBE-FORWARD'],
      ['filter', 'INPUT', 'KUBE-EXTERNAL-SERVICES'],
    ]) {
      expect(ruleCount(fake, table, from, to)).toBe(1);
    }
  });

  it('converges: a second sync of the same snapshot leaves every table exactly as it was', async () => {
    const snap = snapshot([web(30080)], [webEndpoints('10.244.0.10')]);
    await proxier.sync(snap);
    const before = [await fake.save('nat'), await fake.save('filter')];
    await proxier.sync(snap);
    await proxier.sync(snap);
    expect([await fake.save('nat'), await fake.save('filter')]).toEqual(before);
  });

  it('deletes the endpoint chains of endpoints that went away, and reports them', async () => {
    await proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10', '10.244.0.11', '10.244.0.12')]));
    const before = fake.userChains('nat').filter((c) => c.startsWith('KUBE-SEP-'));
    const result = await proxier.sync(snapshot([web()], [webEndpoints('10.244.0.11')]));
    const after = fake.userChains('nat').filter((c) => c.startsWith('KUBE-SEP-'));
    expect(after).toHaveLength(1);
    expect([...result.deletedChains].sort()).toEqual(before.filter((c) => !after.includes(c)).sort());
  });

  it('removes every chain of a deleted service but keeps the top-level chains', async () => {
    await proxier.sync(snapshot([web(30080)], [webEndpoints('10.244.0.10')]));
    await proxier.sync(snapshot([], []));
    expect(kubeChains(fake)).toEqual([
      'filter/KUBE-EXTERNAL-SERVICES',
      'filter/KUBE-FIREWALL',
      'filter/KUBE-FORWARD',
      'filter/KUBE-SERVICES',
      'nat/KUBE-MARK-MASQ',
      'nat/KUBE-NODEPORTS',
      'nat/KUBE-POSTROUTING',
      'nat/KUBE-SERVICES',
    ]);
    expect(fake.rules('nat', 'KUBE-SERVICES')).toHaveLength(1); // only the jump to KUBE-NODEPORTS
  });

  it('switches a service from REJECT to DNAT when its first endpoint becomes ready', async () => {
    await proxier.sync(snapshot([web()], [webEndpoints()]));
    expect(fake.rules('filter', 'KUBE-SERVICES')).toEqual([
      '-m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j REJECT',
    ]);
    await proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10')]));
    expect(fake.rules('filter', 'KUBE-SERVICES')).toEqual([]);
    expect(fake.rules('nat', 'KUBE-SERVICES')[0]).toContain('-d 10.96.0.20 --dport 80 -j KUBE-SVC-');
  });

  it('repairs jumps and rules removed behind its back on a full sync', async () => {
    const snap = snapshot([web()], [webEndpoints('10.244.0.10')]);
    await proxier.sync(snap);
    const expected = await fake.save('nat');
    await fake.restore(
      '*nat\n-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-F KUBE-SERVICES\nCOMMIT\n',
    );
    expect(ruleCount(fake, 'nat', 'PREROUTING', 'KUBE-SERVICES')).toBe(0);
    const result = await proxier.sync(snap, { full: true });
    expect(result.full).toBe(true);
    expect(await fake.save('nat')).toBe(expected);
  });

  it('falls back to a full sync after a partial one failed because a chain vanished', async () => {
    const snap = snapshot([web()], [webEndpoints('10.244.0.10')]);
    await proxier.sync(snap);
    const expected = await fake.save('nat');
    const svc = fake.userChains('nat').find((c) => c.startsWith('KUBE-SVC-'))!;
    await fake.restore(`*nat\n-F KUBE-SERVICES\n-F ${svc}\n-X ${svc}\nCOMMIT\n`);
    await expect(proxier.sync(snap)).rejects.toThrow(`Chain '${svc}' does not exist`);
    const retry = await proxier.sync(snap);
    expect(retry.full).toBe(true);
    // The recreated chain is listed in another position; the rules are what counts.
    expect(sortedLines(await fake.save('nat'))).toEqual(sortedLines(expected));
  });

  it('never touches chains and rules that are not its own', async () => {
    await fake.restore(
      [
        '*nat',
        ':DOCKER - [0:0]',
        ':KUBE-KUBELET-CANARY - [0:0]',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
        '-A DOCKER -i docker0 -j RETURN',
        'COMMIT',
        '*filter',
        ':DOCKER-USER - [0:0]',
        '-A FORWARD -j DOCKER-USER',
        'COMMIT',
        '',
      ].join('\n'),
    );
    await proxier.sync(snapshot([web(30080)], [webEndpoints('10.244.0.10')]));
    await proxier.sync(snapshot([], []));
    await proxier.cleanup();
    expect(fake.userChains('nat')).toEqual(['DOCKER', 'KUBE-KUBELET-CANARY']);
    expect(fake.rules('nat', 'PREROUTING')).toEqual(['-m addrtype --dst-type LOCAL -j DOCKER']);
    expect(fake.rules('nat', 'DOCKER')).toEqual(['-i docker0 -j RETURN']);
    expect(fake.userChains('filter')).toEqual(['DOCKER-USER']);
    expect(fake.rules('filter', 'FORWARD')).toEqual(['-j DOCKER-USER']);
  });

  it('rejects with the restore error, keeps the previous rules, and succeeds on the next try', async () => {
    await proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10')]));
    const before = await fake.save('nat');
    fake.failNextRestore = "iptables-restore v1.8.9 (nf_tables): Couldn't load match `statistic'";
    await expect(
      proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10', '10.244.0.11')])),
    ).rejects.toThrow("Couldn't load match `statistic'");
    expect(await fake.save('nat')).toBe(before);
    await proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10', '10.244.0.11')]));
    expect(fake.userChains('nat').filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(2);
  });

  it('does not restore at all when the installed rules cannot be read', async () => {
    fake.failSaves = 'iptables-save: permission denied';
    await expect(proxier.sync(snapshot([web()], []))).rejects.toThrow('permission denied');
    expect(fake.restores).toEqual([]);
  });

  it('runs overlapping calls one after the other, each on the state the previous one left', async () => {
    let active = 0;
    let maxActive = 0;
    const save = fake.save.bind(fake);
    fake.save = async (table) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return save(table);
    };
    const first = proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10')]));
    const second = proxier.sync(snapshot([web()], [webEndpoints('10.244.0.10')]));
    await Promise.all([first, second]);
    expect(maxActive).toBe(1);
    expect(ruleCount(fake, 'nat', 'PREROUTING', 'KUBE-SERVICES')).toBe(1);
  });

  it('keeps serving calls after one of them failed', async () => {
    fake.failNextRestore = 'boom';
    const failed = proxier.sync(snapshot([], []));
    const next = proxier.sync(snapshot([], []));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toEqual(expect.objectContaining({ servicePorts: 0 }));
  });
});

describe('Proxier partial syncs', () => {
  const api = (i: number, ...ips: string[]): [ServiceInput, EndpointsInput] => [
    {
      metadata: { namespace: 'default', name: `api${i}` },
      spec: {
        clusterIP: `10.96.1.${i}`,
        ports: [{ name: 'http', port: 80, ...(i % 2 ? { nodePort: 30100 + i } : {}) }],
      },
    },
    {
      metadata: { namespace: 'default', name: `api${i}` },
      subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }],
    },
  ];
  const cluster = (...pairs: [ServiceInput, EndpointsInput][]) =>
    snapshot(
      pairs.map(([s]) => s),
      pairs.map(([, e]) => e),
    );

  it('rewrites only the chains of the service whose endpoints changed', async () => {
    const proxier = new Proxier(new FakeIptables());
    const first = await proxier.sync(
      cluster(api(1, '10.244.1.1'), api(2, '10.244.2.1'), api(3, '10.244.3.1')),
    );
    expect(first).toEqual(expect.objectContaining({ full: true, writtenServicePorts: 3 }));
    const second = await proxier.sync(
      cluster(api(1, '10.244.1.1'), api(2, '10.244.2.1', '10.244.2.2'), api(3, '10.244.3.1')),
    );
    expect(second).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(second.ruleset).not.toContain('default/api1:http ->');
    expect(second.ruleset).toContain('default/api2:http -> 10.244.2.2:8080');
  });

  it('ends every step in the same tables as a full sync would', async () => {
    const steps = [
      cluster(api(1, '10.244.1.1'), api(2, '10.244.2.1'), api(3)),
      cluster(api(1, '10.244.1.1', '10.244.1.2'), api(2, '10.244.2.1'), api(3)),
      cluster(api(1, '10.244.1.2'), api(3, '10.244.3.1')),
      cluster(api(1, '10.244.1.2'), api(3, '10.244.3.1'), api(4, '10.244.4.1', '10.244.4.2')),
      cluster(api(3)),
      cluster(),
      cluster(api(5, '10.244.5.1')),
    ];
    const partialFake = new FakeIptables();
    const fullFake = new FakeIptables();
    const partial = new Proxier(partialFake);
    const full = new Proxier(fullFake);
    for (const [i, step] of steps.entries()) {
      const result = await partial.sync(step);
      expect(result.full).toBe(i === 0);
      await full.sync(step, { full: true });
      for (const table of ['filter', 'nat'] as const) {
        expect([table, i, await partialFake.save(table)]).toEqual([table, i, await fullFake.save(table)]);
      }
    }
  });

  it('does a full sync after a failed one', async () => {
    const fake = new FakeIptables();
    const proxier = new Proxier(fake);
    await proxier.sync(cluster(api(1, '10.244.1.1')));
    fake.failNextRestore = 'boom';
    await expect(proxier.sync(cluster(api(1, '10.244.1.2')))).rejects.toThrow('boom');
    const retry = await proxier.sync(cluster(api(1, '10.244.1.2')));
    expect(retry.full).toBe(true);
    expect(retry.deletedChains).toHaveLength(1);
  });
});

describe('Proxier.cleanup', () => {
  it('leaves no chain and no jump of its own behind', async () => {
    const fake = new FakeIptables();
    const proxier = new Proxier(fake);
    await proxier.sync(
      snapshot(
        [web(30080), { ...web(), metadata: { namespace: 'default', name: 'empty' } }],
        [webEndpoints('10.244.0.10')],
      ),
    );
    await proxier.cleanup();
    expect(kubeChains(fake)).toEqual([]);
    for (const table of ['filter', 'nat']) {
      for (const chain of ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']) {
        expect(fake.rules(table, chain)).toEqual([]);
      }
    }
  });

  it('does nothing when nothing of its own is installed', async () => {
    const fake = new FakeIptables();
    await new Proxier(fake).cleanup();
    expect(fake.restores).toEqual([]);
  });
});

describe('Proxier.prepareHost', () => {
  it('enables forwarding and route_localnet for localhost NodePorts', async () => {
    const fake = new FakeIptables();
    await new Proxier(fake).prepareHost();
    expect(Object.fromEntries(fake.sysctls)).toEqual({
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.route_localnet': '1',
    });
  });

  it('leaves route_localnet alone when localhost NodePorts are off', async () => {
    const fake = new FakeIptables();
    await new Proxier(fake, { localhostNodePorts: false }).prepareHost();
    expect([...fake.sysctls.keys()]).toEqual(['net.ipv4.ip_forward']);
  });
});
