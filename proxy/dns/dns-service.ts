/**
 * The cluster DNS as a Service: `kube-system/kube-dns` with a fixed cluster IP (the one kubelets
 * write into pods' resolv.conf) and, since it has no selector, Endpoints that we write ourselves,
 * pointing at the address where the DNS server listens. The proxy then carries 10.96.0.10:53 there.
 *
 * Contract:
 * - `ensureDnsService` creates or updates both objects so they match, and changes nothing when they
 *   already do (safe to call on every start). Ports are `dns` 53/UDP and `dns-tcp` 53/TCP, targeting
 *   the DNS server's port.
 * - A cluster IP cannot be changed in place: a Service of ours (label `app.kubernetes.io/managed-by:
 *   kubicle`) with another IP is deleted and created again; anyone else's is left alone with an error.
 * - Conflicting concurrent writes (409) are retried a few times.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/api-status-error.js';

export interface DnsServiceSpec {
  /** Default 10.96.0.10, the address kubeadm clusters use. */
  readonly clusterIP?: string;
  /** The node address the DNS server listens on. */
  readonly endpointIP: string;
  /** The DNS server's port; default 53. */
  readonly port?: number;
  readonly namespace?: string;
  readonly name?: string;
}

export const DEFAULT_DNS_CLUSTER_IP = '10.96.0.10';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const LABELS = {
  'k8s-app': 'kube-dns',
  'kubernetes.io/cluster-service': 'true',
  'kubernetes.io/name': 'KubeDNS',
  [MANAGED_BY]: 'kubicle',
};
const ATTEMPTS = 5;

export interface DnsServiceResult {
  readonly service: 'created' | 'updated' | 'recreated' | 'unchanged';
  readonly endpoints: 'created' | 'updated' | 'unchanged';
}

export async function ensureDnsService(client: ApiClient, spec: DnsServiceSpec): Promise<DnsServiceResult> {
  const desired = desiredObjects(spec);
  const service = await retryConflicts(() => ensureService(client, desired.service));
  const endpoints = await retryConflicts(() => ensureEndpoints(client, desired.endpoints));
  return { service, endpoints };
}

interface ServiceShape extends KubeObject {
  spec?: { clusterIP?: string; ports?: unknown[]; selector?: unknown; type?: string; [k: string]: unknown };
}

interface EndpointsShape extends KubeObject {
  subsets?: unknown[];
}

function desiredObjects(spec: DnsServiceSpec): { service: ServiceShape; endpoints: EndpointsShape } {
  const namespace = spec.namespace ?? 'kube-system';
  const name = spec.name ?? 'kube-dns';
  const port = spec.port ?? 53;
  return {
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace, name, labels: { ...LABELS } },
      spec: {
        type: 'ClusterIP',
        clusterIP: spec.clusterIP ?? DEFAULT_DNS_CLUSTER_IP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: port },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: port },
        ],
      },
    },
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace, name, labels: { ...LABELS } },
      subsets: [
        {
          addresses: [{ ip: spec.endpointIP }],
          ports: [
            { name: 'dns', port, protocol: 'UDP' },
            { name: 'dns-tcp', port, protocol: 'TCP' },
          ],
        },
      ],
    },
  };
}

async function ensureService(client: ApiClient, desired: ServiceShape): Promise<DnsServiceResult['service']> {
  const { namespace, name } = desired.metadata;
  const existing = await getOrUndefined<ServiceShape>(() => client.get('v1', 'Service', namespace, name!));
  if (!existing) {
    await client.create('v1', 'Service', namespace, desired);
    return 'created';
  }
  if (existing.spec?.clusterIP !== desired.spec!.clusterIP) {
    if (existing.metadata.labels?.[MANAGED_BY] !== 'kubicle') {
      throw new Error(
        `service ${namespace}/${name} exists with cluster IP ${existing.spec?.clusterIP}, not ${desired.spec!.clusterIP}, and was not created by kubicle: delete it or use its IP`,
      );
    }
    await client.delete('v1', 'Service', namespace, name!, {
      preconditions: { uid: existing.metadata.uid },
    });
    await client.create('v1', 'Service', namespace, desired);
    return 'recreated';
  }
  const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
  const unchanged =
    same(existing.spec?.ports?.map(portShape), desired.spec!.ports!.map(portShape)) &&
    existing.spec?.selector === undefined &&
    same(existing.metadata.labels, labels);
  if (unchanged) return 'unchanged';
  const updated = structuredClone(existing);
  updated.metadata.labels = labels;
  updated.spec = { ...updated.spec, ports: desired.spec!.ports };
  delete updated.spec.selector;
  await client.update('v1', 'Service', namespace, updated);
  return 'updated';
}

async function ensureEndpoints(
  client: ApiClient,
  desired: EndpointsShape,
): Promise<DnsServiceResult['endpoints']> {
  const { namespace, name } = desired.metadata;
  const existing = await getOrUndefined<EndpointsShape>(() =>
    client.get('v1', 'Endpoints', namespace, name!),
  );
  if (!existing) {
    await client.create('v1', 'Endpoints', namespace, desired);
    return 'created';
  }
  if (same(existing.subsets, desired.subsets)) return 'unchanged';
  const updated = structuredClone(existing);
  updated.subsets = desired.subsets;
  updated.metadata.labels = { ...existing.metadata.labels, ...desired.metadata.labels };
  await client.update('v1', 'Endpoints', namespace, updated);
  return 'updated';
}

/** The fields of a service port this module sets, so server defaults do not count as a difference. */
function portShape(port: unknown): unknown {
  const p = port as { name?: string; port?: number; protocol?: string; targetPort?: unknown };
  return { name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function retryConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err)) || attempt >= ATTEMPTS) throw err;
    }
  }
}
