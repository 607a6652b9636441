/**
 * PodTopologySpread: keeps matching pods evenly spread over topology domains. DoNotSchedule constraints
 * filter, ScheduleAnyway constraints score.
 *
 * Contract, as upstream's podtopologyspread:
 * - A node counts towards a constraint only when it carries every constraint's topology key and passes
 *   the node inclusion policies: nodeAffinityPolicy (default Honor: the pod's nodeSelector and required
 *   node affinity must match it) and nodeTaintsPolicy (default Ignore; Honor: its NoSchedule/NoExecute
 *   taints must be tolerated).
 * - Pods counted: same namespace as the incoming pod, not terminating, matching the constraint's
 *   labelSelector (plus matchLabelKeys, which pin the incoming pod's values for those keys).
 * - Filter: skew = pods in the node's domain + (1 if the pod matches its own selector) − the smallest
 *   domain's count (0 while fewer than minDomains domains exist); skew > maxSkew is Unschedulable, a
 *   node missing the topology key is UnschedulableAndUnresolvable.
 * - Score: fewer matching pods in the node's domains scores higher, each constraint weighted by
 *   log(number of domains + 2) so small topologies are not drowned out; nodes missing a key score 0.
 * - Pods without constraints are skipped; upstream's cluster-level default constraints are not applied
 *   here (replica spreading is the ReplicaSpread plugin's job).
 */

import type { TopologySpreadConstraint } from '../api-types.js';
import { LABEL_HOSTNAME } from '../api-types.js';
import {
  LabelSelector,
  LabelSelectorParseError,
  labelSelectorFromSpec,
  type LabelRequirement,
} from '../../machinery/label-selector.js';
import {
  MAX_NODE_SCORE,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
  type Snapshot,
} from '../framework.js';
import { compileSelector, type LabelMatcher, type PodInfo } from '../pod-info.js';
import { requiredNodeAffinityOf } from './node-affinity.js';
import { findUntoleratedTaint, isDoNotScheduleTaint } from './taint-toleration.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';

const PRE_FILTER_KEY = 'PreFilter' + POD_TOPOLOGY_SPREAD;
const PRE_SCORE_KEY = 'PreScore' + POD_TOPOLOGY_SPREAD;

const SKEW_REJECTED = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
const LABEL_REJECTED = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  matchesLabels: LabelMatcher;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

/** The pod's constraints with the given whenUnsatisfiable, selectors resolved. Throws on bad selectors. */
export function spreadConstraintsOf(
  pod: PodInfo,
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway',
): SpreadConstraint[] {
  const constraints: SpreadConstraint[] = [];
  for (const c of pod.pod.spec?.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== whenUnsatisfiable) continue;
    const selector = selectorOf(c, pod);
    constraints.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      matchesLabels: compileSelector(selector),
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return constraints;
}

function selectorOf(c: TopologySpreadConstraint, pod: PodInfo): LabelSelector {
  const base = labelSelectorFromSpec(c.labelSelector);
  const keys = c.matchLabelKeys ?? [];
  if (keys.length === 0 || base.matchesNothing()) return base;
  const pinned: LabelRequirement[] = keys
    .filter((key) => Object.prototype.hasOwnProperty.call(pod.labels, key))
    .map((key) => ({ key, operator: 'in', values: [pod.labels[key]] }));
  return LabelSelector.fromRequirements([...base.requirements, ...pinned]);
}

function hasAllTopologyKeys(node: NodeInfo, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) {
    if (node.labels[c.topologyKey] === undefined) return false;
  }
  return true;
}

function includesNode(c: SpreadConstraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorNodeAffinity && !requiredNodeAffinityOf(pod).matches(node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.taints, pod.tolerations, isDoNotScheduleTaint))
    return false;
  return true;
}

export function countMatchingPods(
  pods: readonly PodInfo[],
  matches: LabelMatcher,
  namespace: string,
): number {
  let count = 0;
  for (const p of pods) {
    if (p.terminating || p.namespace !== namespace) continue;
    if (matches(p.labels)) count++;
  }
  return count;
}

export interface PreFilterState {
  constraints: SpreadConstraint[];
  /** Per constraint: topology value → matching pods in that domain. */
  matchNum: Map<string, number>[];
}

export function computePreFilterState(
  pod: PodInfo,
  constraints: SpreadConstraint[],
  nodes: readonly NodeInfo[],
): PreFilterState {
  const matchNum = constraints.map(() => new Map<string, number>());
  for (const node of nodes) {
    if (!hasAllTopologyKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!includesNode(c, pod, node)) return;
      const value = node.labels[c.topologyKey];
      const counts = matchNum[i];
      counts.set(
        value,
        (counts.get(value) ?? 0) + countMatchingPods(node.pods, c.matchesLabels, pod.namespace),
      );
    });
  }
  return { constraints, matchNum };
}

