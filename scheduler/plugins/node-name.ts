/** NodeName: a pod that already names a node (spec.nodeName) fits only that node. */

import { Status, type CycleState, type FilterPlugin, type NodeInfo } from '../framework.js';
import type { PodInfo } from '../pod-info.js';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

const REJECTED = Status.unresolvable(ERR_REASON_NODE_NAME);

export function fitsNodeName(pod: PodInfo, node: NodeInfo): boolean {
  return pod.nodeName === '' || pod.nodeName === node.name;
}

export class NodeName implements FilterPlugin {
  readonly name = NODE_NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fitsNodeName(pod, node) ? Status.SUCCESS : REJECTED;
  }
}
