/**
 * NodeResourcesFit: the pod's requests must fit in what the node has left (Filter), reporting every
 * resource that does not fit; and a Score by strategy: LeastAllocated spreads load, MostAllocated packs it.
 */

import { Status, type CycleState, type FilterPlugin, type NodeInfo, type ScorePlugin } from '../framework.js';
import type { PodInfo } from '../pod-info.js';
import type { Resources } from '../resources.js';
import { leastRequestedScore, mostRequestedScore, type ScoringStrategy } from './resource-allocation.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

export interface InsufficientResource {
  resourceName: 'pods' | 'cpu' | 'memory';
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The pod would not fit even on the empty node, so preemption cannot help. */
  unresolvable: boolean;
}

/**
 * Every resource the pod does not fit on the node, in upstream's order (pods, cpu, memory). A pod that
 * requests nothing is only checked against the pod count.
 */
export function fitsRequest(podRequest: Resources, node: NodeInfo): InsufficientResource[] {
  const insufficient: InsufficientResource[] = [];
  const { allocatable, requested } = node;
  if (node.pods.length + 1 > allocatable.pods) {
    insufficient.push({
      resourceName: 'pods',
      reason: 'Too many pods',
      requested: 1,
      used: node.pods.length,
      capacity: allocatable.pods,
      unresolvable: false,
    });
  }
  if (podRequest.milliCpu > 0 && podRequest.milliCpu > allocatable.milliCpu - requested.milliCpu) {
    insufficient.push({
      resourceName: 'cpu',
      reason: 'Insufficient cpu',
      requested: podRequest.milliCpu,
      used: requested.milliCpu,
      capacity: allocatable.milliCpu,
      unresolvable: podRequest.milliCpu > allocatable.milliCpu,
    });
  }
  if (podRequest.memory > 0 && podRequest.memory > allocatable.memory - requested.memory) {
    insufficient.push({
      resourceName: 'memory',
      reason: 'Insufficient memory',
      requested: podRequest.memory,
      used: requested.memory,
      capacity: allocatable.memory,
      unresolvable: podRequest.memory > allocatable.memory,
    });
  }
  return insufficient;
}

export function insufficientResourcesStatus(insufficient: readonly InsufficientResource[]): Status {
  if (insufficient.length === 0) return Status.SUCCESS;
  const reasons = insufficient.map((r) => r.reason);
  return insufficient.some((r) => r.unresolvable)
    ? Status.unresolvable(...reasons)
    : Status.unschedulable(...reasons);
}

/**
 * The node's score for the pod under `strategy`, from non-zero requests as upstream: `allocationScore`
 * over CPU and memory, written out because it runs for hundreds of nodes per pod.
 */
export function resourceAllocationScore(strategy: ScoringStrategy, pod: PodInfo, node: NodeInfo): number {
  const perResource = strategy === 'MostAllocated' ? mostRequestedScore : leastRequestedScore;
  const { allocatable, nonZeroRequested } = node;
  let total = 0;
  let weights = 0;
  if (allocatable.milliCpu !== 0) {
    total += perResource(nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu, allocatable.milliCpu);
    weights++;
  }
  if (allocatable.memory !== 0) {
    total += perResource(nonZeroRequested.memory + pod.nonZeroRequests.memory, allocatable.memory);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(total / weights);
}

export interface NodeResourcesFitOptions {
  scoringStrategy?: ScoringStrategy;
}

export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_FIT;
  readonly scoringStrategy: ScoringStrategy;

  constructor(options: NodeResourcesFitOptions = {}) {
    this.scoringStrategy = options.scoringStrategy ?? 'LeastAllocated';
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    // Most nodes fit: answer those without building the list of what does not.
    const { allocatable, requested } = node;
    const { milliCpu, memory } = pod.requests;
    if (
      node.pods.length < allocatable.pods &&
      milliCpu <= allocatable.milliCpu - requested.milliCpu &&
      memory <= allocatable.memory - requested.memory
    ) {
      return Status.SUCCESS;
    }
    return insufficientResourcesStatus(fitsRequest(pod.requests, node));
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return resourceAllocationScore(this.scoringStrategy, pod, node);
  }
}
