/**
 * TaintToleration: a node's NoSchedule and NoExecute taints must all be tolerated (Filter); among the
 * feasible nodes, fewer untolerated PreferNoSchedule taints score higher (Score).
 */

import type { Taint, Toleration } from '../api-types.js';
import {
  MAX_NODE_SCORE,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework.js';
import type { PodInfo } from '../pod-info.js';
import { defaultNormalizeScore } from './normalize-score.js';

export const TAINT_TOLERATION = 'TaintToleration';
const PRE_SCORE_KEY = 'PreScore' + TAINT_TOLERATION;

/** Toleration.ToleratesTaint: effect and key match when set; Exists ignores the value, Equal compares it. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** The first taint (in node order) that `applies` and no toleration covers. */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  applies: (taint: Taint) => boolean,
): Taint | undefined {
  return taints.find((taint) => applies(taint) && !tolerationsTolerateTaint(tolerations, taint));
}

export function isDoNotScheduleTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** Tolerations that can cover a PreferNoSchedule taint: that effect, or no effect (all effects). */
export function preferNoScheduleTolerations(tolerations: readonly Toleration[]): Toleration[] {
  return tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

export function countIntolerablePreferNoScheduleTaints(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  let count = 0;
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) count++;
  }
  return count;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (node.taints.length === 0) return Status.SUCCESS;
    const taint = findUntoleratedTaint(node.taints, pod.tolerations, isDoNotScheduleTaint);
    return taint ? Status.unresolvable(untoleratedTaintReason(taint)) : Status.SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(PRE_SCORE_KEY, preferNoScheduleTolerations(pod.tolerations));
    return Status.SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    return countIntolerablePreferNoScheduleTaints(node.taints, state.read<Toleration[]>(PRE_SCORE_KEY) ?? []);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }
}
