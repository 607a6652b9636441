/**
 * The proxy for hosts where iptables cannot be used (no root, no netfilter): it listens itself on
 * each NodePort (and on external / load-balancer IPs that belong to the host) and copies bytes to a
 * ready endpoint, TCP through `net`, UDP through `dgram`.
 *
 * Contract:
 * - `sync(snapshot)` makes the open sockets match `planListeners` for the snapshot and hands the
 *   endpoints to the balancer; connections in progress are never cut by a sync. A socket that
 *   cannot be opened (port taken, privileged port without root) is reported in the result, logged
 *   once, and tried again on every later sync; the other sockets are unaffected.
 * - Each new TCP connection (or each new UDP client address:port) gets an endpoint from
 *   `EndpointBalancer` (same balancing and ClientIP affinity as the iptables rules). A TCP connect
 *   that fails moves on to another endpoint; when none is left the client is reset.
 * - UDP replies go back from the socket the client sent to; a client's flow is forgotten after
 *   `udpIdleTimeoutMs` without traffic.
 * - `close()` closes every socket, including connections in progress.
 * Not served: cluster IPs (they are on no interface; that needs iptables or routes).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import type { ProxySnapshot } from './proxier.js';
import { collectServicePorts } from './ruleset.js';
import { EndpointBalancer } from './userspace-balancer.js';
import type { BalancingMode } from './userspace-balancer.js';
import { planListeners, servicePortKey } from './userspace-listeners.js';
import type { ListenerSpec } from './userspace-listeners.js';

export interface UserspaceProxyOptions {
  /**
   * Where NodePorts listen. Default: the snapshot's node IPs plus 127.0.0.1 (as NodePorts answer on
   * loopback in iptables mode), or every address (`0.0.0.0`) when it has none.
   */
  readonly listenAddresses?: readonly string[];
  /** The host's addresses, for external and load-balancer IPs; default from the interfaces. */
  readonly localAddresses?: readonly string[];
  readonly balancing?: BalancingMode;
  readonly udpIdleTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export interface UserspaceSyncResult {
  /** Ids of the listening sockets (`tcp 0.0.0.0:30080`). */
  readonly listening: readonly string[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

interface OpenListener {
  spec: ListenerSpec;
  close(): Promise<void>;
}

interface UdpFlow {
  readonly socket: dgram.Socket;
  readonly host: string;
  readonly port: number;
  readonly timer: NodeJS.Timeout;
}

export class UserspaceProxy {
  private readonly balancer: EndpointBalancer;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly listeners = new Map<string, OpenListener>();
  private readonly connections = new Set<net.Socket>();
  private readonly reportedFailures = new Set<string>();
  private closed = false;

  constructor(private readonly options: UserspaceProxyOptions = {}) {
    this.balancer = new EndpointBalancer(options.balancing ?? 'random', options.random);
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
  }

  async sync(snapshot: ProxySnapshot): Promise<UserspaceSyncResult> {
    if (this.closed) throw new Error('the userspace proxy is closed');
    const servicePorts = collectServicePorts(snapshot.services, snapshot.endpoints);
    this.balancer.update(
      servicePorts.map((sp) => ({
        key: servicePortKey(sp),
        endpoints: sp.endpoints,
        affinityTimeoutSeconds: sp.affinityTimeoutSeconds,
      })),
      this.clock.now(),
    );
    const desired = planListeners(servicePorts, {
      listenAddresses: this.options.listenAddresses ?? listenAddressesFor(snapshot.nodeIPs ?? []),
      localAddresses: this.options.localAddresses ?? hostAddresses(),
    });
    const wanted = new Map(desired.map((spec) => [spec.id, spec]));
    await Promise.all(
      [...this.listeners].filter(([id]) => !wanted.has(id)).map(([id, open]) => this.closeListener(id, open)),
    );
    const failed: { id: string; error: string }[] = [];
    await Promise.all(
      desired.map(async (spec) => {
        const open = this.listeners.get(spec.id);
        if (open) {
          open.spec = spec;
          return;
        }
        try {
          this.listeners.set(spec.id, await this.open(spec));
          this.reportedFailures.delete(spec.id);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          failed.push({ id: spec.id, error });
          if (!this.reportedFailures.has(spec.id)) {
            this.reportedFailures.add(spec.id);
            this.log(`userspace proxy: cannot listen on ${spec.id} for ${spec.servicePort}: ${error}`);
          }
        }
      }),
    );
    return { listening: [...this.listeners.keys()].sort(), failed };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([...this.listeners].map(([id, open]) => this.closeListener(id, open)));
  }

  private async closeListener(id: string, open: OpenListener): Promise<void> {
    this.listeners.delete(id);
    await open.close();
  }

  private open(spec: ListenerSpec): Promise<OpenListener> {
    return spec.protocol === 'tcp' ? this.openTcp(spec) : this.openUdp(spec);
  }

  private openTcp(spec: ListenerSpec): Promise<OpenListener> {
    const listener: OpenListener = {
      spec,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
    const server = net.createServer({ allowHalfOpen: true }, (client) =>
      this.forwardTcp(client, listener.spec.servicePort),
    );
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: spec.address, port: spec.port }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log(`userspace proxy: ${spec.id}: ${err.message}`));
        resolve(listener);
      });
    });
  }

  private forwardTcp(client: net.Socket, servicePort: string): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const clientIP = plainIPv4(client.remoteAddress ?? '');
    const tried = new Set<string>();
    const attempt = () => {
      if (client.destroyed) return;
      const endpoint = this.balancer.pick(servicePort, clientIP, this.clock.now(), tried);
      if (endpoint === undefined) {
        client.resetAndDestroy();
        return;
      }
      tried.add(endpoint);
      const { host, port } = splitEndpoint(endpoint);
      const upstream = net.connect({ host, port, allowHalfOpen: true });
      this.track(upstream);
      upstream.setTimeout(this.options.connectTimeoutMs ?? 5000);
      const onConnectFailure = () => {
        upstream.destroy();
        this.balancer.forget(servicePort, clientIP);
        attempt();
      };
      upstream.once('timeout', onConnectFailure);
      upstream.once('error', onConnectFailure);
      upstream.once('connect', () => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        upstream.setTimeout(0);
        upstream.off('timeout', onConnectFailure);
        upstream.off('error', onConnectFailure);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    attempt();
  }

  private openUdp(spec: ListenerSpec): Promise<OpenListener> {
    const socket = dgram.createSocket('udp4');
    const flows = new Map<string, UdpFlow>();
    const idleMs = this.options.udpIdleTimeoutMs ?? 30_000;
    const endFlow = (key: string) => {
      const flow = flows.get(key);
      if (!flow) return;
      flows.delete(key);
      clearTimeout(flow.timer);
      flow.socket.close();
    };
    const listener: OpenListener = {
      spec,
      close: () =>
        new Promise<void>((resolve) => {
          for (const key of [...flows.keys()]) endFlow(key);
          socket.close(() => resolve());
        }),
    };
    socket.on('message', (message, client) => {
      const key = `${client.address}:${client.port}`;
      let flow = flows.get(key);
      if (!flow) {
        const endpoint = this.balancer.pick(listener.spec.servicePort, client.address, this.clock.now());
        if (endpoint === undefined) return;
        const { host, port } = splitEndpoint(endpoint);
        const upstream = dgram.createSocket('udp4');
        upstream.on('message', (reply, from) => {
          if (from.address !== host || from.port !== port) return;
          flows.get(key)?.timer.refresh();
          socket.send(reply, client.port, client.address);
        });
        upstream.on('error', () => endFlow(key));
        flow = { socket: upstream, host, port, timer: setTimeout(() => endFlow(key), idleMs) };
        flow.timer.unref();
        flows.set(key, flow);
      } else {
        flow.timer.refresh();
      }
      flow.socket.send(message, flow.port, flow.host);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: spec.address, port: spec.port }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.log(`userspace proxy: ${spec.id}: ${err.message}`));
        resolve(listener);
      });
    });
  }

  private track(socket: net.Socket): void {
    this.connections.add(socket);
    socket.once('close', () => this.connections.delete(socket));
  }
}

function listenAddressesFor(nodeIPs: readonly string[]): string[] {
  return nodeIPs.length > 0 ? [...new Set([...nodeIPs, '127.0.0.1'])] : ['0.0.0.0'];
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
function plainIPv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)) };
}

function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.address);
}
