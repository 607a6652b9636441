/**
 * One node's service proxy in nftables mode, without its event plumbing: given a snapshot of all
 * Services, Endpoints and the node's addresses, make the kernel match it (the counterpart of
 * proxier.ts, with the same SyncResult).
 *
 * Contract:
 * - `sync(snapshot)` builds the script (nftables-ruleset.ts) and applies it with one `nft -f`; it
 *   resolves once the rules are in place and rejects when applying fails, the rules in place then
 *   being those of the last successful sync (nft transactions are all or nothing).
 * - Nothing is ever read back. The first sync, and the first after any failure, replaces the whole
 *   table. A `full` sync empties and rewrites every chain of the table as the last successful sync
 *   left it, which repairs rules changed behind the proxy's back and keeps ClientIP affinity state.
 *   Any other sync is partial: the top-level chains, the maps and the chains of services whose
 *   rules changed. A chain or table removed behind the proxy's back makes a partial or full sync
 *   fail, and the retry replaces the table.
 * - Calls never overlap; scheduling belongs to the caller, as for the iptables Proxier.
 */
import type { NftRunner } from './nftables.js';
import { nftCleanupScript, planNftRuleset } from './nftables-ruleset.js';
import type { NftInstalled } from './nftables-ruleset.js';
import type { ProxySnapshot, SyncOptions, SyncResult } from './proxier.js';
import { collectServicePorts } from './ruleset.js';
import type { RulesetOptions, ServicePortInfo } from './ruleset.js';

interface Installed {
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly objects: NftInstalled;
}

export class NftablesProxier {
  private running: Promise<unknown> = Promise.resolve();
  /** Undefined until a sync succeeds and after any failure: the table is then not known. */
  private installed: Installed | undefined;

  constructor(
    private readonly nft: NftRunner,
    private readonly options: RulesetOptions = {},
  ) {}

  /** Forwarding and route_localnet, as the iptables mode needs them (see Proxier.prepareHost). */
  async prepareHost(): Promise<void> {
    await this.nft.setSysctl('net.ipv4.ip_forward', '1');
    if (this.options.localhostNodePorts ?? true) {
      await this.nft.setSysctl('net.ipv4.conf.all.route_localnet', '1');
    }
  }

  sync(snapshot: ProxySnapshot, options: SyncOptions = {}): Promise<SyncResult> {
    return this.serialized(() => this.syncNow(snapshot, options.full ?? false));
  }

  /** Removes the proxy's table. */
  cleanup(): Promise<void> {
    return this.serialized(async () => {
      this.installed = undefined;
      await this.nft.apply(nftCleanupScript());
    });
  }

  private async syncNow(snapshot: ProxySnapshot, full: boolean): Promise<SyncResult> {
    const previous = this.installed;
    this.installed = undefined;
    const fingerprints = fingerprintsOf(collectServicePorts(snapshot.services, snapshot.endpoints));
    const plan = planNftRuleset({
      ...snapshot,
      installed: previous?.objects,
      changedServices: previous && !full ? changedServices(previous.fingerprints, fingerprints) : undefined,
      options: this.options,
    });
    await this.nft.apply(plan.text);
    this.installed = { fingerprints, objects: plan.installed };
    return {
      ruleset: plan.text,
      full: plan.kind !== 'partial',
      servicePorts: plan.servicePorts.length,
      endpoints: plan.servicePorts.reduce((sum, sp) => sum + sp.endpoints.length, 0),
      writtenServicePorts: plan.writtenServicePorts,
      deletedChains: plan.deleted,
    };
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.running.then(run, run);
    this.running = next.catch(() => undefined);
    return next;
  }
}

function fingerprintsOf(servicePorts: readonly ServicePortInfo[]): Map<string, string> {
  const byService = new Map<string, ServicePortInfo[]>();
  for (const sp of servicePorts) byService.set(sp.service, [...(byService.get(sp.service) ?? []), sp]);
  return new Map([...byService].map(([service, ports]) => [service, JSON.stringify(ports)]));
}

function changedServices(before: ReadonlyMap<string, string>, now: ReadonlyMap<string, string>): Set<string> {
  return new Set(
    [...now].filter(([service, fingerprint]) => before.get(service) !== fingerprint).map(([s]) => s),
  );
}
