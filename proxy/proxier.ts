/**
 * One node's service proxy in iptables mode, without its event plumbing: given a snapshot of all
 * Services, Endpoints and the node's addresses, make the kernel match it.
 *
 * Contract:
 * - `sync(snapshot)` is a full sync: read the nat and filter tables, build the whole ruleset for the
 *   snapshot (ruleset.ts) and apply it with a single iptables-restore. It resolves only once the
 *   rules are in place. It rejects when reading or applying fails; the rules in place are then those
 *   of the last successful sync (iptables-restore commits a table whole or not at all), and the
 *   caller is expected to retry with a fresh snapshot.
 * - Because every sync reads the installed state first, a sync also repairs rules or jumps removed
 *   behind the proxy's back and deletes chains that were ours but are no longer needed.
 * - Calls must not overlap: two restores built from the same old state could both insert a jump.
 *   `sync` enforces this by queueing a call that arrives while another runs.
 * - Scheduling (minimum interval between syncs, periodic resync, retry after failure) belongs to
 *   the caller, which owns the clock and the informers.
 */

import { cleanupRules } from './cleanup.js';
import type { IptablesRunner } from './iptables.js';
import { buildRuleset, collectServicePorts, parseIptablesSave } from './ruleset.js';
import type {
  EndpointsInput,
  RulesetOptions,
  SavedTable,
  SavedTables,
  ServiceInput,
  TableName,
} from './ruleset.js';

export interface ProxySnapshot {
  readonly services: readonly ServiceInput[];
  readonly endpoints: readonly EndpointsInput[];
  /** Addresses NodePorts answer on; empty means every local address. */
  readonly nodeIPs?: readonly string[];
}

export interface SyncResult {
  /** The text handed to iptables-restore. */
  readonly ruleset: string;
  readonly servicePorts: number;
  readonly endpoints: number;
  /** Chains of ours that this sync flushed and deleted. */
  readonly deletedChains: readonly string[];
}

const TABLES: readonly TableName[] = ['filter', 'nat'];

export class Proxier {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly iptables: IptablesRunner,
    private readonly options: RulesetOptions = {},
  ) {}

  /**
   * Kernel settings the rules rely on, set once at start: forwarding, so DNATed traffic can leave
   * towards pods, and route_localnet, without which packets to 127.0.0.1:NodePort are dropped as
   * martians once DNAT sends them to a non-loopback address.
   */
  async prepareHost(): Promise<void> {
    await this.iptables.setSysctl('net.ipv4.ip_forward', '1');
    if (this.options.localhostNodePorts ?? true) {
      await this.iptables.setSysctl('net.ipv4.conf.all.route_localnet', '1');
    }
  }

  sync(snapshot: ProxySnapshot): Promise<SyncResult> {
    return this.serialized(() => this.syncNow(snapshot));
  }

  /** Removes every rule and chain the proxy installs (`kubicle proxy --cleanup`). */
  cleanup(): Promise<void> {
    return this.serialized(async () => {
      const text = cleanupRules(await this.readTables());
      if (text !== '') await this.iptables.restore(text);
    });
  }

  private async syncNow(snapshot: ProxySnapshot): Promise<SyncResult> {
    const existing = await this.readTables();
    const ruleset = buildRuleset({ ...snapshot, existing, options: this.options });
    await this.iptables.restore(ruleset);
    const servicePorts = collectServicePorts(snapshot.services, snapshot.endpoints);
    return {
      ruleset,
      servicePorts: servicePorts.length,
      endpoints: servicePorts.reduce((sum, sp) => sum + sp.endpoints.length, 0),
      deletedChains: ruleset
        .split('\n')
        .filter((line) => line.startsWith('-X '))
        .map((line) => line.slice(3)),
    };
  }

  private async readTables(): Promise<SavedTables> {
    const tables = new Map<string, SavedTable>();
    for (const table of TABLES) {
      const parsed = parseIptablesSave(await this.iptables.save(table)).get(table);
      if (parsed) tables.set(table, parsed);
    }
    return tables;
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.running.then(run, run);
    this.running = next.catch(() => undefined);
    return next;
  }
}
