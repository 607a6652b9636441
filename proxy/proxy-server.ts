/**
 * One node's service proxy, wired: informers on Services, Endpoints and Nodes feed a rate-limited
 * sync loop that drives the iptables Proxier, or the userspace proxy where iptables cannot be used;
 * LoadBalancer services get the node addresses as their ingress.
 *
 * Contract:
 * - `startProxy` picks the mode, prepares the host and resolves with a handle; the proxy then runs
 *   until `signal` aborts. Mode `auto` (the default) uses iptables when it works and otherwise falls
 *   back to userspace with one log line saying why; `iptables` fails to start instead.
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
import type { IptablesBackend, IptablesBackendChoice } from './iptables-backend.js';
import { ingressToWrite, nodeInternalIPs } from './load-balancer-status.js';
import { Proxier } from './proxier.js';
import type { ProxySnapshot, SyncResult } from './proxier.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';
import { SyncLoop } from './sync-loop.js';
import { UserspaceProxy } from './userspace-proxy.js';
import type { UserspaceProxyOptions, UserspaceSyncResult } from './userspace-proxy.js';

export type ProxyMode = 'iptables' | 'userspace';

export interface ProxyConfig extends ClientSource {
  readonly nodeName: string;
  readonly nodeIPs?: readonly string[];
  readonly mode?: ProxyMode | 'auto';
  /** Run every iptables command in this network namespace (`ip netns exec`). */
  readonly netns?: string;
  readonly iptablesBackend?: IptablesBackendChoice;
  readonly minSyncIntervalMs?: number;
  readonly syncPeriodMs?: number;
  /** Pod CIDR: traffic to cluster IPs from outside it is masqueraded. */
  readonly clusterCIDR?: string;
  readonly masqueradeAll?: boolean;
  readonly userspace?: Pick<UserspaceProxyOptions, 'balancing' | 'udpIdleTimeoutMs' | 'localAddresses'>;
  /** Replaces the iptables runner the proxy builds itself (embedding, tests). */
  readonly iptables?: IptablesRunner;
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
  const requested = config.mode ?? 'auto';

  let backend: IptablesBackend | undefined;
  let runner: IptablesRunner | undefined = config.iptables;
  if (!runner && requested !== 'userspace') {
    const decision = await chooseIptablesBackend(config.iptablesBackend ?? 'auto', { netns: config.netns });
    backend = decision.backend;
    runner = new Iptables({ netns: config.netns, exec: iptablesExecutor(decision.backend) });
    if (decision.backend !== 'system') log(`iptables backend ${decision.backend}: ${decision.reason}`);
  }
  let mode: ProxyMode = 'userspace';
  if (requested !== 'userspace') {
    const problem = await iptablesProblem(runner!);
    if (problem === undefined) {
      mode = 'iptables';
    } else if (requested === 'iptables') {
      throw new Error(`iptables mode was asked for but iptables cannot be used here: ${problem}`);
    } else {
      log(
        `iptables cannot be used here (${problem}): falling back to the userspace proxy, which serves NodePorts ` +
          `and local external/load-balancer IPs from this process; cluster IPs are not reachable in this mode`,
      );
    }
  }

  let apply: (
    snapshot: ProxySnapshot,
    full: boolean,
  ) => Promise<Omit<ProxySyncReport, 'startedAt' | 'durationMs'>>;
  let userspace: UserspaceProxy | undefined;
  if (mode === 'iptables') {
    const proxier = new Proxier(runner!, {
      clusterCIDR: config.clusterCIDR,
      masqueradeAll: config.masqueradeAll,
    });
    try {
      await proxier.prepareHost();
    } catch (err) {
      log(`cannot set the sysctls the rules rely on (forwarding, route_localnet): ${String(err)}`);
    }
    apply = async (snapshot, full) => {
      const result = await proxier.sync(snapshot, { full });
      return { mode, full: result.full, iptables: result };
    };
  } else {
    const proxy = new UserspaceProxy({ ...config.userspace, clock, log });
    userspace = proxy;
    apply = async (snapshot) => ({ mode, full: true, userspace: await proxy.sync(snapshot) });
  }
  if (mode === 'userspace' && requested === 'userspace') await removeLeftoverRules(runner, config.netns, log);

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
    iptablesBackend: mode === 'iptables' ? (backend ?? 'system') : undefined,
    firstSync,
    stopped,
  };
}

/**
 * `kubicle proxy --cleanup`: removes every chain and rule of ours, from each iptables backend that
 * may hold some, so nothing is left whichever one an earlier run used.
 */
export async function cleanupProxyRules(
  options: { netns?: string; log?: (line: string) => void } = {},
): Promise<IptablesBackend[]> {
  const log = options.log ?? ((line: string) => console.error(line));
  const cleaned: IptablesBackend[] = [];
  for (const backend of await backendsInUse({ netns: options.netns })) {
    const runner = new Iptables({ netns: options.netns, exec: iptablesExecutor(backend) });
    if (!(await runner.available())) continue;
    await new Proxier(runner).cleanup();
    cleaned.push(backend);
    log(`removed the proxy rules from the ${backend} iptables tables`);
  }
  return cleaned;
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

/**
 * Rules of an earlier iptables-mode run would still catch NodePort traffic before it reaches the
 * userspace listeners, as upstream's userspace mode also knows.
 */
async function removeLeftoverRules(
  runner: IptablesRunner | undefined,
  netns: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  try {
    if (runner) {
      if ((await iptablesProblem(runner)) === undefined) await new Proxier(runner).cleanup();
    } else {
      await cleanupProxyRules({ netns, log });
    }
  } catch (err) {
    log(`cannot remove iptables rules of an earlier run: ${String(err)}`);
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
  if (report.iptables) {
    return `${report.iptables.servicePorts} service ports, ${report.iptables.endpoints} endpoints`;
  }
  return `${report.userspace?.listening.length ?? 0} listening sockets`;
}
