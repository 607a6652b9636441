/**
 * The scheduling framework's vocabulary, after kube-scheduler's framework package: Status codes with
 * reasons, CycleState, the plugin extension points, and NodeInfo (a node with the pods on it and what
 * they use).
 *
 * Contract:
 * - Plugins are synchronous and pure with respect to the snapshot they are given: they read NodeInfos
 *   and keep per-cycle data only in CycleState, under keys like `'PreFilter' + name`.
 * - A Filter returns `Status.SUCCESS` or a rejection naming every reason it found. `Unschedulable` means
 *   preemption might help; `UnschedulableAndUnresolvable` means it would not.
 * - Scores are integers; after NormalizeScore every plugin's scores lie in [0, MAX_NODE_SCORE].
 * - NodeInfo keeps running totals (requested resources, used host ports, pods with affinity, replicas per
 *   controller) updated on add/remove, so filters are O(1) per node. Every mutation bumps `generation`,
 *   which is how the cache snapshots only what changed.
 */

import type { Node, Taint } from './api-types.js';
import { BIND_ALL_HOST_IP, type HostPort, type PodInfo } from './pod-info.js';
import { nodeAllocatable, type Allocatable, type Resources } from './resources.js';

export const MAX_NODE_SCORE = 100;

/** Milliseconds since some epoch; kept this small so any richer clock can be passed in. */
export interface Clock {
  now(): number;
}

export type StatusCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export class Status {
  static readonly SUCCESS = new Status('Success', []);
  /** From PreFilter or PreScore: the plugin has nothing to do for this pod in this cycle. */
  static readonly SKIP = new Status('Skip', []);

  private constructor(
    readonly code: StatusCode,
    readonly reasons: readonly string[],
    /** The plugin that produced the status; set by the framework when it records a failure. */
    readonly plugin?: string,
  ) {}

  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons);
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons);
  }

  static error(message: string): Status {
    return new Status('Error', [message]);
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  isSkip(): boolean {
    return this.code === 'Skip';
  }

  /** Unschedulable or UnschedulableAndUnresolvable: the pod cannot go there, which is not an error. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }

  /** Status.Message(): the reasons joined by ", ". */
  message(): string {
    return this.reasons.join(', ');
  }

  withPlugin(plugin: string): Status {
    return new Status(this.code, this.reasons, plugin);
  }
}

/** Per-cycle scratch space shared by a plugin's extension points. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run this cycle. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not run this cycle. */
  readonly skipScorePlugins = new Set<string>();

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

/** The node list a cycle works on; see snapshot.ts. */
export interface Snapshot {
  readonly nodeInfos: readonly NodeInfo[];
  /** Nodes with at least one pod having any pod (anti-)affinity. */
  readonly havePodsWithAffinity: readonly NodeInfo[];
  /** Nodes with at least one pod having required anti-affinity. */
  readonly havePodsWithRequiredAntiAffinity: readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
}

export interface Plugin {
  readonly name: string;
}

