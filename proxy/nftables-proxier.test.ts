import type { NftRunner } from './nftables.js';
import { NftablesProxier } from './nftables-proxier.js';
import type { ProxySnapshot } from './proxier.js';
import { FakeIptables } from './testing/fake-iptables.js';

class FakeNft implements NftRunner {
  readonly scripts: string[] = [];
  readonly sysctls = new Map<string, string>();

  async apply(script: string): Promise<void> {
    this.scripts.push(script);
  }

  async setSysctl(name: string, value: string): Promise<void> {
    this.sysctls.set(name, value);
  }
}

const SNAPSHOT: ProxySnapshot = {
  services: [
    {
      metadata: { namespace: 'default', name: 'web' },
      spec: { clusterIP: '10.96.0.20', ports: [{ port: 80 }] },
    },
  ],
  endpoints: [
    {
      metadata: { namespace: 'default', name: 'web' },
      subsets: [{ addresses: [{ ip: '10.244.0.10' }], ports: [{ port: 8080 }] }],
    },
  ],
};
const CHANGED: ProxySnapshot = {
  ...SNAPSHOT,
  endpoints: [
    {
      metadata: { namespace: 'default', name: 'web' },
      subsets: [{ addresses: [{ ip: '10.244.0.11' }], ports: [{ port: 8080 }] }],
    },
  ],
};

/** A filter table as Docker leaves it (FORWARD jumps to DOCKER-USER, which returns). */
async function withDocker(iptables: FakeIptables): Promise<void> {
  await iptables.restore(
    '*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -j RETURN\n-A FORWARD -j DOCKER-USER\nCOMMIT\n',
  );
  iptables.restores.length = 0;
}

describe('NftablesProxier and its forward companion', () => {
  it('keeps no companion without iptables to put it in, or where FORWARD accepts everything', async () => {
    const nft = new FakeNft();
    expect((await new NftablesProxier(nft).sync(SNAPSHOT)).problems).toBeUndefined();
    const iptables = new FakeIptables();
    await new NftablesProxier(new FakeNft(), {}, iptables).sync(SNAPSHOT);
    expect(iptables.restores).toEqual([]);
    expect(iptables.userChains('filter')).toEqual([]);
  });

  it('puts it first in DOCKER-USER on the first sync, leaves it alone in partial syncs, repairs it in full ones', async () => {
    const iptables = new FakeIptables();
    await withDocker(iptables);
    const proxier = new NftablesProxier(new FakeNft(), {}, iptables);

    await proxier.sync(SNAPSHOT);
    expect(iptables.rules('filter', 'DOCKER-USER')).toEqual([
      expect.stringMatching(/-j KUBICLE-FORWARD$/),
      '-j RETURN',
    ]);
    expect(iptables.rules('filter', 'KUBICLE-FORWARD')).toHaveLength(2);

    const partial = await proxier.sync(CHANGED);
    expect(partial.full).toBe(false);
    expect(iptables.restores).toHaveLength(1);

    await iptables.restore('*filter\n-F KUBICLE-FORWARD\nCOMMIT\n');
    await proxier.sync(CHANGED, { full: true });
    expect(iptables.rules('filter', 'KUBICLE-FORWARD')).toHaveLength(2);
    expect(iptables.rules('filter', 'DOCKER-USER')).toHaveLength(2);
  });

  it('reports a companion it cannot install without failing the sync, and tries again at the next sync', async () => {
    const iptables = new FakeIptables();
    await withDocker(iptables);
    const proxier = new NftablesProxier(new FakeNft(), {}, iptables);
    iptables.failNextRestore = 'iptables-restore: line 3 failed';

    const first = await proxier.sync(SNAPSHOT);
    expect(first.problems).toEqual([
      expect.stringMatching(/cannot keep the iptables FORWARD chain open.*line 3 failed/),
    ]);
    expect(iptables.userChains('filter')).toEqual(['DOCKER-USER']);

    const partial = await proxier.sync(CHANGED);
    expect(partial.full).toBe(false);
    expect(partial.problems).toBeUndefined();
    expect(iptables.userChains('filter')).toEqual(['DOCKER-USER', 'KUBICLE-FORWARD']);
  });

  it('removes it with the table', async () => {
    const iptables = new FakeIptables();
    await withDocker(iptables);
    const nft = new FakeNft();
    const proxier = new NftablesProxier(nft, {}, iptables);
    await proxier.sync(SNAPSHOT);
    await proxier.cleanup();
    expect(nft.scripts.at(-1)).toBe('add table ip kubicle\ndelete table ip kubicle\n');
    expect(iptables.userChains('filter')).toEqual(['DOCKER-USER']);
    expect(iptables.rules('filter', 'DOCKER-USER')).toEqual(['-j RETURN']);
  });
});
