/**
 * The per-node resource scores behind NodeResourcesFit's strategies and BalancedAllocation, as pure
 * functions over (requested, allocatable) pairs for CPU and memory, each weighted 1 as upstream's default.
 * `requested` already includes the incoming pod. Resources a node does not report (allocatable 0) are
 * left out of the average.
 */

import { MAX_NODE_SCORE } from '../framework.js';

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

export interface ResourceUse {
  requested: number;
  allocatable: number;
}

/** Free share of the node after placing the pod: 0 when it would be over-committed. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Used share of the node after placing the pod, capped at full. */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

/** The weighted (all weights 1) average of a per-resource score, in integer arithmetic as upstream. */
export function allocationScore(
  resources: readonly ResourceUse[],
  perResource: (requested: number, capacity: number) => number,
): number {
  let total = 0;
  let weights = 0;
  for (const r of resources) {
    if (r.allocatable === 0) continue;
    total += perResource(r.requested, r.allocatable);
    weights += 1;
  }
  return weights === 0 ? 0 : Math.trunc(total / weights);
}

/**
 * BalancedAllocation: 100 × (1 − standard deviation of the used fractions), so a node whose CPU and
 * memory fill evenly scores higher. Fractions are capped at 1.
 */
export function balancedAllocationScore(resources: readonly ResourceUse[]): number {
  const fractions: number[] = [];
  for (const r of resources) {
    if (r.allocatable === 0) continue;
    fractions.push(Math.min(r.requested / r.allocatable, 1));
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0] - fractions[1]) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    const variance = fractions.reduce((sum, f) => sum + (f - mean) * (f - mean), 0) / fractions.length;
    std = Math.sqrt(variance);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
