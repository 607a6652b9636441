/**
 * The runtime configuration of a pod's sandbox and containers, from the pod spec and what the caller
 * already resolved (environment, mounts), as upstream's kuberuntime generate* functions.
 *
 * DNS follows upstream's dnsPolicy rules:
 * - ClusterFirst (the default): the cluster DNS servers, search `<ns>.svc.<domain> svc.<domain>
 *   <domain>`, `ndots:5`; a host-network pod falls back to Default, as upstream does.
 * - ClusterFirstWithHostNet: as ClusterFirst, host network or not.
 * - Default: the host's resolver (left to the runtime). None: only what `dnsConfig` says.
 * `dnsConfig` nameservers, searches and options are then merged in (options by name, later wins).
 * Without cluster DNS servers, ClusterFirst falls back to Default.
 */
import type { Container, Pod } from './api-types.js';
import { linuxContainerResources } from './container-resources.js';
import { containerHash } from './pod-actions.js';
import type {
  ContainerConfig,
  DnsConfig,
  EnvVar,
  Mount,
  PortMapping,
  SandboxConfig,
} from './runtime/runtime.js';
import { expandCommandAndArgs } from './container-env.js';

export interface DnsSettings {
  /** Cluster DNS servers, e.g. ['10.96.0.10']; empty means none is configured. */
  clusterDNS: string[];
  clusterDomain: string;
}

export const DEFAULT_CLUSTER_DNS = '10.96.0.10';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** Upstream's limits on what ends up in resolv.conf. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const option of base) byName.set(option.split(':')[0], option);
  for (const option of extra) {
    if (!option.name) continue;
    byName.set(option.name, option.value !== undefined ? `${option.name}:${option.value}` : option.name);
  }
  return [...byName.values()];
}

/** undefined: use the runtime's default resolver configuration (the host's). */
export function podDnsConfig(pod: Pod, settings: DnsSettings): DnsConfig | undefined {
  const spec: NonNullable<Pod['spec']> = pod.spec ?? { containers: [] };
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (
    (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') &&
    settings.clusterDNS.length === 0
  ) {
    policy = 'Default';
  }
  let config: DnsConfig | undefined;
  if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
    const ns = pod.metadata?.namespace ?? 'default';
    const domain = settings.clusterDomain;
    config = {
      servers: [...settings.clusterDNS],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain],
      options: ['ndots:5'],
    };
  } else if (policy === 'None') {
    config = { servers: [], searches: [], options: [] };
  }
  const extra = spec.dnsConfig;
  if (!extra) return config;
  if (!config) {
    // Default policy with additions: the additions alone, on top of the host's resolver.
    if (!extra.nameservers?.length && !extra.searches?.length && !extra.options?.length) return undefined;
    config = { servers: [], searches: [], options: [] };
  }
  return {
    servers: [...new Set([...config.servers, ...(extra.nameservers ?? [])])].slice(0, MAX_NAMESERVERS),
    searches: [...new Set([...config.searches, ...(extra.searches ?? [])])].slice(0, MAX_SEARCHES),
    options: mergeOptions(config.options, extra.options ?? []),
  };
}

/** Hostname of the sandbox: spec.hostname, else the pod name, cut to a DNS label. */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata?.name || 'pod';
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

export function portMappings(pod: Pod): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (!port.hostPort) continue;
      mappings.push({
        containerPort: port.containerPort,
        hostPort: port.hostPort,
        protocol: (port.protocol ?? 'TCP') as PortMapping['protocol'],
        hostIP: port.hostIP || undefined,
      });
    }
  }
  return mappings;
}

export function sandboxConfigFor(pod: Pod, attempt: number, dns: DnsSettings): SandboxConfig {
  const meta = pod.metadata ?? {};
  const spec: NonNullable<Pod['spec']> = pod.spec ?? { containers: [] };
  return {
    pod: { uid: meta.uid ?? '', name: meta.name ?? '', namespace: meta.namespace ?? '' },
    attempt,
    hostname: podHostname(pod),
    hostNetwork: spec.hostNetwork === true,
    hostIPC: spec.hostIPC === true,
    hostPID: spec.hostPID === true,
    shareProcessNamespace: spec.shareProcessNamespace === true,
    dns: podDnsConfig(pod, dns),
    portMappings: portMappings(pod),
    hostAliases: (spec.hostAliases ?? []).map((a) => ({ ip: a.ip ?? '', hostnames: a.hostnames ?? [] })),
    labels: { ...meta.labels },
  };
}

export interface ContainerInputs {
  env: EnvVar[];
  mounts: Mount[];
  restartCount: number;
  machineMemoryBytes: number;
}

function securityUser(pod: Pod, container: Container): string | undefined {
  const ctx = container.securityContext ?? {};
  const podCtx = pod.spec?.securityContext ?? {};
  const uid = ctx.runAsUser ?? podCtx.runAsUser;
  const gid = ctx.runAsGroup ?? podCtx.runAsGroup;
  if (uid === undefined) return undefined;
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}

export function containerConfigFor(pod: Pod, container: Container, inputs: ContainerInputs): ContainerConfig {
  const { command, args } = expandCommandAndArgs(container, inputs.env);
  const security = container.securityContext ?? {};
  return {
    name: container.name,
    image: container.image ?? '',
    command,
    args,
    env: inputs.env,
    workingDir: container.workingDir || undefined,
    mounts: inputs.mounts,
    resources: linuxContainerResources(pod, container, inputs.machineMemoryBytes),
    user: securityUser(pod, container),
    privileged: security.privileged === true,
    readOnlyRootFilesystem: security.readOnlyRootFilesystem === true,
    capAdd: security.capabilities?.add,
    capDrop: security.capabilities?.drop,
    tty: container.tty === true,
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    restartCount: inputs.restartCount,
    hash: containerHash(container),
  };
}
