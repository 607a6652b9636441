/**
 * SchedulerCache: nodes and the pods placed on them, including pods the scheduler has *assumed* onto a
 * node before the binding reached the API server, after upstream's internal/cache.
 *
 * Contract:
 * - Pod states: Initial → Assumed (assumePod) → Added (the informer shows the bound pod: addPod), or
 *   Assumed → forgotten (forgetPod after a failed bind), or Assumed → expired (binding finished but the
 *   informer never confirmed it within `assumedPodTtlMs`). Added pods change only through updatePod and
 *   removePod, which mirror informer events.
 * - An assumed pod counts on its node immediately, so the next cycle already sees its resources used.
 * - Expiry only starts once `finishBinding` was called: a binding still in flight is never expired.
 * - `updateSnapshot` copies only NodeInfos changed since the snapshot's generation (a most-recently-
 *   updated list makes finding them O(changed)) and rebuilds the node lists only when nodes were added or
 *   removed or a node gained or lost its last pod with affinity.
 * - Invalid transitions throw SchedulerCacheError with upstream's wording; the cache is left unchanged.
 */

import type { Node, Pod } from './api-types.js';
import { NodeInfo, type Clock } from './framework.js';
import { PodInfo } from './pod-info.js';
import type { NodeInfoSnapshot } from './snapshot.js';

export class SchedulerCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerCacheError';
  }
}

export interface SchedulerCacheOptions {
  clock: Clock;
  /** How long a bound-but-unconfirmed assumed pod is kept; 0 keeps it until confirmed or forgotten. */
  assumedPodTtlMs?: number;
}

export const DEFAULT_ASSUMED_POD_TTL_MS = 30_000;

interface PodState {
  pod: PodInfo;
  bindingFinished: boolean;
  /** Set by finishBinding: when an unconfirmed assumed pod is dropped. */
  deadline?: number;
}

/** A NodeInfo in the most-recently-updated list. */
interface NodeItem {
  info: NodeInfo;
  prev: NodeItem | null;
  next: NodeItem | null;
}

function describe(pod: PodInfo): string {
  return `${pod.namespace}/${pod.name}(${pod.key})`;
}

/** Only pods bound (or being bound) to a node belong in the cache; pending pods go to the queue. */
function requireAssigned(pod: PodInfo): void {
  if (pod.nodeName === '') {
    throw new SchedulerCacheError(`pod ${describe(pod)} is not assigned to a node`);
  }
}

export class SchedulerCache {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly nodes = new Map<string, NodeItem>();
  private head: NodeItem | null = null;
  private readonly podStates = new Map<string, PodState>();
  private readonly assumedPods = new Set<string>();
  /** Names of nodes with a Node object, in the order they were first added. */
  private nodeOrder: string[] = [];
  private nodeOrderChanged = false;

  constructor(options: SchedulerCacheOptions) {
    this.clock = options.clock;
    this.ttlMs = options.assumedPodTtlMs ?? DEFAULT_ASSUMED_POD_TTL_MS;
  }

  get nodeCount(): number {
    return this.nodeOrder.length;
  }

  get podCount(): number {
    return this.podStates.size;
  }

