/**
 * ReplicaSpread: replicas of one controller (the owner reference with controller=true) prefer nodes,
 * and zones, holding fewer of their siblings. It stands in for upstream's SelectorSpread and the
 * cluster-default PodTopologySpread constraints, keyed on the owner rather than on selectors.
 *
 * Contract: scores are normalized as SelectorSpread's were: 100 × (max − count) / max per node, blended
 * 1/3 node to 2/3 zone when the scored nodes carry zone labels. Pods without a controller, and pods that
 * bring their own topologySpreadConstraints (as upstream applies defaults only without them), are skipped.
 */

import { LABEL_ZONE } from '../api-types.js';
import {
  MAX_NODE_SCORE,
  Status,
  type CycleState,
  type NodeInfo,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework.js';
import type { PodInfo } from '../pod-info.js';

export const REPLICA_SPREAD = 'ReplicaSpread';
const LABEL_REGION = 'topology.kubernetes.io/region';
const ZONE_WEIGHTING = 2 / 3;

/** Region and zone together, as utilnode.GetZoneKey; empty when the node has neither. */
export function zoneKey(node: NodeInfo): string {
  const region = node.labels[LABEL_REGION] ?? '';
  const zone = node.labels[LABEL_ZONE] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

export function siblingCount(pod: PodInfo, node: NodeInfo): number {
  return pod.controllerUid === undefined ? 0 : (node.podsPerController.get(pod.controllerUid) ?? 0);
}

/** Turns sibling counts (parallel to `nodes`) into spreading scores in place. */
export function normalizeSpreading(scores: number[], nodes: readonly NodeInfo[]): void {
  const zones = nodes.map(zoneKey);
  const countsByZone = new Map<string, number>();
  let maxByNode = 0;
  scores.forEach((count, i) => {
    maxByNode = Math.max(maxByNode, count);
    if (zones[i] !== '') countsByZone.set(zones[i], (countsByZone.get(zones[i]) ?? 0) + count);
  });
  const maxByZone = Math.max(0, ...countsByZone.values());
  for (let i = 0; i < scores.length; i++) {
    let score = maxByNode > 0 ? (MAX_NODE_SCORE * (maxByNode - scores[i])) / maxByNode : MAX_NODE_SCORE;
    if (zones[i] !== '') {
      const zoneCount = countsByZone.get(zones[i]) ?? 0;
      const zoneScore =
        maxByZone > 0 ? (MAX_NODE_SCORE * (maxByZone - zoneCount)) / maxByZone : MAX_NODE_SCORE;
      score = score * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * zoneScore;
    }
    scores[i] = Math.trunc(score);
  }
}

export class ReplicaSpread implements PreScorePlugin, ScorePlugin {
  readonly name = REPLICA_SPREAD;

  preScore(_state: CycleState, pod: PodInfo): Status {
    const ownConstraints = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0;
    return pod.controllerUid === undefined || ownConstraints ? Status.SKIP : Status.SUCCESS;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return siblingCount(pod, node);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void {
    normalizeSpreading(scores, nodes);
  }
}