/** A PreFilter success that also narrows the nodes worth filtering (upstream's PreFilterResult). */
export interface PreFilterNodeNames {
  readonly nodeNames: ReadonlySet<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status | PreFilterNodeNames;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PreScorePlugin extends Plugin {
  /** `nodes` are the feasible nodes about to be scored. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales `scores` (parallel to `nodes`) in place into [0, MAX_NODE_SCORE]. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void;
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function';
}

export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === 'function';
}

export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === 'function';
}

export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === 'function';
}

let generationCounter = 0;

/** A process-wide increasing counter, so generations from different NodeInfos compare. */
export function nextGeneration(): number {
  return ++generationCounter;
}

/** Host ports in use on a node: ip → "protocol/port" → number of pods holding it. */
export class HostPortUsage {
  private readonly byIp = new Map<string, Map<string, number>>();

  add(port: HostPort): void {
    let ports = this.byIp.get(port.ip);
    if (!ports) {
      ports = new Map();
      this.byIp.set(port.ip, ports);
    }
    const key = `${port.protocol}/${port.port}`;
    ports.set(key, (ports.get(key) ?? 0) + 1);
  }

  remove(port: HostPort): void {
    const ports = this.byIp.get(port.ip);
    const key = `${port.protocol}/${port.port}`;
    const count = ports?.get(key);
    if (!ports || count === undefined) return;
    if (count > 1) ports.set(key, count - 1);
    else {
      ports.delete(key);
      if (ports.size === 0) this.byIp.delete(port.ip);
    }
  }

  /**
   * HostPortInfo.CheckConflict: a wildcard request conflicts with the port on any address; a specific
   * address conflicts with the same address or with a wildcard holder.
   */
  conflicts(port: HostPort): boolean {
    if (port.port <= 0) return false;
    const key = `${port.protocol}/${port.port}`;
    if (port.ip === BIND_ALL_HOST_IP) {
      for (const ports of this.byIp.values()) {
        if (ports.has(key)) return true;
      }
      return false;
    }
    return Boolean(this.byIp.get(BIND_ALL_HOST_IP)?.has(key) || this.byIp.get(port.ip)?.has(key));
  }

  get size(): number {
    return this.byIp.size;
  }

  clone(): HostPortUsage {
    const copy = new HostPortUsage();
    for (const [ip, ports] of this.byIp) copy.byIp.set(ip, new Map(ports));
    return copy;
  }
}

const NO_TAINTS: readonly Taint[] = Object.freeze([]);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

function emptyResources(): Resources {
  return { milliCpu: 0, memory: 0 };
}

/**
 * A node and what is placed on it. `node` is null when pods reference a node the cache has not seen (or
 * that was deleted while pods remain); such entries are never offered for scheduling.
 */
export class NodeInfo {
  node: Node | null = null;
  name: string;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  requested: Resources = emptyResources();
  nonZeroRequested: Resources = emptyResources();
  allocatable: Allocatable = { milliCpu: 0, memory: 0, pods: 0 };
  usedPorts = new HostPortUsage();
  labels: Readonly<Record<string, string>> = NO_LABELS;
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  /** Pods per controller owner UID, for replica spreading. */
  podsPerController = new Map<string, number>();
  generation = nextGeneration();

  constructor(nameOrNode: string | Node, pods: readonly PodInfo[] = []) {
    if (typeof nameOrNode === 'string') {
      this.name = nameOrNode;
    } else {
      this.name = nameOrNode.metadata?.name ?? '';
      this.setNode(nameOrNode);
    }
    for (const pod of pods) this.addPod(pod);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.unschedulable = node.spec?.unschedulable === true;
    this.allocatable = nodeAllocatable(node);
    this.generation = nextGeneration();
  }

  removeNode(): void {
    this.node = null;
    this.generation = nextGeneration();
  }

  addPod(pod: PodInfo): void {
    this.pods.push(pod);
    if (pod.hasAffinity()) this.podsWithAffinity.push(pod);
    if (pod.hasRequiredAntiAffinity()) this.podsWithRequiredAntiAffinity.push(pod);
    this.account(pod, 1);
  }

  /** Removes the pod with this key; false when it is not here. */
  removePod(key: string): boolean {
    const index = this.pods.findIndex((p) => p.key === key);
    if (index < 0) return false;
    const [pod] = this.pods.splice(index, 1);
    this.podsWithAffinity = removeByKey(this.podsWithAffinity, key);
    this.podsWithRequiredAntiAffinity = removeByKey(this.podsWithRequiredAntiAffinity, key);
    this.account(pod, -1);
    return true;
  }

  private account(pod: PodInfo, sign: 1 | -1): void {
    this.requested.milliCpu += sign * pod.requests.milliCpu;
    this.requested.memory += sign * pod.requests.memory;
    this.nonZeroRequested.milliCpu += sign * pod.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += sign * pod.nonZeroRequests.memory;
    for (const port of pod.hostPorts) {
      if (sign > 0) this.usedPorts.add(port);
      else this.usedPorts.remove(port);
    }
    if (pod.controllerUid !== undefined) {
      const count = (this.podsPerController.get(pod.controllerUid) ?? 0) + sign;
      if (count > 0) this.podsPerController.set(pod.controllerUid, count);
      else this.podsPerController.delete(pod.controllerUid);
    }
    this.generation = nextGeneration();
  }

  /** A copy that later changes to this NodeInfo do not affect; PodInfos are immutable and shared. */
  clone(): NodeInfo {
    const copy = new NodeInfo(this.name);
    this.copyInto(copy);
    return copy;
  }

  /** Overwrites `target` with a copy of this NodeInfo, so references to `target` see the new state. */
  copyInto(target: NodeInfo): void {
    target.node = this.node;
    target.name = this.name;
    target.pods = [...this.pods];
    target.podsWithAffinity = [...this.podsWithAffinity];
    target.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    target.requested = { ...this.requested };
    target.nonZeroRequested = { ...this.nonZeroRequested };
    target.allocatable = this.allocatable;
    target.usedPorts = this.usedPorts.clone();
    target.labels = this.labels;
    target.taints = this.taints;
    target.unschedulable = this.unschedulable;
    target.podsPerController = new Map(this.podsPerController);
    target.generation = this.generation;
  }
}

function removeByKey(pods: PodInfo[], key: string): PodInfo[] {
  return pods.some((p) => p.key === key) ? pods.filter((p) => p.key !== key) : pods;
}
