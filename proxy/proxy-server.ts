/**
 * One node's service proxy, wired: informers on Services, Endpoints and Nodes feed a rate-limited
 * sync loop that drives the nftables or iptables proxier, or the userspace proxy where neither can
 * be used; LoadBalancer services get the node addresses as their ingress.
 *
 * Contract:
 * - `startProxy` picks the mode (proxy-mode.ts), prepares the host and resolves with a handle; the
 *   proxy then runs until `signal` aborts. Mode `auto` (the default) logs one line saying what it
 *   chose and why; an explicit `nftables` or `iptables` that cannot work fails to start instead.
 * - Starting in one mode removes the rules an earlier run left in the others (upstream kube-proxy
 *   does the same): both would otherwise see every packet. The nftables mode's rules include its
 *   forward companion, one chain in the system's iptables that lets forwarded service traffic past
 *   a FORWARD policy of DROP (Docker's); see forward-companion.ts.
 * - The first sync waits until Services, Endpoints and Nodes are all listed, so a restarted proxy
 *   never replaces good rules with a partial view; until then the previous run's rules stay in place.
 *   Stopping leaves the rules installed (`cleanupProxyRules` removes them).
 * - Syncs follow SyncLoop: changes coalesced, at most one sync per `minSyncIntervalMs`, a full sync
 *   every `syncPeriodMs` (it repairs rules removed behind the proxy's back), failed syncs retried
 *   with backoff. Updates that change nothing the rules depend on (a Service whose spec and
 *   load-balancer status stay the same, Endpoints whose subsets stay the same) cause no sync.
 * - NodePorts answer on `nodeIPs`, else on the node's InternalIPs from its Node object, else on
 *   every local address.
 * - A LoadBalancer service whose ingress is empty gets every node's InternalIP written through the
 *   status subresource (see load-balancer-status.ts); conflicts are retried with the work queue's
 *   backoff and resolve themselves when another proxy wrote first.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import { Informer } from '../machinery/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../machinery/keys.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import { apiClientFrom } from './api-client-from.js';
import type { ClientSource } from './api-client-from.js';
import { Iptables } from './iptables.js';
import type { IptablesRunner } from './iptables.js';
import { backendsInUse, chooseIptablesBackend, iptablesExecutor } from './iptables-backend.js';
import type { BackendDecision, IptablesBackend, IptablesBackendChoice } from './iptables-backend.js';
import { KUBICLE_FORWARD } from './forward-companion.js';
import { ingressToWrite, nodeInternalIPs } from './load-balancer-status.js';
import { runCommand } from './netns-command.js';
import { Nftables } from './nftables.js';
import type { NftRunner } from './nftables.js';
import { NftablesProxier, removeForwardCompanion } from './nftables-proxier.js';
import { Proxier } from './proxier.js';
import type { ProxySnapshot, SyncResult } from './proxier.js';
import { chooseProxyMode, iptablesVariantOf } from './proxy-mode.js';
import type { IptablesVariant, ProxyMode, ProxyModeChoice } from './proxy-mode.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import { SyncLoop } from './sync-loop.js';
import { UserspaceProxy } from './userspace-proxy.js';
import type { UserspaceProxyOptions, UserspaceSyncResult } from './userspace-proxy.js';

export type { ProxyMode, ProxyModeChoice } from './proxy-mode.js';

export interface ProxyConfig extends ClientSource {
  readonly nodeName: string;
  readonly nodeIPs?: readonly string[];
  readonly mode?: ProxyModeChoice;
  /** Run every iptables and nft command in this network namespace (`ip netns exec`). */
  readonly netns?: string;
  readonly iptablesBackend?: IptablesBackendChoice;
  readonly minSyncIntervalMs?: number;
  readonly syncPeriodMs?: number;
  /** Pod CIDR: traffic to cluster IPs from outside it is masqueraded. */
  readonly clusterCIDR?: string;
  readonly masqueradeAll?: boolean;
  readonly userspace?: Pick<UserspaceProxyOptions, 'balancing' | 'udpIdleTimeoutMs' | 'localAddresses'>;
  /**
   * Replace the runners the proxy builds itself (embedding, tests). Given only one of them, `auto`
   * considers only that one's mode (and userspace).
   */
  readonly iptables?: IptablesRunner;
  readonly nftables?: NftRunner;
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /** Called after every successful sync. */
  readonly onSync?: (report: ProxySyncReport) => void;
}

