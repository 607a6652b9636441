/**
 * One node's service proxy in nftables mode, without its event plumbing: given a snapshot of all
 * Services, Endpoints and the node's addresses, make the kernel match it (the counterpart of
 * proxier.ts, with the same SyncResult).
 *
 * Contract:
 * - `sync(snapshot)` builds the script (nftables-ruleset.ts) and applies it with one `nft -f`; it
 *   resolves once the rules are in place and rejects when applying fails, the rules in place then
 *   being those of the last successful sync (nft transactions are all or nothing).
 * - Nothing of the table is ever read back. The first sync, and the first after any failure, replaces the whole
 *   table. A `full` sync empties and rewrites every chain of the table as the last successful sync
 *   left it, which repairs rules changed behind the proxy's back and keeps ClientIP affinity state.
 *   Any other sync is partial: the top-level chains, the maps and the chains of services whose
 *   rules changed. A chain or table removed behind the proxy's back makes a partial or full sync
 *   fail, and the retry replaces the table.
 * - Where the system's iptables FORWARD chain would drop forwarded service traffic (Docker), the
 *   first sync, every full one and any after a failed attempt also keep the forward companion
 *   (forward-companion.ts) in the iptables given for it; failing to is reported in the result's
 *   `problems`, not as a failed sync. `cleanup()` removes it with the table.
 * - Calls never overlap; scheduling belongs to the caller, as for the iptables Proxier.
 */
import { forwardCompanionCleanup, planForwardCompanion } from './forward-companion.js';
import type { IptablesRunner } from './iptables.js';
import type { NftRunner } from './nftables.js';
import { nftCleanupScript, planNftRuleset } from './nftables-ruleset.js';
import type { NftInstalled } from './nftables-ruleset.js';
import { RulesProxier, changedServices, serviceFingerprints, syncResultOf } from './rules-proxier.js';
import type { ProxySnapshot, SyncResult } from './rules-proxier.js';
import { collectServicePorts } from './ruleset.js';
import type { RulesetOptions } from './ruleset.js';

interface Installed {
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly objects: NftInstalled;
}

export class NftablesProxier extends RulesProxier {
  /** Undefined until a sync succeeds and after any failure: the table is then not known. */
  private installed: Installed | undefined;
  /** Whether the last attempt left the forward companion as the filter table needs it. */
  private companionInPlace = false;

  /**
   * `forwardIptables`: the system's iptables (where Docker's FORWARD chain lives), for the forward
   * companion (forward-companion.ts); without it there is none.
   */
  constructor(
    private readonly nft: NftRunner,
    options: RulesetOptions = {},
    private readonly forwardIptables?: IptablesRunner,
  ) {
    super(nft, options);
  }

  /** Removes the proxy's table, and the forward companion when it has the iptables for it. */
  cleanup(): Promise<void> {
    return this.serialized(async () => {
      this.installed = undefined;
      this.companionInPlace = false;
      await this.nft.apply(nftCleanupScript());
      if (this.forwardIptables) await removeForwardCompanion(this.forwardIptables);
    });
  }

  protected async syncNow(snapshot: ProxySnapshot, full: boolean): Promise<SyncResult> {
    const previous = this.installed;
    this.installed = undefined;
    const fingerprints = serviceFingerprints(collectServicePorts(snapshot.services, snapshot.endpoints));
    const plan = planNftRuleset({
      ...snapshot,
      installed: previous?.objects,
      changedServices: previous && !full ? changedServices(previous.fingerprints, fingerprints) : undefined,
      options: this.options,
    });
    await this.nft.apply(plan.text);
    this.installed = { fingerprints, objects: plan.installed };
    const problems =
      plan.kind !== 'partial' || !this.companionInPlace ? await this.syncForwardCompanion() : [];
    return syncResultOf(plan, plan.kind !== 'partial', plan.deleted, problems);
  }

  /**
   * Checked on every full sync, so Docker starting after the proxy, or an operator flushing the
   * chain, is caught up with. A failure does not fail the sync: the nft rules are in place and serve
   * everything but traffic forwarded through a DROP policy.
   */
  private async syncForwardCompanion(): Promise<string[]> {
    if (!this.forwardIptables) return [];
    try {
      const plan = planForwardCompanion(await this.forwardIptables.save('filter'), this.options);
      if (plan.text !== '') await this.forwardIptables.restore(plan.text);
      this.companionInPlace = true;
      return [];
    } catch (err) {
      this.companionInPlace = false;
      return [`cannot keep the iptables FORWARD chain open to service traffic: ${String(err)}`];
    }
  }
}

/** Removes the nftables mode's forward companion from these iptables; true when there was one. */
export async function removeForwardCompanion(iptables: IptablesRunner): Promise<boolean> {
  const text = forwardCompanionCleanup(await iptables.save('filter'));
  if (text !== '') await iptables.restore(text);
  return text !== '';
}
