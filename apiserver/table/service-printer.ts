/**
 * Service and Endpoints rows as `kubectl get svc,ep` shows them. The server renders the wide variant, so
 * load-balancer addresses are never shortened to 16 characters here (that only happens client-side).
 */

import type { KubeObject } from '../api-object.js';
import { DOCS } from './column-docs.js';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  arrayOf,
  formatLabels,
  nameOf,
  numberOf,
  recordOf,
  stringOf,
} from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

/** Distinct ingress IPs (or hostnames when no IP), sorted, comma-joined. */
function loadBalancerAddresses(status: Record<string, unknown>): string[] {
  const addresses = new Set<string>();
  for (const ingress of arrayOf(recordOf(status.loadBalancer).ingress)) {
    const address = stringOf(ingress.ip) || stringOf(ingress.hostname);
    if (address) addresses.add(address);
  }
  return [...addresses].sort();
}

function externalIP(spec: Record<string, unknown>, status: Record<string, unknown>): string {
  const externalIPs = arrayOf<string>(spec.externalIPs);
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const all = [...loadBalancerAddresses(status), ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return stringOf(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** `80/TCP`, or `80:30080/TCP` once a node port is allocated. */
function ports(spec: Record<string, unknown>): string {
  const pieces = arrayOf(spec.ports).map((port) => {
    const protocol = stringOf(port.protocol) || 'TCP';
    const nodePort = typeof port.nodePort === 'number' && port.nodePort > 0 ? `:${port.nodePort}` : '';
    return `${numberOf(port.port)}${nodePort}/${protocol}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

/** Older writers set only `clusterIP`; when both are set, upstream's conversion lets `clusterIP` win. */
function clusterIP(spec: Record<string, unknown>): string {
  return stringOf(spec.clusterIP) || stringOf(arrayOf<unknown>(spec.clusterIPs)[0]) || '<none>';
}

export const servicePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DOCS.serviceType),
    column('Cluster-IP', 'string', DOCS.serviceClusterIP),
    column('External-IP', 'string', DOCS.serviceExternalIPs),
    column('Port(s)', 'string', DOCS.servicePorts),
    AGE_COLUMN,
    column('Selector', 'string', DOCS.serviceSelector, { priority: 1 }),
  ],
  cells(svc, now) {
    const spec = recordOf(svc.spec);
    const status = recordOf(svc.status);
    return [
      nameOf(svc),
      stringOf(spec.type) || 'ClusterIP',
      clusterIP(spec),
      externalIP(spec, status),
      ports(spec),
      ageOf(svc, now),
      formatLabels(spec.selector),
    ];
  },
};

/** Go's `net.JoinHostPort`: IPv6 literals get brackets. */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const MAX_SHOWN_ENDPOINTS = 3;

/** Ready addresses only, `ip:port` per port, the first three then `+ N more...`. */
function formatEndpoints(endpoints: KubeObject): string {
  const subsets = arrayOf(endpoints.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let total = 0;
  for (const subset of subsets) {
    const addresses = arrayOf(subset.addresses).map((a) => stringOf(a.ip));
    const subsetPorts = arrayOf(subset.ports);
    // Headless services may have addresses without ports.
    const entries =
      subsetPorts.length === 0
        ? [addresses]
        : subsetPorts.map((port) => addresses.map((ip) => hostPort(ip, numberOf(port.port))));
    for (const group of entries) {
      total += group.length;
      shown.push(...group.slice(0, MAX_SHOWN_ENDPOINTS - shown.length));
    }
  }
  const text = shown.join(',');
  return total > MAX_SHOWN_ENDPOINTS ? `${text} + ${total - MAX_SHOWN_ENDPOINTS} more...` : text;
}

export const endpointsPrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', DOCS.endpointsSubsets), AGE_COLUMN],
  cells(endpoints, now) {
    return [nameOf(endpoints), formatEndpoints(endpoints), ageOf(endpoints, now)];
  },
};
