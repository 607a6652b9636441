/**
 * What the userspace proxy listens on, as a pure function of the service ports.
 *
 * Contract:
 * - A service port with ready endpoints gets a listener on its NodePort at each listen address, and
 *   on its own port at each external or load-balancer IP that is an address of this host (the only
 *   ones a socket can bind). Cluster IPs are on no interface, so they cannot be served this way.
 * - A service port without ready endpoints gets no listener, so clients are refused at once by the
 *   kernel, as with the REJECT rules of iptables mode.
 * - SCTP is left out (Node has no SCTP sockets). Two service ports wanting the same protocol,
 *   address and port: the first in service-port order wins, as sorted by `collectServicePorts`.
 */
import type { ServicePortInfo } from './ruleset.js';

export type ListenerProtocol = 'tcp' | 'udp';

export interface ListenerSpec {
  /** `tcp 0.0.0.0:30080`: what identifies a listening socket. */
  readonly id: string;
  readonly protocol: ListenerProtocol;
  readonly address: string;
  readonly port: number;
  /** The balancer key of the service port it forwards to. */
  readonly servicePort: string;
}

export interface ListenerPlanOptions {
  /** Where NodePorts listen; `0.0.0.0` means every address. */
  readonly listenAddresses: readonly string[];
  /** This host's own addresses. */
  readonly localAddresses: readonly string[];
}

/** The balancer key of a service port: its name and protocol, as its iptables chain is hashed from. */
export function servicePortKey(sp: Pick<ServicePortInfo, 'name' | 'protocol'>): string {
  return `${sp.name}/${sp.protocol}`;
}

export function planListeners(
  servicePorts: readonly ServicePortInfo[],
  options: ListenerPlanOptions,
): ListenerSpec[] {
  const local = new Set(options.localAddresses);
  const specs = new Map<string, ListenerSpec>();
  const add = (protocol: ListenerProtocol, address: string, port: number, servicePort: string) => {
    const id = `${protocol} ${address}:${port}`;
    if (!specs.has(id)) specs.set(id, { id, protocol, address, port, servicePort });
  };
  for (const sp of servicePorts) {
    if (sp.endpoints.length === 0 || (sp.protocol !== 'tcp' && sp.protocol !== 'udp')) continue;
    const key = servicePortKey(sp);
    if (sp.nodePort > 0)
      for (const address of options.listenAddresses) add(sp.protocol, address, sp.nodePort, key);
    for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
      if (local.has(ip)) add(sp.protocol, ip, sp.port, key);
    }
  }
  return [...specs.values()];
}
