/**
 * What the iptables and the nftables proxier (proxier.ts, nftables-proxier.ts) share: the shape of
 * a sync, calls that never overlap, the host settings the rules rely on, and the per-service
 * fingerprints that tell a partial sync which services changed.
 *
 * Contract:
 * - `sync(snapshot, { full })` runs the subclass's `syncNow` once every earlier call has settled,
 *   whether it succeeded or not: two applies built from the same old state could both insert a jump.
 * - `prepareHost()` turns on forwarding, so DNATed traffic can leave towards pods, and
 *   route_localnet (unless localhost NodePorts are off), without which packets to 127.0.0.1:NodePort
 *   are dropped as martians once DNAT sends them to a non-loopback address.
 * - A service's fingerprint covers everything its rules are built from, so equal fingerprints mean
 *   its installed chains can stay.
 */
import type { EndpointsInput, RulesetOptions, ServiceInput, ServicePortInfo } from './ruleset.js';

export interface ProxySnapshot {
  readonly services: readonly ServiceInput[];
  readonly endpoints: readonly EndpointsInput[];
  /** Addresses NodePorts answer on; empty means every local address. */
  readonly nodeIPs?: readonly string[];
}

export interface SyncOptions {
  /** Rewrite every chain of ours (periodic resync), trusting nothing about what is installed. */
  readonly full?: boolean;
}

export interface SyncResult {
  /** The text handed to iptables-restore or nft. */
  readonly ruleset: string;
  readonly full: boolean;
  readonly servicePorts: number;
  readonly endpoints: number;
  /** Service ports whose own chains were rewritten (all with endpoints, in a full sync). */
  readonly writtenServicePorts: number;
  /** Chains (and sets) of ours that this sync deleted. */
  readonly deletedChains: readonly string[];
  /** What went wrong without failing the sync, one line each, for the log. */
  readonly problems?: readonly string[];
}

/** The parts of a ruleset plan a SyncResult reports. */
export interface PlanSummary {
  readonly text: string;
  readonly servicePorts: readonly ServicePortInfo[];
  readonly writtenServicePorts: number;
}

/** Where the host settings are written (an iptables or nft runner). */
export interface SysctlWriter {
  setSysctl(name: string, value: string): Promise<void>;
}

export abstract class RulesProxier {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: SysctlWriter,
    protected readonly options: RulesetOptions,
  ) {}

  /** Kernel settings the rules rely on, set once at start (see the module contract). */
  async prepareHost(): Promise<void> {
    await this.host.setSysctl('net.ipv4.ip_forward', '1');
    if (this.options.localhostNodePorts ?? true) {
      await this.host.setSysctl('net.ipv4.conf.all.route_localnet', '1');
    }
  }

  sync(snapshot: ProxySnapshot, options: SyncOptions = {}): Promise<SyncResult> {
    return this.serialized(() => this.syncNow(snapshot, options.full ?? false));
  }

  protected abstract syncNow(snapshot: ProxySnapshot, full: boolean): Promise<SyncResult>;

  protected serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.running.then(run, run);
    this.running = next.catch(() => undefined);
    return next;
  }
}

/** Per service (`namespace/name`), everything its chains are built from. */
export function serviceFingerprints(servicePorts: readonly ServicePortInfo[]): Map<string, string> {
  const byService = new Map<string, ServicePortInfo[]>();
  for (const sp of servicePorts) byService.set(sp.service, [...(byService.get(sp.service) ?? []), sp]);
  return new Map([...byService].map(([service, ports]) => [service, JSON.stringify(ports)]));
}

/** Services whose fingerprint is new or differs from the one installed. */
export function changedServices(
  before: ReadonlyMap<string, string>,
  now: ReadonlyMap<string, string>,
): Set<string> {
  return new Set(
    [...now].filter(([service, fingerprint]) => before.get(service) !== fingerprint).map(([s]) => s),
  );
}

export function syncResultOf(
  plan: PlanSummary,
  full: boolean,
  deletedChains: readonly string[],
  problems: readonly string[] = [],
): SyncResult {
  return {
    ruleset: plan.text,
    full,
    servicePorts: plan.servicePorts.length,
    endpoints: plan.servicePorts.reduce((sum, sp) => sum + sp.endpoints.length, 0),
    writtenServicePorts: plan.writtenServicePorts,
    deletedChains,
    ...(problems.length > 0 ? { problems } : {}),
  };
}
