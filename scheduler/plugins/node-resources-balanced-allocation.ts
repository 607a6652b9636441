/**
 * NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory would be used in similar
 * proportions after placing the pod. Uses actual requests (not the non-zero defaults), and sits out for
 * pods that request nothing, as upstream does, so best-effort pods are not all drawn to one node.
 */

import {
  MAX_NODE_SCORE,
  Status,
  type CycleState,
  type NodeInfo,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework.js';
import type { PodInfo } from '../pod-info.js';
import { balancedAllocationScore } from './resource-allocation.js';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;

  preScore(_state: CycleState, pod: PodInfo): Status {
    return pod.requests.milliCpu === 0 && pod.requests.memory === 0 ? Status.SKIP : Status.SUCCESS;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const { allocatable, requested } = node;
    if (allocatable.milliCpu !== 0 && allocatable.memory !== 0) {
      // balancedAllocationScore for exactly CPU and memory, without its arrays: it runs per node.
      const cpu = Math.min((requested.milliCpu + pod.requests.milliCpu) / allocatable.milliCpu, 1);
      const memory = Math.min((requested.memory + pod.requests.memory) / allocatable.memory, 1);
      return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * MAX_NODE_SCORE);
    }
    return balancedAllocationScore([
      { requested: node.requested.milliCpu + pod.requests.milliCpu, allocatable: node.allocatable.milliCpu },
      { requested: node.requested.memory + pod.requests.memory, allocatable: node.allocatable.memory },
    ]);
  }
}
