/**
 * The Node and node Lease a kubelet (real or simulated) registers and keeps current, built from plain
 * observations, as upstream's nodestatus setters and node lease controller make them, without I/O.
 *
 * Contract:
 * - `buildNode` gives the whole object to create: labels (the standard `kubernetes.io/*` ones plus the
 *   caller's), capacity and allocatable, addresses, nodeInfo, the kubelet endpoint and conditions.
 * - `nodeConditions` gives the four conditions upstream reports, in upstream's order (MemoryPressure,
 *   DiskPressure, PIDPressure, Ready), with upstream's reasons and messages. `lastHeartbeatTime` is
 *   always `now`; `lastTransitionTime` is kept from the previous condition of that type while its
 *   status stays the same.
 * - `nodeStatusChanged` says whether a new status differs from the posted one in anything but
 *   heartbeat times, which is when a kubelet posts it before the periodic report is due.
 * - `nodeLease` gives the Lease that says "this node is alive": named after the node, in
 *   `kube-node-lease`, owned by the Node so it goes with it.
 */
import type { V1Lease, V1Node, V1NodeAddress, V1NodeCondition, V1NodeStatus } from '@kubernetes/client-node';
import type { PlainJson } from './api-types.js';
import { rfc3339 } from './api-types.js';

export type Node = PlainJson<V1Node>;
export type NodeStatus = PlainJson<V1NodeStatus>;
export type NodeCondition = PlainJson<V1NodeCondition>;
export type NodeAddress = PlainJson<V1NodeAddress>;
export type Lease = PlainJson<V1Lease>;

export const KUBELET_VERSION = 'v1.32.0-kubicle';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Upstream's nodeLeaseDurationSeconds; renewals come every quarter of it (10 s). */
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;
/** Upstream's nodeStatusReportFrequency: an unchanged status is still posted this often. */
export const NODE_STATUS_REPORT_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_MAX_PODS = 110;

export interface NodeHealth {
  /** The container runtime answers and the kubelet's relist is current. */
  ready: boolean;
  /** Why the node is not ready, e.g. `container runtime is down: ...`. */
  notReadyMessage?: string;
  memoryPressure?: boolean;
  diskPressure?: boolean;
  pidPressure?: boolean;
}

export interface NodeDescription {
  name: string;
  /** Beyond the standard hostname/os/arch labels. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  addresses: NodeAddress[];
  nodeInfo: NonNullable<NodeStatus['nodeInfo']>;
  /** The port of the kubelet's log server; 0 when it serves none. */
  kubeletPort: number;
  podCIDR?: string;
  taints?: NonNullable<Node['spec']>['taints'];
}

type ConditionSpec = Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>;

function pressure(type: string, underPressure: boolean | undefined, texts: [string, string, string, string]) {
  const [okReason, okMessage, badReason, badMessage] = texts;
  return underPressure
    ? { type, status: 'True', reason: badReason, message: badMessage }
    : { type, status: 'False', reason: okReason, message: okMessage };
}

export function nodeConditions(health: NodeHealth, previous: NodeCondition[], now: number): NodeCondition[] {
  const specs: ConditionSpec[] = [
    pressure('MemoryPressure', health.memoryPressure, [
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
      'KubeletHasInsufficientMemory',
      'kubelet has insufficient memory available',
    ]),
    pressure('DiskPressure', health.diskPressure, [
      'KubeletHasNoDiskPressure',
      'kubelet has no disk pressure',
      'KubeletHasDiskPressure',
      'kubelet has disk pressure',
    ]),
    pressure('PIDPressure', health.pidPressure, [
      'KubeletHasSufficientPID',
      'kubelet has sufficient PID available',
      'KubeletHasInsufficientPID',
      'kubelet has insufficient PID available',
    ]),
    health.ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: health.notReadyMessage ?? 'kubelet is not ready',
        },
  ];
  const stamp = rfc3339(now);
  return specs.map((spec) => {
    const old = previous.find((c) => c.type === spec.type);
    const keep = old && old.status === spec.status && old.lastTransitionTime;
    return {
      ...spec,
      lastHeartbeatTime: stamp,
      lastTransitionTime: keep ? old.lastTransitionTime : stamp,
    };
  });
}

/** The labels every kubelet sets on its node (and the deprecated beta ones upstream still sets). */
export function standardNodeLabels(name: string, os: string, arch: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
  };
}

/** Node's `os.arch()` names in GOARCH terms, which is what the arch label and nodeInfo carry. */
export function goArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64' };
  return names[nodeArch] ?? nodeArch;
}

