/**
 * One node's service proxy in iptables mode, without its event plumbing: given a snapshot of all
 * Services, Endpoints and the node's addresses, make the kernel match it.
 *
 * Contract:
 * - `sync(snapshot)` builds the ruleset for the snapshot (ruleset.ts) and applies it with a single
 *   iptables-restore; it resolves once the rules are in place. It rejects when reading or applying
 *   fails; the rules in place are then those of the last successful sync (iptables-restore commits
 *   a table whole or not at all), and the caller is expected to retry with a fresh snapshot.
 * - A full sync (the first one, the one after any failure, and any `sync(s, { full: true })`) reads
 *   the installed tables with iptables-save and rewrites every chain of ours: it repairs rules and
 *   jumps removed behind the proxy's back and deletes chains of ours that are no longer needed.
 * - Any other sync is partial: it trusts that the tables are as its last successful sync left them,
 *   reads nothing, and rewrites only the top-level chains plus the chains of services whose rules
 *   changed. That is what keeps an endpoint change cheap in a large cluster. Something that removed
 *   a chain behind the proxy's back makes the partial restore fail, and the retry is full; other
 *   tampering waits for the caller's next periodic full sync.
 * - Calls never overlap: two restores built from the same old state could both insert a jump, so a
 *   call that arrives while another runs waits for it.
 * - Scheduling (minimum interval between syncs, periodic full resync, retry after failure) belongs
 *   to the caller, which owns the clock and the informers.
 */

import { cleanupRules } from './cleanup.js';
import type { IptablesRunner } from './iptables.js';
import { RulesProxier, changedServices, serviceFingerprints, syncResultOf } from './rules-proxier.js';
import type { ProxySnapshot, SyncResult } from './rules-proxier.js';
import {
  BUILTIN_CHAINS,
  BUILTIN_JUMPS,
  collectServicePorts,
  parseIptablesSave,
  planRuleset,
} from './ruleset.js';
import type { RulesetOptions, SavedTable, SavedTables, TableName } from './ruleset.js';

export type { ProxySnapshot, SyncOptions, SyncResult } from './rules-proxier.js';

/** What the last successful sync installed, as far as the next partial sync needs to know. */
interface Installed {
  /** Per service (`namespace/name`), everything its chains were built from. */
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly activeChains: Readonly<Record<TableName, ReadonlySet<string>>>;
}

const TABLES: readonly TableName[] = ['filter', 'nat'];

export class Proxier extends RulesProxier {
  /** Undefined until a sync succeeds and after any failure: the tables are then not known. */
  private installed: Installed | undefined;

  constructor(
    private readonly iptables: IptablesRunner,
    options: RulesetOptions = {},
  ) {
    super(iptables, options);
  }

  /** Removes every rule and chain the proxy installs (`kubicle proxy --cleanup`); true if any. */
  cleanup(): Promise<boolean> {
    return this.serialized(async () => {
      this.installed = undefined;
      const text = cleanupRules(await this.readTables());
      if (text !== '') await this.iptables.restore(text);
      return text !== '';
    });
  }

  protected async syncNow(snapshot: ProxySnapshot, forceFull: boolean): Promise<SyncResult> {
    const previous = forceFull ? undefined : this.installed;
    this.installed = undefined;
    const fingerprints = serviceFingerprints(collectServicePorts(snapshot.services, snapshot.endpoints));
    const plan = planRuleset({
      ...snapshot,
      existing: previous ? assumedTables(previous) : await this.readTables(),
      changedServices: previous ? changedServices(previous.fingerprints, fingerprints) : undefined,
      options: this.options,
    });
    await this.iptables.restore(plan.text);
    this.installed = { fingerprints, activeChains: plan.activeChains };
    return syncResultOf(plan, previous === undefined, plan.deletedChains);
  }

  private async readTables(): Promise<SavedTables> {
    const tables = new Map<string, SavedTable>();
    for (const table of TABLES) {
      const parsed = parseIptablesSave(await this.iptables.save(table)).get(table);
      if (parsed) tables.set(table, parsed);
    }
    return tables;
  }
}

/** The tables as the last successful sync left them, in the shape iptables-save would give. */
function assumedTables(installed: Installed): SavedTables {
  return new Map(
    TABLES.map((table) => [
      table,
      {
        chains: new Set([...BUILTIN_CHAINS[table], ...installed.activeChains[table]]),
        rules: BUILTIN_JUMPS.filter((j) => j.table === table).map((j) => `-A ${j.from} ${j.spec}`),
      },
    ]),
  );
}