export interface ProxySyncReport {
  readonly mode: ProxyMode;
  readonly full: boolean;
  /** Clock time the sync started and how long it took (snapshot, build and apply). */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly iptables?: SyncResult;
  readonly nftables?: SyncResult;
  readonly userspace?: UserspaceSyncResult;
}

export interface RunningProxy {
  readonly mode: ProxyMode;
  /** The iptables implementation in use (iptables mode only). */
  readonly iptablesBackend?: IptablesBackend;
  /** True after the first successful sync; false if the proxy stopped before one. */
  readonly firstSync: Promise<boolean>;
  /** Resolves once the signal aborted and everything the proxy ran has ended. */
  readonly stopped: Promise<void>;
}

const DEFAULT_MIN_SYNC_INTERVAL_MS = 1000;
const DEFAULT_SYNC_PERIOD_MS = 30_000;

export async function startProxy(config: ProxyConfig): Promise<RunningProxy> {
  const log = config.log ?? ((line: string) => console.error(line));
  const clock = config.clock ?? realClock;
  const { signal } = config;
  // Naming an iptables backend without a mode only makes sense for the iptables mode.
  const requested =
    config.mode ?? (config.iptablesBackend && config.iptablesBackend !== 'auto' ? 'iptables' : 'auto');

  const injected = config.iptables !== undefined || config.nftables !== undefined;
  // Given runners limit `auto` to their own modes: a test faking iptables must not get host nftables.
  const considered = (own: unknown) => requested === 'auto' && (!injected || own !== undefined);
  const wantsIptables = requested === 'iptables' || considered(config.iptables);
  const wantsNft = requested === 'nftables' || considered(config.nftables);
  let runner: IptablesRunner | undefined = config.iptables;
  let backendDecision: BackendDecision | undefined;
  if (!runner && wantsIptables) {
    backendDecision = await chooseIptablesBackend(config.iptablesBackend ?? 'auto', { netns: config.netns });
    runner = new Iptables({ netns: config.netns, exec: iptablesExecutor(backendDecision.backend) });
  }
  const nft: NftRunner | undefined =
    config.nftables ?? (wantsNft ? new Nftables({ netns: config.netns }) : undefined);
  const variant = config.iptables || !wantsIptables ? undefined : await systemIptablesVariant(config.netns);
  const decision = chooseProxyMode(requested, {
    nftProblem: !wantsNft ? null : nft instanceof Nftables ? await nft.problem() : undefined,
    iptablesProblem: wantsIptables ? await iptablesProblem(runner!) : null,
    iptablesVariant: variant,
  });
  const mode: ProxyMode = decision.mode;
  const backend = mode === 'iptables' ? (backendDecision?.backend ?? 'system') : undefined;
  if (mode === 'iptables' && backendDecision && backendDecision.backend !== 'system')
    log(`iptables backend ${backendDecision.backend}: ${backendDecision.reason}`);
  if (mode === 'userspace' && requested === 'auto') {
    log(
      `${decision.reason}: falling back to the userspace proxy, which serves NodePorts ` +
        `and local external/load-balancer IPs from this process; cluster IPs are not reachable in this mode`,
    );
  } else if (requested === 'auto') {
    log(`proxy mode ${mode}: ${decision.reason}`);
  }

  let apply: (
    snapshot: ProxySnapshot,
    full: boolean,
  ) => Promise<Omit<ProxySyncReport, 'startedAt' | 'durationMs'>>;
  let userspace: UserspaceProxy | undefined;
  const rulesetOptions = { clusterCIDR: config.clusterCIDR, masqueradeAll: config.masqueradeAll };
  if (mode === 'iptables' || mode === 'nftables') {
    const proxier =
      mode === 'iptables'
        ? new Proxier(runner!, rulesetOptions)
        : new NftablesProxier(nft!, rulesetOptions, await forwardCompanionIptables(config, variant));
    try {
      await proxier.prepareHost();
    } catch (err) {
      log(`cannot set the sysctls the rules rely on (forwarding, route_localnet): ${String(err)}`);
    }
    apply = async (snapshot, full) => {
      const result = await proxier.sync(snapshot, { full });
      for (const problem of result.problems ?? []) log(problem);
      return { mode, full: result.full, [mode]: result };
    };
  } else {
    const proxy = new UserspaceProxy({ ...config.userspace, clock, log });
    userspace = proxy;
    apply = async (snapshot) => ({ mode, full: true, userspace: await proxy.sync(snapshot) });
  }
  await removeOtherModesRules(mode, { iptables: runner, nft, netns: config.netns, log, onlyGiven: injected });

  const client = apiClientFrom(config, 'kubicle-proxy');
  const informers = {
    services: new Informer<KubeObject>({ client, apiVersion: 'v1', kind: 'Service', clock, log }),
    endpoints: new Informer<KubeObject>({ client, apiVersion: 'v1', kind: 'Endpoints', clock, log }),
    nodes: new Informer<KubeObject>({ client, apiVersion: 'v1', kind: 'Node', clock, log }),
  };
  const ownNodeIPs = () =>
    config.nodeIPs ?? nodeInternalIPs(informers.nodes.store.get(config.nodeName) ?? {});
  const snapshot = (): ProxySnapshot => ({
    services: informers.services.store.list() as ServiceInput[],
    endpoints: informers.endpoints.store.list() as EndpointsInput[],
    nodeIPs: ownNodeIPs(),
  });

  let resolveFirstSync: (synced: boolean) => void = () => undefined;
  const firstSync = new Promise<boolean>((resolve) => (resolveFirstSync = resolve));
  let synced = false;
  const loop = new SyncLoop({
    clock,
    log,
    minIntervalMs: config.minSyncIntervalMs ?? DEFAULT_MIN_SYNC_INTERVAL_MS,
    fullSyncPeriodMs: config.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS,
    sync: async (full) => {
      const startedAt = clock.now();
      const report = { ...(await apply(snapshot(), full)), startedAt, durationMs: clock.now() - startedAt };
      if (!synced) {
        synced = true;
        log(`proxy (${mode} mode) in place: ${describe(report)} in ${report.durationMs} ms`);
        resolveFirstSync(true);
      }
      config.onSync?.(report);
      return { full: report.full };
    },
  });

  const lbQueue = new WorkQueue<string>({ clock });
  const enqueueIfLoadBalancer = (obj: KubeObject) => {
    if ((obj.spec as { type?: string } | undefined)?.type === 'LoadBalancer')
      lbQueue.add(metaNamespaceKey(obj));
  };
  informers.services.addEventHandler({
    onAdd: (svc) => {
      loop.request();
      enqueueIfLoadBalancer(svc);
    },
    onUpdate: (old, cur) => {
      if (!sameJson(serviceRelevant(old), serviceRelevant(cur))) loop.request();
      enqueueIfLoadBalancer(cur);
    },
    onDelete: () => loop.request(),
  });
  informers.endpoints.addEventHandler({
    onAdd: () => loop.request(),
    onUpdate: (old, cur) => {
      if (!sameJson(old.subsets, cur.subsets)) loop.request();
    },
    onDelete: () => loop.request(),
  });
  informers.nodes.addEventHandler({
    onAdd: () => onNodesChanged(),
    onUpdate: (old, cur) => {
      if (!sameJson(nodeInternalIPs(old), nodeInternalIPs(cur))) onNodesChanged();
    },
    onDelete: () => onNodesChanged(),
  });
  function onNodesChanged(): void {
    if (config.nodeIPs === undefined) loop.request();
    for (const svc of informers.services.store.list()) enqueueIfLoadBalancer(svc);
  }

  const loadBalancerAddresses = () => {
    const all = informers.nodes.store.list().flatMap((node) => nodeInternalIPs(node));
    return all.length > 0 ? all : [...ownNodeIPs()];
  };
  const writeIngress = async (key: string) => {
    const service = informers.services.store.get(key);
    if (!service) return;
    const ingress = ingressToWrite(service as ServiceInput, loadBalancerAddresses());
    if (!ingress) return;
    const updated = structuredClone(service) as KubeObject & { status?: Record<string, unknown> };
    updated.status = { ...updated.status, loadBalancer: { ingress } };
    const { namespace } = splitMetaNamespaceKey(key);
    try {
      await client.updateStatus('v1', 'Service', namespace, updated);
      log(`service ${key}: load balancer ingress ${ingress.map((i) => i.ip).join(', ')}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  const runs: Promise<unknown>[] = Object.values(informers).map((informer) => informer.run(signal));
  const cachesSynced = Promise.all(Object.values(informers).map((informer) => informer.waitForSync(signal)));
  runs.push(
    cachesSynced.then(async (results) => {
      if (!results.every(Boolean)) return;
      loop.request();
      await Promise.all([
        loop.run(signal),
        runWorkers(lbQueue, 1, writeIngress, { signal, name: 'load-balancer status', log }),
      ]);
    }),
  );
  const stopped = Promise.all(runs).then(async () => {
    resolveFirstSync(false);
    await userspace?.close();
  });
  return {
    mode,
    iptablesBackend: backend,
    firstSync,
    stopped,
  };
}

/** Where the proxy's rules can live: an iptables backend, or the nftables mode's own table. */
export type ProxyRulesLocation = IptablesBackend | 'nftables';

/**
 * `kubicle proxy --cleanup` and `kubicle down`: removes every chain and rule of ours, from the
 * nftables table and from each iptables backend that may hold some, so nothing is left whichever
 * mode and backend an earlier run used. Resolves with where rules were found (and removed).
 */
export async function cleanupProxyRules(
  options: { netns?: string; log?: (line: string) => void } = {},
): Promise<ProxyRulesLocation[]> {
  const log = options.log ?? ((line: string) => console.error(line));
  const cleaned: ProxyRulesLocation[] = [];
  if (await removeNftTable(new Nftables({ netns: options.netns }))) {
    cleaned.push('nftables');
    log('removed the proxy rules from nftables (table ip kubicle)');
  }
  cleaned.push(...(await cleanupIptablesRules(options.netns, log, { iptablesMode: true, companion: true })));
  return cleaned;
}

/**
 * Removes, from every iptables backend that may hold some, the iptables mode's rules and/or the
 * nftables mode's forward companion; resolves with the backends where something was removed.
 */
async function cleanupIptablesRules(
  netns: string | undefined,
  log: (line: string) => void,
  what: { readonly iptablesMode: boolean; readonly companion: boolean },
): Promise<IptablesBackend[]> {
  const cleaned: IptablesBackend[] = [];
  for (const backend of await backendsInUse({ netns })) {
    const runner = new Iptables({ netns, exec: iptablesExecutor(backend) });
    if (!(await runner.available())) continue;
    const rules = what.iptablesMode && (await new Proxier(runner).cleanup());
    if (rules) log(`removed the proxy rules from the ${backend} iptables tables`);
    const companion = what.companion && (await removeForwardCompanion(runner));
    if (companion)
      log(`removed the nftables mode's ${KUBICLE_FORWARD} chain from the ${backend} iptables tables`);
    if (rules || companion) cleaned.push(backend);
  }
  return cleaned;
}

/**
 * The system's iptables, where Docker's FORWARD chain lives, for the nftables mode's forward
 * companion; none where iptables is not installed (nor, then, Docker's rules), or where the caller
 * gave an nft runner of its own and no iptables (tests must not touch the host's tables).
 */
async function forwardCompanionIptables(
  config: ProxyConfig,
  variant: IptablesVariant,
): Promise<IptablesRunner | undefined> {
  if (config.iptables) return config.iptables;
  if (config.nftables) return undefined;
  const installed = variant ?? (await systemIptablesVariant(config.netns));
  return installed === undefined ? undefined : new Iptables({ netns: config.netns });
}

/** False when nft is missing or unusable: then there is no table of ours either. */
async function removeNftTable(nft: Nftables): Promise<boolean> {
  if ((await nft.problem()) !== undefined) return false;
  return nft.deleteTable();
}

/** Why iptables cannot be used (reading the nat table fails), or undefined when it can. */
async function iptablesProblem(runner: IptablesRunner): Promise<string | undefined> {
  try {
    await runner.save('nat');
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

/** The variant of the `iptables` command, as the namespace would run it. */
async function systemIptablesVariant(netns: string | undefined): Promise<IptablesVariant> {
  const prefix = netns !== undefined ? ['ip', 'netns', 'exec', netns] : [];
  try {
    const result = await runCommand([...prefix, 'iptables', '--version']);
    return result.exitCode === 0 ? iptablesVariantOf(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rules of an earlier run in another mode would still see every packet: iptables and nftables
 * rules would both DNAT (the first wins, possibly to an endpoint long gone), and either would catch
 * NodePort traffic before it reaches the userspace listeners. Upstream kube-proxy cleans up too.
 */
async function removeOtherModesRules(
  mode: ProxyMode,
  runners: {
    iptables: IptablesRunner | undefined;
    nft: NftRunner | undefined;
    netns: string | undefined;
    log: (line: string) => void;
    /** Touch nothing but the runners given (embedding, tests that fake one of them). */
    onlyGiven: boolean;
  },
): Promise<void> {
  const { iptables, nft, netns, log, onlyGiven } = runners;
  // The nftables mode keeps one chain in iptables (forward-companion.ts), which is its own to keep.
  const fromIptables = { iptablesMode: mode !== 'iptables', companion: mode !== 'nftables' };
  try {
    if (iptables) {
      if ((await iptablesProblem(iptables)) === undefined) {
        if (fromIptables.iptablesMode && (await new Proxier(iptables).cleanup()))
          log('removed the iptables rules of an earlier run in iptables mode');
        if (fromIptables.companion && (await removeForwardCompanion(iptables)))
          log(`removed the ${KUBICLE_FORWARD} chain of an earlier run in nftables mode`);
      }
    } else if (!onlyGiven) {
      await cleanupIptablesRules(netns, log, fromIptables);
    }
  } catch (err) {
    log(`cannot remove iptables rules of an earlier run: ${String(err)}`);
  }
  if (mode !== 'nftables') {
    try {
      let removed = false;
      if (nft instanceof Nftables || (nft === undefined && !onlyGiven)) {
        removed = await removeNftTable(nft ?? new Nftables({ netns }));
      } else if (nft !== undefined) {
        await new NftablesProxier(nft).cleanup();
      }
      if (removed) log('removed the nftables table of an earlier run in nftables mode');
    } catch (err) {
      log(`cannot remove the nftables rules of an earlier run: ${String(err)}`);
    }
  }
}

/** The parts of a Service the rules and listeners are built from. */
function serviceRelevant(service: KubeObject): unknown {
  return [service.spec, (service.status as { loadBalancer?: unknown } | undefined)?.loadBalancer];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describe(report: ProxySyncReport): string {
  const rules = report.nftables ?? report.iptables;
  if (rules) return `${rules.servicePorts} service ports, ${rules.endpoints} endpoints`;
  return `${report.userspace?.listening.length ?? 0} listening sockets`;
}
