/**
 * Builders for scheduler tests: plain JSON pods and nodes as the API server would serve them, with just
 * the fields a test cares about, and NodeInfo/snapshot helpers to place pods on nodes.
 */

import type {
  Affinity,
  ContainerPort,
  Node,
  Pod,
  ResourceList,
  Taint,
  Toleration,
  TopologySpreadConstraint,
} from '../api-types.js';
import { LABEL_HOSTNAME } from '../api-types.js';
import {
  CycleState,
  NodeInfo,
  Status,
  isFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isScorePlugin,
  type Plugin,
} from '../framework.js';
import { PodInfo } from '../pod-info.js';
import { NodeInfoSnapshot } from '../snapshot.js';

export interface PodOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  /** Requests of a single app container, e.g. { cpu: '500m', memory: '128Mi' }. */
  requests?: ResourceList;
  /** Requests per app container; overrides `requests`. */
  containers?: ResourceList[];
  /** Requests per init container; `sidecar: true` makes it restartPolicy Always. */
  initContainers?: { cpu?: string; memory?: string; sidecar?: boolean }[];
  overhead?: ResourceList;
  hostPorts?: ContainerPort[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  priority?: number;
  /** UID of the controlling owner (a ReplicaSet, say). */
  ownerUid?: string;
  schedulingGates?: string[];
  deleting?: boolean;
  preemptionPolicy?: string;
}

let podCounter = 0;

export function makePod(options: PodOptions = {}): Pod {
  const name = options.name ?? `pod-${++podCounter}`;
  const namespace = options.namespace ?? 'default';
  const containers = (options.containers ?? [options.requests ?? {}]).map((requests, i) => ({
    name: `c${i}`,
    image: 'busybox',
    resources: { requests },
    ...(i === 0 && options.hostPorts ? { ports: options.hostPorts } : {}),
  }));
  const initContainers = options.initContainers?.map(({ sidecar, ...requests }, i) => ({
    name: `init${i}`,
    image: 'busybox',
    resources: { requests },
    ...(sidecar ? { restartPolicy: 'Always' } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: options.uid ?? `uid-${namespace}-${name}`,
      labels: options.labels,
      ...(options.ownerUid
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: 'rs',
                uid: options.ownerUid,
                controller: true,
              },
            ],
          }
        : {}),
      ...(options.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers,
      ...(initContainers ? { initContainers } : {}),
      ...(options.overhead ? { overhead: options.overhead } : {}),
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      ...(options.affinity ? { affinity: options.affinity } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
      ...(options.topologySpreadConstraints
        ? { topologySpreadConstraints: options.topologySpreadConstraints }
        : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.schedulingGates
        ? { schedulingGates: options.schedulingGates.map((n) => ({ name: n })) }
        : {}),
      ...(options.preemptionPolicy ? { preemptionPolicy: options.preemptionPolicy } : {}),
    },
    status: { phase: 'Pending' },
  };
}

export interface NodeOptions {
  name?: string;
  labels?: Record<string, string>;
  /** Allocatable resources; defaults to 4 CPU, 8Gi, 110 pods. */
  allocatable?: ResourceList;
  taints?: Taint[];
  unschedulable?: boolean;
}

let nodeCounter = 0;

export function makeNode(options: NodeOptions = {}): Node {
  const name = options.name ?? `node-${++nodeCounter}`;
  const allocatable = options.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: { [LABEL_HOSTNAME]: name, ...options.labels } },
    spec: {
      ...(options.taints ? { taints: options.taints } : {}),
      ...(options.unschedulable ? { unschedulable: true } : {}),
    },
    status: { allocatable, capacity: allocatable },
  };
}

/** A NodeInfo for `node` with `pods` placed on it (their spec.nodeName is not checked). */
export function nodeInfoOf(node: Node, pods: readonly Pod[] = []): NodeInfo {
  return new NodeInfo(
    node,
    pods.map((p) => PodInfo.of(p)),
  );
}

/** A snapshot of `nodes`, with each pod placed on the node its spec.nodeName names. */
export function snapshotOf(nodes: readonly Node[], pods: readonly Pod[] = []): NodeInfoSnapshot {
  const infos = nodes.map((node) =>
    nodeInfoOf(
      node,
      pods.filter((p) => p.spec?.nodeName === node.metadata?.name),
    ),
  );
  return NodeInfoSnapshot.of(infos);
}

export function nodeWithTaints(name: string, taints: Taint[]): Node {
  return makeNode({ name, taints });
}

export function podWithTolerations(name: string, tolerations: Toleration[]): Pod {
  return makePod({ name, tolerations });
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  step(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}

/** What a filter said about a node, compact enough for `toEqual` tables. */
export type FilterOutcome = 'Success' | 'Skip' | { code: string; reasons: readonly string[] };

function outcomeOf(status: Status): FilterOutcome {
  if (status.isSuccess()) return 'Success';
  if (status.isSkip()) return 'Skip';
  return { code: status.code, reasons: status.reasons };
}

/**
 * Runs one plugin's PreFilter (when it has one) and Filter for `pod` against every node of `snapshot`,
 * keyed by node name. A PreFilter Skip is reported as 'Skip' for every node, a PreFilter rejection as that
 * rejection; a PreFilter that narrows nodes reports 'Excluded' for the others.
 */
export function filterOutcomes(
  plugin: Plugin,
  pod: Pod,
  snapshot: NodeInfoSnapshot,
): Record<string, FilterOutcome | 'Excluded'> {
  const state = new CycleState();
  const info = PodInfo.of(pod);
  const result: Record<string, FilterOutcome | 'Excluded'> = {};
  let allowed: ReadonlySet<string> | undefined;
  if (isPreFilterPlugin(plugin)) {
    const pre = plugin.preFilter(state, info, snapshot);
    if (pre instanceof Status) {
      if (!pre.isSuccess()) {
        for (const node of snapshot.nodeInfos) result[node.name] = outcomeOf(pre);
        return result;
      }
    } else {
      allowed = pre.nodeNames;
    }
  }
  if (!isFilterPlugin(plugin)) throw new Error(`${plugin.name} has no Filter`);
  for (const node of snapshot.nodeInfos) {
    result[node.name] =
      allowed && !allowed.has(node.name) ? 'Excluded' : outcomeOf(plugin.filter(state, info, node));
  }
  return result;
}

/**
 * Runs one plugin's PreScore (when it has one), Score and NormalizeScore for `pod` over every node of
 * `snapshot` (all treated as feasible). Returns normalized scores by node name, or 'Skip'.
 */
export function scoreOutcomes(
  plugin: Plugin,
  pod: Pod,
  snapshot: NodeInfoSnapshot,
): Record<string, number> | 'Skip' {
  const state = new CycleState();
  const info = PodInfo.of(pod);
  const nodes = snapshot.nodeInfos;
  if (isPreScorePlugin(plugin)) {
    const status = plugin.preScore(state, info, nodes, snapshot);
    if (status.isSkip()) return 'Skip';
    if (!status.isSuccess()) throw new Error(`PreScore failed: ${status.message()}`);
  }
  if (!isScorePlugin(plugin)) throw new Error(`${plugin.name} has no Score`);
  const scores = nodes.map((node) => plugin.score(state, info, node));
  plugin.normalizeScore?.(state, info, scores, nodes);
  return Object.fromEntries(nodes.map((node, i) => [node.name, scores[i]]));
}