/** The global minimum the skew is measured against; 0 while fewer than minDomains domains exist. */
export function minMatchNum(counts: ReadonlyMap<string, number>, minDomains: number): number {
  if (counts.size < minDomains) return 0;
  let min = Infinity;
  for (const n of counts.values()) if (n < min) min = n;
  return min;
}

export function filterBySpread(state: PreFilterState, pod: PodInfo, node: NodeInfo): Status {
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i];
    const value = node.labels[c.topologyKey];
    if (value === undefined) return LABEL_REJECTED;
    const selfMatch = c.matchesLabels(pod.labels) ? 1 : 0;
    const counts = state.matchNum[i];
    const skew = (counts.get(value) ?? 0) + selfMatch - minMatchNum(counts, c.minDomains);
    if (skew > c.maxSkew) return SKEW_REJECTED;
  }
  return Status.SUCCESS;
}

export interface PreScoreState {
  constraints: SpreadConstraint[];
  ignoredNodes: Set<string>;
  /** Per constraint: topology value → matching pods (not kept for the hostname key, counted per node). */
  podCounts: Map<string, number>[];
  normalizingWeight: number[];
}

/** log(size + 2), upstream's topologyNormalizingWeight. */
export function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

export function computePreScoreState(
  pod: PodInfo,
  constraints: SpreadConstraint[],
  filteredNodes: readonly NodeInfo[],
  allNodes: readonly NodeInfo[],
): PreScoreState {
  const ignoredNodes = new Set<string>();
  const podCounts = constraints.map(() => new Map<string, number>());
  for (const node of filteredNodes) {
    if (!hasAllTopologyKeys(node, constraints)) {
      ignoredNodes.add(node.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey !== LABEL_HOSTNAME) podCounts[i].set(node.labels[c.topologyKey], 0);
    });
  }
  const normalizingWeight = constraints.map((c, i) =>
    topologyNormalizingWeight(
      c.topologyKey === LABEL_HOSTNAME ? filteredNodes.length - ignoredNodes.size : podCounts[i].size,
    ),
  );
  for (const node of allNodes) {
    if (!hasAllTopologyKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME || !includesNode(c, pod, node)) return;
      const value = node.labels[c.topologyKey];
      const current = podCounts[i].get(value);
      // Domains without a candidate node do not affect any score.
      if (current === undefined) return;
      podCounts[i].set(value, current + countMatchingPods(node.pods, c.matchesLabels, pod.namespace));
    });
  }
  return { constraints, ignoredNodes, podCounts, normalizingWeight };
}

export function spreadScore(state: PreScoreState, pod: PodInfo, node: NodeInfo): number {
  if (state.ignoredNodes.has(node.name)) return 0;
  let score = 0;
  state.constraints.forEach((c, i) => {
    const value = node.labels[c.topologyKey];
    if (value === undefined) return;
    const count =
      c.topologyKey === LABEL_HOSTNAME
        ? countMatchingPods(node.pods, c.matchesLabels, pod.namespace)
        : (state.podCounts[i].get(value) ?? 0);
    score += count * state.normalizingWeight[i] + (c.maxSkew - 1);
  });
  return Math.round(score);
}

/** Fewer matching pods → higher score; ignored nodes get 0. */
export function normalizeSpreadScores(
  state: PreScoreState,
  scores: number[],
  nodes: readonly NodeInfo[],
): void {
  let min = Infinity;
  let max = 0;
  nodes.forEach((node, i) => {
    if (state.ignoredNodes.has(node.name)) return;
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  });
  nodes.forEach((node, i) => {
    if (state.ignoredNodes.has(node.name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
  });
}

function constraintsOrError(
  pod: PodInfo,
  kind: 'DoNotSchedule' | 'ScheduleAnyway',
): SpreadConstraint[] | Status {
  try {
    return spreadConstraintsOf(pod, kind);
  } catch (error) {
    if (!(error instanceof LabelSelectorParseError)) throw error;
    const which = kind === 'DoNotSchedule' ? 'hard' : 'soft';
    return Status.error(`obtaining pod's ${which} topology spread constraints: ${error.message}`);
  }
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = POD_TOPOLOGY_SPREAD;

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status {
    const constraints = constraintsOrError(pod, 'DoNotSchedule');
    if (constraints instanceof Status) return constraints;
    if (constraints.length === 0) return Status.SKIP;
    state.write(PRE_FILTER_KEY, computePreFilterState(pod, constraints, snapshot.nodeInfos));
    return Status.SUCCESS;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    return filterBySpread(s, pod, node);
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    const constraints = constraintsOrError(pod, 'ScheduleAnyway');
    if (constraints instanceof Status) return constraints;
    if (constraints.length === 0 || snapshot.nodeInfos.length === 0) return Status.SKIP;
    state.write(PRE_SCORE_KEY, computePreScoreState(pod, constraints, nodes, snapshot.nodeInfos));
    return Status.SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    return s ? spreadScore(s, pod, node) : 0;
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (s) normalizeSpreadScores(s, scores, nodes);
  }
}
