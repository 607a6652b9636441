/**
 * The cluster DNS server: Services and Endpoints from informers, records from ClusterDnsZone,
 * everything outside the cluster domain forwarded to the host's resolvers.
 *
 * Contract:
 * - `startClusterDns` resolves once the UDP and TCP sockets listen (it rejects if they cannot, e.g.
 *   the port is taken) and serves until `signal` aborts; `stopped` resolves when all is closed.
 * - Until the informers have listed everything, names in the cluster domain get SERVFAIL (clients
 *   retry) rather than an NXDOMAIN they would cache; forwarding works from the start.
 * - The zone is rebuilt at most once per query after changes, never per event.
 * - Upstreams are `upstream` when given, else the nameservers of `resolvConfPath` (re-read every
 *   30 s, so a changed host resolver is picked up), never the cluster DNS's own address.
 * - With `service`, `kube-system/kube-dns` and its Endpoints are kept pointing here: ensured at start
 *   (retried with backoff while the API server is unreachable) and again every minute.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { KubeObject } from '../../apiserver/api-object.js';
import { realClock } from '../../machinery/clock.js';
import type { Clock } from '../../machinery/clock.js';
import { Informer } from '../../machinery/informer.js';
import { apiClientFrom } from '../api-client-from.js';
import type { ClientSource } from '../api-client-from.js';
import { ClusterDnsZone } from './cluster-dns-zone.js';
import type { DnsEndpointsInput, DnsLookup, DnsServiceInput } from './cluster-dns-zone.js';
import { startDnsServer } from './dns-server.js';
import { DEFAULT_DNS_CLUSTER_IP, ensureDnsService } from './dns-service.js';
import { parseResolvConf, upstreamServers } from './resolv-conf.js';
import type { UpstreamServer } from './resolv-conf.js';

export interface ClusterDnsConfig extends ClientSource {
  readonly listen: { readonly address: string; readonly port: number };
  /** Default `cluster.local`. */
  readonly clusterDomain?: string;
  /** `ip` or `ip:port` entries; default the host's resolv.conf nameservers. */
  readonly upstream?: readonly string[];
  readonly resolvConfPath?: string;
  readonly ttl?: number;
  readonly upstreamTimeoutMs?: number;
  /** Keep the kube-dns Service and Endpoints pointing at this server. */
  readonly service?: { readonly clusterIP?: string; readonly endpointIP?: string };
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
}

export interface RunningClusterDns {
  readonly address: string;
  readonly port: number;
  /** True once Services and Endpoints are listed; false if stopped before. */
  readonly synced: Promise<boolean>;
  readonly stopped: Promise<void>;
}

const RESOLV_CONF_REFRESH_MS = 30_000;
const SERVICE_RECHECK_MS = 60_000;

