/**
 * Node lifecycle controller: notices nodes whose kubelet went silent, marks them, taints them and
 * evicts their pods, as upstream's pkg/controller/nodelifecycle with its taint-eviction manager.
 *
 * Contract:
 * - A node is heard from when its Lease (`kube-node-lease/<node>`) renewTime or its Ready condition's
 *   lastHeartbeatTime changes, as observed on the injected Clock (never compared with the kubelet's
 *   clock). A node first seen counts as just heard from. One not heard from for the grace period
 *   (default 40 s) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to Unknown
 *   (NodeStatusUnknown, "Kubelet stopped posting node status.") through the status subresource, and
 *   its pods' Ready condition set to False.
 * - Taints follow the node's conditions: Ready Unknown → `node.kubernetes.io/unreachable` NoExecute and
 *   NoSchedule; Ready False → `node.kubernetes.io/not-ready` likewise; pressure and network conditions
 *   and `spec.unschedulable` → their NoSchedule taints. They are removed when the condition clears
 *   (a lease renewing again lets the kubelet post Ready=True). NoExecute taints carry `timeAdded`.
 * - When every node is unready (upstream's full disruption: more likely the control plane lost the
 *   network than all nodes died), NoExecute taints are removed and nobody is evicted; with more than two
 *   and at least 55% unready (partial disruption, small cluster) no new NoExecute taint is added.
 * - A pod on a node with NoExecute taints is deleted once the shortest `tolerationSeconds` among its
 *   tolerations for them has passed since the taint was added (at once when some taint is not tolerated,
 *   never when all are tolerated without a limit), after a DisruptionTarget condition is set, as
 *   upstream. `maxTolerationMs` caps finite tolerations (for tests and impatient clusters).
 * Not done: upstream's per-zone eviction rate limits; marking pods not ready when a live kubelet
 * reports Ready=False (that kubelet still owns its pods' status).
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import type { EventRecorder } from '../machinery/event-recorder.js';
import { NODE_NAME_INDEX } from '../machinery/indexed-store.js';
import type { Informer } from '../machinery/informer.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { ControllerDescriptor } from './controller-manager.js';

/** Event reason on a node whose kubelet went silent. */
export const NODE_NOT_READY = 'NodeNotReady';
/** Event reason on a pod deleted because of a NoExecute taint it does not tolerate (any longer). */
export const TAINT_MANAGER_EVICTION = 'TaintManagerEviction';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const DEFAULT_GRACE_PERIOD_MS = 40_000;

/** Condition (type, status) → the NoSchedule taint it brings, as upstream's nodeConditionToTaintKeyStatusMap. */
const CONDITION_TAINTS: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: NOT_READY_TAINT },
  { type: 'Ready', status: 'Unknown', key: UNREACHABLE_TAINT },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
];
const MANAGED_NO_SCHEDULE = new Set([...CONDITION_TAINTS.map((c) => c.key), UNSCHEDULABLE_TAINT]);
const MANAGED_NO_EXECUTE = new Set([UNREACHABLE_TAINT, NOT_READY_TAINT]);
/** The conditions a silent kubelet can no longer vouch for (NetworkUnavailable is not the kubelet's). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const UNHEALTHY_ZONE_THRESHOLD = 0.55;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[] | null };
  status?: { conditions?: NodeCondition[] | null };
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; tolerations?: Toleration[] | null };
  status?: { phase?: string; conditions?: { type: string; status: string }[] | null };
}

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string | null };
}

// ---------------------------------------------------------------------------------------------------
// Pure decisions

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function readyStatus(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/** When the kubelet was last heard from, given what was observed before (undefined: never seen). */
export function observeProbe(
  previous: { probeAt: number; signature: string } | undefined,
  signature: string,
  now: number,
): { probeAt: number; signature: string } {
  if (previous && previous.signature === signature) return previous;
  return { probeAt: now, signature };
}

/** What identifies one heartbeat: the lease renewal and the status heartbeat. */
export function heartbeatSignature(node: Node, lease: Lease | undefined): string {
  const heartbeat = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';
  return `${lease?.spec?.renewTime ?? ''}|${heartbeat}`;
}