  // ---------------------------------------------------------------------------------------------------
  // Nodes

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const item = this.nodeItem(name);
    if (!item.info.node) {
      this.nodeOrder.push(name);
      this.nodeOrderChanged = true;
    }
    item.info.setNode(node);
    this.moveToHead(item);
  }

  /** Same as addNode; a separate name so informer handlers read naturally. */
  updateNode(node: Node): void {
    this.addNode(node);
  }

  /**
   * Removes the Node object. Pods still on it are kept (their deletion events follow) but the node is no
   * longer offered for scheduling.
   */
  removeNode(node: Node | string): void {
    const name = typeof node === 'string' ? node : (node.metadata?.name ?? '');
    const item = this.nodes.get(name);
    if (!item?.info.node) throw new SchedulerCacheError(`node ${name} is not found`);
    item.info.removeNode();
    this.nodeOrder = this.nodeOrder.filter((n) => n !== name);
    this.nodeOrderChanged = true;
    if (item.info.pods.length === 0) this.dropNodeItem(item);
    else this.moveToHead(item);
  }

  // ---------------------------------------------------------------------------------------------------
  // Pods as the informer reports them

  /**
   * A bound pod appeared. Confirms it if it was assumed (moving it if the binding landed elsewhere),
   * re-adds it if its assumption had expired, or adds it.
   */
  addPod(pod: Pod): void {
    const info = PodInfo.of(pod);
    requireAssigned(info);
    const state = this.podStates.get(info.key);
    if (state && this.assumedPods.has(info.key)) {
      if (state.pod.nodeName !== info.nodeName) {
        this.removePodFromNode(state.pod);
        this.addPodToNode(info);
      } else {
        this.replacePodOnNode(state.pod, info);
      }
      this.assumedPods.delete(info.key);
      this.podStates.set(info.key, { pod: info, bindingFinished: true });
      return;
    }
    if (state) throw new SchedulerCacheError(`pod ${describe(info)} was already in added state`);
    this.addPodToNode(info);
    this.podStates.set(info.key, { pod: info, bindingFinished: true });
  }

  updatePod(oldPod: Pod, newPod: Pod): void {
    const info = PodInfo.of(newPod);
    requireAssigned(info);
    const state = this.podStates.get(info.key);
    // An assumed pod gets an Add event before any Update, which turns it into an added pod.
    if (!state || this.assumedPods.has(info.key)) {
      throw new SchedulerCacheError(
        `pod ${describe(PodInfo.of(oldPod))} is not added to scheduler cache, so cannot be updated`,
      );
    }
    this.removePodFromNode(state.pod);
    this.addPodToNode(info);
    state.pod = info;
  }

  removePod(pod: Pod): void {
    const info = PodInfo.of(pod);
    const state = this.podStates.get(info.key);
    if (!state)
      throw new SchedulerCacheError(
        `pod ${describe(info)} is not found in scheduler cache, so cannot be removed from it`,
      );
    // The cached copy says where the pod's resources are counted, whatever the event carries.
    this.removePodFromNode(state.pod);
    this.podStates.delete(info.key);
    this.assumedPods.delete(info.key);
  }

  // ---------------------------------------------------------------------------------------------------
  // Assumptions made by the scheduler

  /**
   * Counts `pod` on `nodeName` before the binding is confirmed. Returns the assumed copy of the pod
   * (spec.nodeName set), which is what finishBinding and forgetPod expect.
   */
  assumePod(pod: Pod, nodeName: string): Pod {
    const info = PodInfo.of(pod).withNodeName(nodeName);
    if (this.podStates.has(info.key)) {
      throw new SchedulerCacheError(`pod ${describe(info)} is in the cache, so can't be assumed`);
    }
    this.addPodToNode(info);
    this.podStates.set(info.key, { pod: info, bindingFinished: false });
    this.assumedPods.add(info.key);
    return info.pod;
  }

  /** The bind call returned (either way); from now on an unconfirmed assumption may expire. */
  finishBinding(pod: Pod): void {
    const key = PodInfo.of(pod).key;
    const state = this.podStates.get(key);
    if (!state || !this.assumedPods.has(key)) return;
    state.bindingFinished = true;
    if (this.ttlMs > 0) state.deadline = this.clock.now() + this.ttlMs;
  }

  /** Drops an assumption, typically after a failed bind. */
  forgetPod(pod: Pod): void {
    const info = PodInfo.of(pod);
    const state = this.podStates.get(info.key);
    if (!state || !this.assumedPods.has(info.key)) {
      throw new SchedulerCacheError(`pod ${describe(info)} wasn't assumed so cannot be forgotten`);
    }
    if (info.nodeName && state.pod.nodeName !== info.nodeName) {
      throw new SchedulerCacheError(
        `pod ${describe(info)} was assumed on ${info.nodeName} but assigned to ${state.pod.nodeName}`,
      );
    }
    this.removePodFromNode(state.pod);
    this.podStates.delete(info.key);
    this.assumedPods.delete(info.key);
  }

  isAssumedPod(pod: Pod): boolean {
    return this.assumedPods.has(PodInfo.of(pod).key);
  }

  /** The cached version of the pod (assumed or added), if any. */
  getPod(pod: Pod): Pod | undefined {
    return this.podStates.get(PodInfo.of(pod).key)?.pod.pod;
  }

  /** Drops assumed pods whose binding finished more than the TTL ago; returns the dropped pods. */
  cleanupExpiredAssumedPods(): Pod[] {
    if (this.ttlMs <= 0) return [];
    const now = this.clock.now();
    const expired: Pod[] = [];
    for (const key of this.assumedPods) {
      const state = this.podStates.get(key);
      if (!state?.bindingFinished || state.deadline === undefined || now < state.deadline) continue;
      this.removePodFromNode(state.pod);
      this.podStates.delete(key);
      this.assumedPods.delete(key);
      expired.push(state.pod.pod);
    }
    return expired;
  }

  // ---------------------------------------------------------------------------------------------------
  // Snapshots

  /** Brings `snapshot` up to date, copying only NodeInfos that changed since its last update. */
  updateSnapshot(snapshot: NodeInfoSnapshot): void {
    let updateAllLists = this.nodeOrderChanged;
    let updateAffinityLists = false;
    const since = snapshot.generation;
    for (let item = this.head; item && item.info.generation > since; item = item.next) {
      const info = item.info;
      if (!info.node) continue;
      const existing = snapshot.byName.get(info.name);
      if (!existing) {
        snapshot.byName.set(info.name, info.clone());
        updateAllLists = true;
        continue;
      }
      if (
        existing.podsWithAffinity.length > 0 !== info.podsWithAffinity.length > 0 ||
        existing.podsWithRequiredAntiAffinity.length > 0 !== info.podsWithRequiredAntiAffinity.length > 0
      ) {
        updateAffinityLists = true;
      }
      // In place, so the snapshot's lists keep pointing at the current copy.
      info.copyInto(existing);
    }
    if (this.head) snapshot.generation = Math.max(snapshot.generation, this.head.info.generation);

    if (snapshot.byName.size > this.nodeOrder.length) {
      for (const name of [...snapshot.byName.keys()]) {
        if (!this.nodes.get(name)?.info.node) snapshot.byName.delete(name);
      }
      updateAllLists = true;
    }
    if (updateAllLists) {
      snapshot.rebuildLists(this.nodeOrder);
      this.nodeOrderChanged = false;
    } else if (updateAffinityLists) {
      snapshot.rebuildAffinityLists();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Internals

  private nodeItem(name: string): NodeItem {
    let item = this.nodes.get(name);
    if (!item) {
      item = { info: new NodeInfo(name), prev: null, next: null };
      this.nodes.set(name, item);
    }
    return item;
  }

  private addPodToNode(pod: PodInfo): void {
    const item = this.nodeItem(pod.nodeName);
    item.info.addPod(pod);
    this.moveToHead(item);
  }

  private replacePodOnNode(previous: PodInfo, next: PodInfo): void {
    const item = this.nodeItem(next.nodeName);
    item.info.removePod(previous.key);
    item.info.addPod(next);
    this.moveToHead(item);
  }

  private removePodFromNode(pod: PodInfo): void {
    const item = this.nodes.get(pod.nodeName);
    if (!item) return;
    item.info.removePod(pod.key);
    if (!item.info.node && item.info.pods.length === 0) this.dropNodeItem(item);
    else this.moveToHead(item);
  }

  private moveToHead(item: NodeItem): void {
    if (this.head === item) return;
    this.unlink(item);
    item.next = this.head;
    if (this.head) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: NodeItem): void {
    if (item.prev) item.prev.next = item.next;
    if (item.next) item.next.prev = item.prev;
    if (this.head === item) this.head = item.next;
    item.prev = null;
    item.next = null;
  }

  private dropNodeItem(item: NodeItem): void {
    this.unlink(item);
    this.nodes.delete(item.info.name);
  }
}
