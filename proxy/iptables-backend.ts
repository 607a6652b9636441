/**
 * Which iptables implementation the proxy drives. Debian ships two behind the same command names:
 * iptables-nft (the default, rules kept in nf_tables) and iptables-legacy (the old xtables blob).
 * For the proxy's big rulesets legacy restores an order of magnitude faster (a full sync of 1,000
 * services × 10 endpoints: ~0.5 s against ~8 s), but the two must not be mixed in one network
 * namespace: both would see the packets, and other tools (Docker) only look at their own.
 *
 * Contract:
 * - `iptablesExecutor(backend)` wraps a command executor so `iptables-save`/`iptables-restore`
 *   become the backend's own binaries; `system` leaves them alone (whatever update-alternatives
 *   points at).
 * - `chooseIptablesBackend` with `auto` picks legacy only where that is safe: when our chains are
 *   already in the legacy tables (a previous run chose it), or inside a network namespace we were
 *   given whose nft tables hold no rules at all. Everywhere else it keeps the system default, so a
 *   host whose firewall lives in nf_tables never gets a second, invisible ruleset.
 * - Probing only reads (`--version`, `iptables-*-save`, /proc/net/ip_tables_names); the legacy
 *   tables are never read where the legacy modules are not already loaded, since reading them
 *   would load them.
 */
import { runCommand } from './netns-command.js';
import type { CommandExecutor } from './netns-command.js';

export type IptablesBackend = 'system' | 'legacy' | 'nft';
export type IptablesBackendChoice = IptablesBackend | 'auto';

export interface BackendDecision {
  readonly backend: IptablesBackend;
  /** One line saying why, for the start-up log. */
  readonly reason: string;
}

const BINARIES: Record<Exclude<IptablesBackend, 'system'>, Record<string, string>> = {
  legacy: { 'iptables-save': 'iptables-legacy-save', 'iptables-restore': 'iptables-legacy-restore' },
  nft: { 'iptables-save': 'iptables-nft-save', 'iptables-restore': 'iptables-nft-restore' },
};

export function iptablesExecutor(
  backend: IptablesBackend,
  exec: CommandExecutor = runCommand,
): CommandExecutor {
  if (backend === 'system') return exec;
  const names = BINARIES[backend];
  // Only the command word itself is renamed: the `ip netns exec NS` prefix and arguments stay.
  return (argv, stdin) => {
    const index = argv.findIndex((word) => word in names);
    if (index < 0) return exec(argv, stdin);
    const renamed = [...argv];
    renamed[index] = names[argv[index]];
    return exec(renamed, stdin);
  };
}

export interface BackendProbeOptions {
  readonly netns?: string;
  readonly exec?: CommandExecutor;
}

export async function chooseIptablesBackend(
  choice: IptablesBackendChoice,
  options: BackendProbeOptions = {},
): Promise<BackendDecision> {
  if (choice !== 'auto') return { backend: choice, reason: 'as configured' };
  const probe = new BackendProbe(options);
  if (!(await probe.succeeds('iptables-legacy-restore', '--version'))) {
    return { backend: 'system', reason: 'iptables-legacy is not installed' };
  }
  if (await probe.legacyHoldsOurChains()) {
    return { backend: 'legacy', reason: 'the proxy chains are already in the legacy tables' };
  }
  if (options.netns !== undefined && (await probe.nftIsEmpty()) && !(await probe.legacyHasRules())) {
    return {
      backend: 'legacy',
      reason: `network namespace ${options.netns} has no other rules, and legacy restores large rulesets far faster`,
    };
  }
  return { backend: 'system', reason: 'the system default keeps one ruleset per namespace' };
}

/** The backends that may hold rules of ours in the namespace, for `--cleanup`. */
export async function backendsInUse(options: BackendProbeOptions = {}): Promise<IptablesBackend[]> {
  const probe = new BackendProbe(options);
  const found: IptablesBackend[] = [];
  const hasNft = await probe.succeeds('iptables-nft-save', '--version');
  if (hasNft) found.push('nft');
  if (
    (await probe.succeeds('iptables-legacy-save', '--version')) &&
    (await probe.legacyTablesLoaded()).length > 0
  ) {
    found.push('legacy');
  }
  return found.length > 0 ? found : ['system'];
}

class BackendProbe {
  private readonly prefix: string[];
  private readonly exec: CommandExecutor;

  constructor(options: BackendProbeOptions) {
    this.prefix = options.netns !== undefined ? ['ip', 'netns', 'exec', options.netns] : [];
    this.exec = options.exec ?? runCommand;
  }

  async succeeds(...argv: string[]): Promise<boolean> {
    try {
      return (await this.exec([...this.prefix, ...argv])).exitCode === 0;
    } catch {
      return false;
    }
  }

  private async output(...argv: string[]): Promise<string | undefined> {
    try {
      const result = await this.exec([...this.prefix, ...argv]);
      return result.exitCode === 0 ? result.stdout : undefined;
    } catch {
      return undefined;
    }
  }

  /** Which legacy tables exist in the namespace; reading this file loads nothing. */
  async legacyTablesLoaded(): Promise<string[]> {
    const names = await this.output('cat', '/proc/net/ip_tables_names');
    return (names ?? '').split('\n').filter((name) => name === 'nat' || name === 'filter');
  }

  async legacyHoldsOurChains(): Promise<boolean> {
    if (!(await this.legacyTablesLoaded()).includes('nat')) return false;
    const nat = await this.output('iptables-legacy-save', '-t', 'nat');
    return nat !== undefined && /^:KUBE-SERVICES /m.test(nat);
  }

  async legacyHasRules(): Promise<boolean> {
    for (const table of await this.legacyTablesLoaded()) {
      const text = await this.output('iptables-legacy-save', '-t', table);
      if (text === undefined || /^-A /m.test(text)) return true;
    }
    return false;
  }

  async nftIsEmpty(): Promise<boolean> {
    for (const table of ['nat', 'filter']) {
      const text = await this.output('iptables-nft-save', '-t', table);
      if (text === undefined || /^-A /m.test(text)) return false;
    }
    return true;
  }
}