/** The node's conditions once its kubelet is declared silent, as upstream's tryUpdateNodeHealth. */
export function conditionsForSilentNode(node: Node, now: string): NodeCondition[] {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  for (const type of KUBELET_CONDITIONS) {
    const current = conditions.find((c) => c.type === type);
    if (!current) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp ?? now,
        lastTransitionTime: now,
      });
    } else if (current.status !== 'Unknown') {
      current.status = 'Unknown';
      current.reason = 'NodeStatusUnknown';
      current.message = 'Kubelet stopped posting node status.';
      current.lastTransitionTime = now;
    }
  }
  return conditions;
}

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** upstream's ComputeZoneState over all nodes (one zone). */
export function zoneState(readyStatuses: readonly (string | undefined)[]): ZoneState {
  const ready = readyStatuses.filter((s) => s === 'True').length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / readyStatuses.length >= UNHEALTHY_ZONE_THRESHOLD) return 'PartialDisruption';
  return 'Normal';
}

/**
 * The node's taints as they should be: taints of others kept as they are, ours added or removed to
 * match its conditions. Kept taints keep their timeAdded.
 */
export function desiredTaints(node: Node, zone: ZoneState, now: string): Taint[] {
  const conditions = node.status?.conditions ?? [];
  const has = (type: string, status: string) =>
    conditions.some((c) => c.type === type && c.status === status);
  const wanted: Taint[] = [];
  for (const rule of CONDITION_TAINTS) {
    if (has(rule.type, rule.status)) wanted.push({ key: rule.key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) wanted.push({ key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' });
  const ready = readyStatus(node);
  const noExecuteKey =
    ready === 'Unknown' ? UNREACHABLE_TAINT : ready === 'False' ? NOT_READY_TAINT : undefined;
  const current = node.spec?.taints ?? [];
  const present = (key: string, effect: string) => current.some((t) => t.key === key && t.effect === effect);
  if (noExecuteKey && zone !== 'FullDisruption') {
    // In a partial disruption, taints already placed stay but no node gets a new one.
    if (zone === 'Normal' || present(noExecuteKey, 'NoExecute')) {
      wanted.push({ key: noExecuteKey, effect: 'NoExecute', timeAdded: now });
    }
  }
  const isWanted = (t: Taint) => wanted.some((w) => w.key === t.key && w.effect === t.effect);
  const managed = (t: Taint) =>
    (t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) ||
    (t.effect === 'NoExecute' && MANAGED_NO_EXECUTE.has(t.key));
  const result = current.filter((t) => !managed(t) || isWanted(t));
  for (const w of wanted) if (!present(w.key, w.effect)) result.push(w);
  return result;
}

export function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  const key = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  return a.length === b.length && a.every((t, i) => key(t) === key(b[i]));
}

/** Whether a toleration tolerates a taint, as upstream's ToleratesTaint. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/**
 * When a pod must leave a node with these NoExecute taints (each with the time it took effect):
 * `null` for never, a time at or before a taint's start for "now". Finite waits are capped by
 * `maxTolerationMs` when given; unlimited tolerations never are.
 */
export function evictionTime(
  tolerations: readonly Toleration[],
  taints: readonly { taint: Taint; since: number }[],
  maxTolerationMs?: number,
): number | null {
  let earliest: number | null = null;
  for (const { taint, since } of taints) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return since;
    const limits = matching
      .map((t) => t.tolerationSeconds)
      .filter((s): s is number => typeof s === 'number')
      .map((s) => Math.max(0, s) * 1000);
    if (limits.length === 0) continue;
    let wait = Math.min(...limits);
    if (maxTolerationMs !== undefined) wait = Math.min(wait, maxTolerationMs);
    const at = since + wait;
    earliest = earliest === null ? at : Math.min(earliest, at);
  }
  return earliest;
}

// ---------------------------------------------------------------------------------------------------
// The controller

type InformerLike<T extends KubeObject> = Pick<Informer<T>, 'store' | 'addEventHandler' | 'waitForSync'>;

export interface NodeLifecycleControllerOptions {
  client: Pick<ApiClient, 'update' | 'updateStatus' | 'patch' | 'delete'>;
  nodes: InformerLike<Node>;
  pods: InformerLike<Pod>;
  /** Leases of all namespaces or only `kube-node-lease`; others are ignored. */
  leases: InformerLike<Lease>;
  recorder: Pick<EventRecorder, 'event'>;
  /** How long a node may stay silent before it is Unknown; upstream's --node-monitor-grace-period. */
  gracePeriodMs?: number;
  /** Caps finite tolerationSeconds of NoExecute tolerations (the API server defaults them to 300 s). */
  maxTolerationMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export class NodeLifecycleController {
  /** Node names. */
  readonly queue: WorkQueue<string>;
  private readonly clock: Clock;
  private readonly gracePeriodMs: number;
  private readonly log: (line: string) => void;
  /** node → when its kubelet was last heard from (our clock) and what was heard. */
  private readonly probes = new Map<string, { probeAt: number; signature: string }>();
  /** `node|key|effect` → when we first saw a NoExecute taint that carries no timeAdded. */
  private readonly taintSeen = new Map<string, number>();
  private lastZoneState: ZoneState = 'Normal';

  constructor(private readonly options: NodeLifecycleControllerOptions) {
    this.clock = options.clock ?? realClock;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.gracePeriodMs = options.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
    this.log = options.log ?? ((line) => console.error(line));
  }

  register(): () => void {
    const { nodes, pods, leases } = this.options;
    const enqueueNode = (node: Node) => this.queue.add(node.metadata.name!);
    const enqueueLease = (lease: Lease) => {
      if (lease.metadata.namespace === NODE_LEASE_NAMESPACE) this.queue.add(lease.metadata.name!);
    };
    const enqueuePodNode = (pod: Pod) => {
      const nodeName = pod.spec?.nodeName;
      const node = nodeName ? nodes.store.get(nodeName) : undefined;
      if (node?.spec?.taints?.some((t) => t.effect === 'NoExecute')) this.queue.add(nodeName!);
    };
    const stops = [
      nodes.addEventHandler({
        onAdd: enqueueNode,
        onUpdate: (_old, cur) => enqueueNode(cur),
        onDelete: (node) => {
          this.probes.delete(node.metadata.name!);
          enqueueNode(node);
        },
      }),
      leases.addEventHandler({ onAdd: enqueueLease, onUpdate: (_old, cur) => enqueueLease(cur) }),
      pods.addEventHandler({
        onAdd: enqueuePodNode,
        onUpdate: (old, cur) => {
          const placement = (p: Pod) => JSON.stringify([p.spec?.nodeName, p.spec?.tolerations ?? []]);
          if (placement(old) === placement(cur)) return;
          enqueuePodNode(cur);
        },
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const { nodes, pods, leases } = this.options;
    const unregister = this.register();
    try {
      const synced = await Promise.all([nodes, pods, leases].map((i) => i.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      await runWorkers(this.queue, workers, (key) => this.sync(key), {
        signal,
        name: 'node-lifecycle',
        log: this.log,
      });
    } finally {
      unregister();
      this.queue.shutDown();
    }
  }

  /** Checks one node's health, taints and pods. Throwing requeues it with backoff. */
  async sync(name: string): Promise<void> {
    const { client, nodes, leases, recorder } = this.options;
    const now = this.clock.now();

    // 1. A deleted node needs nothing: its pods are the pod garbage collector's.
    const cached = nodes.store.get(name);
    if (!cached) {
      this.probes.delete(name);
      this.forgetTaints(name);
      return;
    }
    let node: Node = cached;

    // 2. When did its kubelet last speak, on our clock?
    const lease = leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const probe = observeProbe(this.probes.get(name), heartbeatSignature(node, lease), now);
    this.probes.set(name, probe);

    // 3. Silent for the grace period: Unknown. Otherwise look again when the grace period would end.
    const deadline = probe.probeAt + this.gracePeriodMs;
    if (now >= deadline) {
      const conditions = conditionsForSilentNode(node, rfc3339(now));
      if (JSON.stringify(conditions) !== JSON.stringify(node.status?.conditions ?? [])) {
        const wasUnknown = readyStatus(node) === 'Unknown';
        const next = structuredClone(node) as Node;
        next.status = { ...next.status, conditions };
        node = await client.updateStatus<Node>('v1', 'Node', undefined, next);
        if (!wasUnknown)
          recorder.event(node, 'Normal', NODE_NOT_READY, `Node ${name} status is now: NodeNotReady`);
      }
    } else {
      this.queue.addAfter(name, deadline - now);
    }

    // 4. Taints follow the conditions, and the health of the cluster as a whole.
    const zone = this.zoneStateWith(node);
    const taints = desiredTaints(node, zone, rfc3339(now));
    if (!sameTaints(taints, node.spec?.taints ?? [])) {
      const next = structuredClone(node) as Node;
      next.spec = { ...next.spec, taints };
      if (!taints.length) delete next.spec.taints;
      node = await client.update<Node>('v1', 'Node', undefined, next);
    }

    // 5. A silent node's pods are not ready: nobody can vouch for them.
    if (readyStatus(node) === 'Unknown') await this.markPodsNotReady(name, now);

    // 6. Evict what does not tolerate the NoExecute taints (any longer).
    await this.evictPods(node, now);
  }

  /** Zone state with `node` as just written; a change re-checks every node's taints. */
  private zoneStateWith(node: Node): ZoneState {
    const statuses = this.options.nodes.store
      .list()
      .map((n) => readyStatus(n.metadata.name === node.metadata.name ? node : n));
    const state = zoneState(statuses);
    if (state !== this.lastZoneState) {
      this.log(`cluster state changed from ${this.lastZoneState} to ${state}`);
      this.lastZoneState = state;
      for (const other of this.options.nodes.store.listKeys()) {
        if (other !== node.metadata.name) this.queue.add(other);
      }
    }
    return state;
  }

  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    for (const pod of this.options.pods.store.byIndex(NODE_NAME_INDEX, nodeName)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || pod.metadata.deletionTimestamp) continue;
      await this.patchPodStatus(pod, { type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) });
    }
  }

  private async evictPods(node: Node, now: number): Promise<void> {
    const name = node.metadata.name!;
    const noExecute = (node.spec?.taints ?? [])
      .filter((t) => t.effect === 'NoExecute')
      .map((taint) => ({ taint, since: this.taintSince(name, taint, now) }));
    if (noExecute.length === 0) {
      this.forgetTaints(name);
      return;
    }
    let next = Number.POSITIVE_INFINITY;
    for (const pod of this.options.pods.store.byIndex(NODE_NAME_INDEX, name)) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = evictionTime(pod.spec?.tolerations ?? [], noExecute, this.options.maxTolerationMs);
      if (at === null) continue;
      if (at <= now) await this.evict(pod);
      else next = Math.min(next, at);
    }
    if (next < Number.POSITIVE_INFINITY) this.queue.addAfter(name, next - now);
  }

  private forgetTaints(nodeName: string): void {
    for (const key of [...this.taintSeen.keys()])
      if (key.startsWith(`${nodeName}|`)) this.taintSeen.delete(key);
  }

  private taintSince(nodeName: string, taint: Taint, now: number): number {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : Number.NaN;
    if (!Number.isNaN(added)) return added;
    const key = `${nodeName}|${taint.key}|${taint.effect}`;
    if (!this.taintSeen.has(key)) this.taintSeen.set(key, now);
    return this.taintSeen.get(key)!;
  }

  private async evict(pod: Pod): Promise<void> {
    const { namespace, name } = pod.metadata;
    this.options.recorder.event(
      pod,
      'Normal',
      TAINT_MANAGER_EVICTION,
      `Marking for deletion Pod ${namespace}/${name}`,
    );
    const condition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
      lastTransitionTime: rfc3339(this.clock.now()),
    };
    if (!(await this.patchPodStatus(pod, condition))) return;
    try {
      await this.options.client.delete('v1', 'Pod', namespace, name!, {
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Merges one condition into a pod's status; false when the pod is gone. */
  private async patchPodStatus(pod: Pod, condition: Record<string, string>): Promise<boolean> {
    try {
      await this.options.client.patch(
        'v1',
        'Pod',
        pod.metadata.namespace,
        pod.metadata.name!,
        { status: { conditions: [condition] } },
        { type: 'strategic', subresource: 'status' },
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

export const nodeLifecycleController: ControllerDescriptor = {
  name: 'nodelifecycle',
  async start(ctx, signal) {
    const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
    const controller = new NodeLifecycleController({
      client: ctx.client,
      nodes: ctx.informer<Node>('v1', 'Node'),
      pods: ctx.informer<Pod>('v1', 'Pod'),
      leases: ctx.informer<Lease>('coordination.k8s.io/v1', 'Lease'),
      recorder: ctx.eventRecorder('node-controller'),
      gracePeriodMs: number(ctx.settings.gracePeriodMs),
      maxTolerationMs: number(ctx.settings.maxTolerationMs),
      clock: ctx.clock,
      log: (line) => ctx.log(line),
    });
    await controller.run(ctx.workers, signal);
  },
};
