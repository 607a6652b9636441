import { backendsInUse, chooseIptablesBackend, iptablesExecutor } from './iptables-backend.js';
import type { IptablesBackendChoice } from './iptables-backend.js';
import type { CommandExecutor, CommandResult } from './netns-command.js';

interface Host {
  legacyInstalled?: boolean;
  /** Legacy tables present in the namespace, as /proc/net/ip_tables_names lists them. */
  legacyTables?: string[];
  legacyNat?: string;
  legacyFilter?: string;
  nftNat?: string;
  nftFilter?: string;
}

const EMPTY_NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const EMPTY_FILTER = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
const OURS =
  '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n';
const DOCKER = '*nat\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\nCOMMIT\n';

function fakeHost(host: Host): { exec: CommandExecutor; calls: string[] } {
  const calls: string[] = [];
  const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
  const missing: CommandResult = { exitCode: 127, stdout: '', stderr: 'not found' };
  const exec: CommandExecutor = async (argv) => {
    const words = argv[0] === 'ip' ? argv.slice(4) : [...argv];
    calls.push(argv.join(' '));
    const [command, ...args] = words;
    const table = args[1];
    switch (command) {
      case 'iptables-legacy-restore':
      case 'iptables-legacy-save':
        if (host.legacyInstalled === false) return missing;
        if (args[0] === '--version') return ok('iptables v1.8.9 (legacy)');
        return ok(table === 'nat' ? (host.legacyNat ?? EMPTY_NAT) : (host.legacyFilter ?? EMPTY_FILTER));
      case 'iptables-nft-save':
        if (args[0] === '--version') return ok('iptables v1.8.9 (nf_tables)');
        return ok(table === 'nat' ? (host.nftNat ?? EMPTY_NAT) : (host.nftFilter ?? EMPTY_FILTER));
      case 'cat':
        return host.legacyTables === undefined
          ? missing
          : ok(host.legacyTables.map((t) => `${t}\n`).join(''));
      default:
        return missing;
    }
  };
  return { exec, calls };
}

describe('chooseIptablesBackend', () => {
  it.each<[string, IptablesBackendChoice, Host, string | undefined, string]>([
    ['keeps an explicit choice', 'nft', { legacyTables: [] }, 'ns1', 'nft'],
    ['keeps the system default without iptables-legacy', 'auto', { legacyInstalled: false }, 'ns1', 'system'],
    ['uses legacy in an empty namespace we were given', 'auto', { legacyTables: [] }, 'ns1', 'legacy'],
    ['keeps the system default in the host namespace', 'auto', { legacyTables: [] }, undefined, 'system'],
    ['keeps the system default where nft tables hold rules', 'auto', { nftNat: DOCKER }, 'ns1', 'system'],
    [
      'keeps the system default when legacy holds rules of someone else',
      'auto',
      { legacyTables: ['nat'], legacyNat: DOCKER },
      'ns1',
      'system',
    ],
    [
      'follows our chains into legacy, even in the host namespace',
      'auto',
      { legacyTables: ['nat'], legacyNat: OURS },
      undefined,
      'legacy',
    ],
  ])('%s', async (_, choice, host, netns, expected) => {
    const { exec } = fakeHost(host);
    const decision = await chooseIptablesBackend(choice, { netns, exec });
    expect(decision.backend).toBe(expected);
    expect(decision.reason).not.toBe('');
  });

  it('never reads legacy tables that are not loaded (reading would load them)', async () => {
    const { exec, calls } = fakeHost({ legacyTables: [] });
    await chooseIptablesBackend('auto', { exec });
    expect(calls.filter((c) => c.includes('iptables-legacy-save'))).toEqual([]);
  });

  it('runs the probes inside the namespace', async () => {
    const { exec, calls } = fakeHost({ legacyTables: [] });
    await chooseIptablesBackend('auto', { netns: 'ns1', exec });
    expect(calls.every((c) => c.startsWith('ip netns exec ns1 '))).toBe(true);
  });
});

describe('backendsInUse', () => {
  it('lists legacy only where its tables exist', async () => {
    expect(await backendsInUse({ exec: fakeHost({ legacyTables: [] }).exec })).toEqual(['nft']);
    expect(await backendsInUse({ exec: fakeHost({ legacyTables: ['filter'] }).exec })).toEqual([
      'nft',
      'legacy',
    ]);
  });
});

describe('iptablesExecutor', () => {
  it.each([
    [
      'legacy',
      ['ip', 'netns', 'exec', 'ns', 'iptables-restore', '-w', '5', '--noflush'],
      'ip netns exec ns iptables-legacy-restore -w 5 --noflush',
    ],
    ['legacy', ['iptables-save', '-t', 'nat'], 'iptables-legacy-save -t nat'],
    ['nft', ['iptables-save', '-t', 'nat'], 'iptables-nft-save -t nat'],
    ['system', ['iptables-save', '-t', 'nat'], 'iptables-save -t nat'],
    ['legacy', ['tee', '/proc/sys/net/ipv4/ip_forward'], 'tee /proc/sys/net/ipv4/ip_forward'],
  ] as const)('%s runs %j as %s', async (backend, argv, expected) => {
    const seen: string[] = [];
    const exec = iptablesExecutor(backend, async (a, stdin) => {
      seen.push(a.join(' '));
      return { exitCode: 0, stdout: stdin ?? '', stderr: '' };
    });
    expect((await exec(argv, 'input')).stdout).toBe('input');
    expect(seen).toEqual([expected]);
  });
});
