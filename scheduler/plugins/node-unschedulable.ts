/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating the
 * node.kubernetes.io/unschedulable:NoSchedule taint, as DaemonSet pods do.
 */

import { TAINT_NODE_UNSCHEDULABLE, type Toleration } from '../api-types.js';
import { Status, type CycleState, type FilterPlugin, type NodeInfo } from '../framework.js';
import type { PodInfo } from '../pod-info.js';
import { tolerationsTolerateTaint } from './taint-toleration.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const REJECTED = Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

export function toleratesUnschedulable(tolerations: readonly Toleration[]): boolean {
  return tolerationsTolerateTaint(tolerations, UNSCHEDULABLE_TAINT);
}

export class NodeUnschedulable implements FilterPlugin {
  readonly name = NODE_UNSCHEDULABLE;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.unschedulable || toleratesUnschedulable(pod.tolerations)) return Status.SUCCESS;
    return REJECTED;
  }
}