export async function startClusterDns(config: ClusterDnsConfig): Promise<RunningClusterDns> {
  const log = config.log ?? ((line: string) => console.error(line));
  const clock = config.clock ?? realClock;
  const client = apiClientFrom(config, 'kubicle-dns');
  const clusterDomain = config.clusterDomain ?? 'cluster.local';
  const services = new Informer<KubeObject>({ client, apiVersion: 'v1', kind: 'Service', clock, log });
  const endpoints = new Informer<KubeObject>({ client, apiVersion: 'v1', kind: 'Endpoints', clock, log });

  let zone: ClusterDnsZone | undefined;
  const invalidate = () => {
    zone = undefined;
  };
  for (const informer of [services, endpoints]) {
    informer.addEventHandler({ onAdd: invalidate, onUpdate: invalidate, onDelete: invalidate });
  }
  const emptyZone = new ClusterDnsZone([], [], { clusterDomain });
  let synced = false;
  const lookup = (name: string, type: string): DnsLookup => {
    if (!synced) {
      if (!emptyZone.isInZone(name)) return emptyZone.lookup(name, type);
      return { kind: 'answer', rcode: 'SERVFAIL', answers: [], authorities: [], additionals: [] };
    }
    zone ??= new ClusterDnsZone(
      services.store.list() as DnsServiceInput[],
      endpoints.store.list() as DnsEndpointsInput[],
      { clusterDomain, ttl: config.ttl },
    );
    return zone.lookup(name, type);
  };

  const endpointIP = config.service?.endpointIP ?? config.listen.address;
  if (config.service && (endpointIP === '0.0.0.0' || endpointIP.startsWith('127.'))) {
    throw new Error(
      `the kube-dns Endpoints need an address pods can reach, not ${endpointIP}: listen on the node IP or give service.endpointIP`,
    );
  }
  let upstream: UpstreamServer[] = [];
  const server = await startDnsServer({
    listen: config.listen,
    lookup,
    upstream: () => upstream,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    log,
  });
  // Read once the port is known (port 0 picks one): forwarding must never reach this server.
  upstream = resolveUpstream(config, log, server.port);
  log(
    `cluster DNS for ${clusterDomain} listening on ${server.address}:${server.port} (UDP, TCP), forwarding to ${
      upstream.map((u) => `${u.address}:${u.port}`).join(', ') || 'nothing'
    }`,
  );

  const { signal } = config;
  const runs = [services.run(signal), endpoints.run(signal)];
  const syncedPromise = Promise.all([services.waitForSync(signal), endpoints.waitForSync(signal)]).then(
    ([a, b]) => {
      synced = a && b;
      invalidate();
      return synced;
    },
  );
  if (config.upstream === undefined) {
    runs.push(
      (async () => {
        while (!signal.aborted) {
          await clock.sleep(RESOLV_CONF_REFRESH_MS, signal);
          if (!signal.aborted) upstream = resolveUpstream(config, () => undefined, server.port);
        }
      })(),
    );
  }
  if (config.service) {
    const spec = { clusterIP: config.service.clusterIP, endpointIP, port: server.port };
    runs.push(keepDnsService(() => ensureDnsService(client, spec), clock, signal, log));
  }
  const stopped = (async () => {
    await new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await server.close();
    await Promise.all(runs);
  })();
  return { address: server.address, port: server.port, synced: syncedPromise, stopped };
}

async function keepDnsService(
  ensure: () => Promise<{ service: string; endpoints: string }>,
  clock: Clock,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  let backoffMs = 1000;
  while (!signal.aborted) {
    try {
      const result = await ensure();
      if (result.service !== 'unchanged' || result.endpoints !== 'unchanged') {
        log(`kube-dns service ${result.service}, endpoints ${result.endpoints}`);
      }
      backoffMs = 1000;
      await clock.sleep(SERVICE_RECHECK_MS, signal);
    } catch (err) {
      if (signal.aborted) return;
      log(`cannot write the kube-dns service, retrying in ${backoffMs} ms: ${String(err)}`);
      await clock.sleep(backoffMs, signal);
      backoffMs = Math.min(30_000, backoffMs * 2);
    }
  }
}

function resolveUpstream(
  config: ClusterDnsConfig,
  log: (line: string) => void,
  ownPort: number,
): UpstreamServer[] {
  const own = [
    `${config.listen.address}:${ownPort}`,
    `${config.service?.clusterIP ?? DEFAULT_DNS_CLUSTER_IP}:53`,
  ];
  if (config.listen.address === '0.0.0.0') {
    own.push(...localAddresses().map((address) => `${address}:${ownPort}`));
  }
  if (config.upstream !== undefined) return upstreamServers(config.upstream, own);
  const path = config.resolvConfPath ?? '/etc/resolv.conf';
  try {
    return upstreamServers(parseResolvConf(fs.readFileSync(path, 'utf8')).nameservers, own);
  } catch (err) {
    log(`cannot read ${path}, names outside the cluster will not resolve: ${String(err)}`);
    return [];
  }
}

function localAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.address);
}