export function buildNodeStatus(
  description: NodeDescription,
  health: NodeHealth,
  previous: NodeStatus | undefined,
  now: number,
): NodeStatus {
  return {
    capacity: { ...description.capacity },
    allocatable: { ...description.allocatable },
    conditions: nodeConditions(health, previous?.conditions ?? [], now),
    addresses: description.addresses.map((a) => ({ ...a })),
    daemonEndpoints: { kubeletEndpoint: { Port: description.kubeletPort } },
    nodeInfo: { ...description.nodeInfo },
  };
}

export function buildNode(description: NodeDescription, health: NodeHealth, now: number): Node {
  const { nodeInfo } = description;
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: description.name,
      labels: {
        ...standardNodeLabels(description.name, nodeInfo.operatingSystem, nodeInfo.architecture),
        ...description.labels,
      },
    },
    spec: {},
    status: buildNodeStatus(description, health, undefined, now),
  };
  if (description.annotations) node.metadata!.annotations = { ...description.annotations };
  if (description.podCIDR) node.spec = { podCIDR: description.podCIDR, podCIDRs: [description.podCIDR] };
  if (description.taints?.length) node.spec!.taints = description.taints;
  return node;
}

function withoutHeartbeats(status: NodeStatus | undefined): unknown {
  return {
    ...status,
    conditions: (status?.conditions ?? []).map(({ lastHeartbeatTime: _h, ...rest }) => rest),
  };
}

/** Deep equality of plain JSON, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => jsonEqual(v, other[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function nodeStatusChanged(posted: NodeStatus | undefined, next: NodeStatus): boolean {
  return !jsonEqual(withoutHeartbeats(posted), withoutHeartbeats(next));
}

/** metav1.MicroTime's wire form: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function nodeLease(
  nodeName: string,
  nodeUid: string | undefined,
  now: number,
  previous?: Lease,
): Lease {
  const lease: Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...previous?.metadata, name: nodeName, namespace: NODE_LEASE_NAMESPACE },
    spec: {
      ...previous?.spec,
      holderIdentity: nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime: microTime(now),
    },
  };
  if (nodeUid && !previous?.metadata?.ownerReferences?.length) {
    lease.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }];
  }
  return lease;
}

/** The interface of the default route in /proc/net/route (destination 00000000), if any. */
export function defaultRouteInterface(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}

/** Bridges and veths Docker and CNI create carry addresses no other host can reach. */
const VIRTUAL_INTERFACE = /^(docker\d*|br-|veth|cni|flannel|cali|kube-|virbr)/;

/**
 * The node's InternalIP: the IPv4 address of the default route's interface, else the first IPv4
 * address of a non-virtual interface, as upstream picks the address of the default route.
 */
export function primaryIPv4(
  interfaces: Record<string, InterfaceAddress[] | undefined>,
  defaultInterface?: string,
): string | undefined {
  const ipv4 = (name: string) =>
    (interfaces[name] ?? []).find((a) => (a.family === 'IPv4' || a.family === 4) && !a.internal)?.address;
  if (defaultInterface) {
    const address = ipv4(defaultInterface);
    if (address) return address;
  }
  for (const name of Object.keys(interfaces).sort()) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    const address = ipv4(name);
    if (address) return address;
  }
  return undefined;
}

/** /etc/os-release as key/value pairs, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    result[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["$`\\])/g, '$1');
  }
  return result;
}

/** Capacity as Kubernetes quantities: memory in Ki, as cadvisor-based kubelets report it. */
export function machineCapacity(cpus: number, memoryBytes: number, maxPods = DEFAULT_MAX_PODS) {
  return {
    cpu: String(cpus),
    memory: `${Math.floor(memoryBytes / 1024)}Ki`,
    pods: String(maxPods),
  };
}

/**
 * Allocatable = capacity minus what is held back for the system: upstream's default hard eviction
 * threshold of 100Mi memory comes off; CPU and pods are left whole.
 */
export function allocatableOf(capacity: Record<string, string>, reservedMemoryBytes = 100 * 1024 * 1024) {
  const result = { ...capacity };
  const memoryKi = /^(\d+)Ki$/.exec(capacity.memory ?? '');
  if (memoryKi) {
    const ki = Math.max(0, Number(memoryKi[1]) - Math.floor(reservedMemoryBytes / 1024));
    result.memory = `${ki}Ki`;
  }
  return result;
}
