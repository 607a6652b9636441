/**
 * `type: LoadBalancer` without a cloud: the way small clusters (k3s's servicelb, kind's cloud
 * provider for local use) do it, the nodes themselves are the load balancer. Their InternalIPs go
 * into `status.loadBalancer.ingress`, and the proxy on every node carries traffic for those IPs on
 * the service port to the endpoints, so no service stays `<pending>`.
 *
 * Contract (pure):
 * - `ingressToWrite` returns the ingress list to write, or undefined when nothing should be written:
 *   not a LoadBalancer, handed to another implementation through `spec.loadBalancerClass`, ingress
 *   already set (by an earlier proxy, on another node or before a restart: every proxy may try, the
 *   first write wins and the others find it set), or no address known.
 * - Addresses are IPv4 only (the proxy is), sorted and deduplicated, so every node computes the same
 *   list from the same Nodes.
 * - `nodeInternalIPs` reads a Node's InternalIP addresses.
 */

export interface LoadBalancerServiceInput {
  readonly spec?: { readonly type?: string; readonly loadBalancerClass?: string };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly unknown[] } };
}

export interface NodeAddressesInput {
  readonly status?: { readonly addresses?: readonly { readonly type?: string; readonly address?: string }[] };
}

export interface LoadBalancerIngress {
  readonly ip: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function ingressToWrite(
  service: LoadBalancerServiceInput,
  addresses: readonly string[],
): LoadBalancerIngress[] | undefined {
  if (service.spec?.type !== 'LoadBalancer' || service.spec.loadBalancerClass) return undefined;
  if ((service.status?.loadBalancer?.ingress ?? []).length > 0) return undefined;
  const ips = sortedIPs(addresses);
  return ips.length > 0 ? ips.map((ip) => ({ ip })) : undefined;
}

export function nodeInternalIPs(node: object): string[] {
  const addresses = (node as NodeAddressesInput).status?.addresses ?? [];
  return sortedIPs(addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address ?? ''));
}

function sortedIPs(addresses: readonly string[]): string[] {
  const key = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return [...new Set(addresses.filter((a) => IPV4.test(a)))].sort((x, y) => key(x) - key(y));
}
