/** NodePorts: a pod's hostPorts must be free on the node (same protocol and port, overlapping address). */

import {
  Status,
  type CycleState,
  type FilterPlugin,
  type HostPortUsage,
  type NodeInfo,
  type PreFilterPlugin,
} from '../framework.js';
import type { HostPort, PodInfo } from '../pod-info.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const REJECTED = Status.unschedulable(ERR_REASON_NODE_PORTS);

export function fitsPorts(wanted: readonly HostPort[], used: HostPortUsage): boolean {
  return !wanted.some((port) => used.conflicts(port));
}

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_PORTS;

  preFilter(_state: CycleState, pod: PodInfo): Status {
    return pod.hostPorts.length === 0 ? Status.SKIP : Status.SUCCESS;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fitsPorts(pod.hostPorts, node.usedPorts) ? Status.SUCCESS : REJECTED;
  }
}
