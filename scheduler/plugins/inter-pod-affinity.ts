/**
 * InterPodAffinity: required pod affinity and anti-affinity by topology domain (Filter), including the
 * required anti-affinity of pods already placed against the incoming pod; preferred terms of both the
 * incoming and the existing pods (and existing pods' required affinity, at hardPodAffinityWeight) as Score.
 *
 * Contract, as upstream's interpodaffinity:
 * - Counts are kept per topology pair (key=value of the node label named by the term's topologyKey);
 *   a node without that label is in no domain.
 * - Affinity: the node must carry every term's topology key and, for each, a domain already holding a
 *   pod that matches ALL the terms. The first pod of a group that matches its own terms may go anywhere
 *   carrying the keys, so self-affine groups can start.
 * - Anti-affinity (incoming and existing): no matching pod in the node's domain.
 * - Reasons and codes: affinity → UnschedulableAndUnresolvable; anti-affinity → Unschedulable.
 */

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
import {
  affinityTermMatches,
  podMatchesAllAffinityTerms,
  type AffinityTerm,
  type NamespaceLabels,
  type PodInfo,
  type WeightedAffinityTerm,
} from '../pod-info.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY = 'PreFilter' + INTER_POD_AFFINITY;
const PRE_SCORE_KEY = 'PreScore' + INTER_POD_AFFINITY;

const AFFINITY_REJECTED = Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const ANTI_AFFINITY_REJECTED = Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const EXISTING_ANTI_AFFINITY_REJECTED = Status.unschedulable(
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
);

/** Matching-pod counts keyed by `${topologyKey}\u0000${value}`. */
export type TopologyCounts = Map<string, number>;

function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function bump(counts: TopologyCounts, node: NodeInfo, topologyKey: string, delta: number): void {
  const value = node.labels[topologyKey];
  if (value === undefined) return;
  const key = pairKey(topologyKey, value);
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}

export interface PreFilterState {
  pod: PodInfo;
  /** Domains holding a placed pod whose required anti-affinity matches the incoming pod. */
  existingAntiAffinityCounts: TopologyCounts;
  /** Domains holding placed pods that match all the incoming pod's required affinity terms. */
  affinityCounts: TopologyCounts;
  /** Domains holding placed pods matched by one of the incoming pod's required anti-affinity terms. */
  antiAffinityCounts: TopologyCounts;
}

export function computePreFilterState(
  pod: PodInfo,
  snapshot: Snapshot,
  namespaceLabels?: NamespaceLabels,
): PreFilterState {
  const existingAntiAffinityCounts: TopologyCounts = new Map();
  for (const node of snapshot.havePodsWithRequiredAntiAffinity) {
    for (const existing of node.podsWithRequiredAntiAffinity) {
      for (const term of existing.requiredAntiAffinityTerms) {
        if (affinityTermMatches(term, pod, namespaceLabels))
          bump(existingAntiAffinityCounts, node, term.topologyKey, 1);
      }
    }
  }

  const affinityCounts: TopologyCounts = new Map();
  const antiAffinityCounts: TopologyCounts = new Map();
  const affinityTerms = pod.requiredAffinityTerms;
  const antiAffinityTerms = pod.requiredAntiAffinityTerms;
  if (affinityTerms.length > 0 || antiAffinityTerms.length > 0) {
    for (const node of snapshot.nodeInfos) {
      for (const existing of node.pods) {
        if (affinityTerms.length > 0 && termsAllMatch(affinityTerms, existing, namespaceLabels)) {
          for (const term of affinityTerms) bump(affinityCounts, node, term.topologyKey, 1);
        }
        for (const term of antiAffinityTerms) {
          if (affinityTermMatches(term, existing, namespaceLabels))
            bump(antiAffinityCounts, node, term.topologyKey, 1);
        }
      }
    }
  }
  return { pod, existingAntiAffinityCounts, affinityCounts, antiAffinityCounts };
}

function termsAllMatch(
  terms: readonly AffinityTerm[],
  pod: PodInfo,
  namespaceLabels?: NamespaceLabels,
): boolean {
  for (const term of terms) {
    if (!affinityTermMatches(term, pod, namespaceLabels)) return false;
  }
  return true;
}

export function satisfiesPodAffinity(state: PreFilterState, node: NodeInfo): boolean {
  let podsExist = true;
  for (const term of state.pod.requiredAffinityTerms) {
    const value = node.labels[term.topologyKey];
    if (value === undefined) return false;
    if ((state.affinityCounts.get(pairKey(term.topologyKey, value)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group that is affine to itself must be able to start somewhere.
  return (
    state.affinityCounts.size === 0 && podMatchesAllAffinityTerms(state.pod.requiredAffinityTerms, state.pod)
  );
}

export function satisfiesPodAntiAffinity(state: PreFilterState, node: NodeInfo): boolean {
  if (state.antiAffinityCounts.size === 0) return true;
  for (const term of state.pod.requiredAntiAffinityTerms) {
    const value = node.labels[term.topologyKey];
    if (value !== undefined && (state.antiAffinityCounts.get(pairKey(term.topologyKey, value)) ?? 0) > 0) {
      return false;
    }
  }
  return true;
}

export function satisfiesExistingPodsAntiAffinity(state: PreFilterState, node: NodeInfo): boolean {
  if (state.existingAntiAffinityCounts.size === 0) return true;
  for (const [key, value] of Object.entries(node.labels)) {
    if ((state.existingAntiAffinityCounts.get(pairKey(key, value)) ?? 0) > 0) return false;
  }
  return true;
}

/** topologyKey → value → summed weight. */
export type TopologyScores = Map<string, Map<string, number>>;

function addScore(scores: TopologyScores, node: NodeInfo, topologyKey: string, weight: number): void {
  const value = node.labels[topologyKey];
  if (value === undefined || weight === 0) return;
  let byValue = scores.get(topologyKey);
  if (!byValue) {
    byValue = new Map();
    scores.set(topologyKey, byValue);
  }
  byValue.set(value, (byValue.get(value) ?? 0) + weight);
}

function addWeightedTerms(
  scores: TopologyScores,
  terms: readonly WeightedAffinityTerm[],
  target: PodInfo,
  node: NodeInfo,
  sign: 1 | -1,
  namespaceLabels?: NamespaceLabels,
): void {
  for (const term of terms) {
    if (affinityTermMatches(term, target, namespaceLabels))
      addScore(scores, node, term.topologyKey, sign * term.weight);
  }
}

/** Preferences between the incoming pod and one placed pod, credited to the placed pod's domains. */
export function scoreExistingPod(
  scores: TopologyScores,
  incoming: PodInfo,
  existing: PodInfo,
  node: NodeInfo,
  hardPodAffinityWeight: number,
  namespaceLabels?: NamespaceLabels,
): void {
  addWeightedTerms(scores, incoming.preferredAffinityTerms, existing, node, 1, namespaceLabels);
  addWeightedTerms(scores, incoming.preferredAntiAffinityTerms, existing, node, -1, namespaceLabels);
  if (hardPodAffinityWeight > 0) {
    for (const term of existing.requiredAffinityTerms) {
      if (affinityTermMatches(term, incoming, namespaceLabels))
        addScore(scores, node, term.topologyKey, hardPodAffinityWeight);
    }
  }
  addWeightedTerms(scores, existing.preferredAffinityTerms, incoming, node, 1, namespaceLabels);
  addWeightedTerms(scores, existing.preferredAntiAffinityTerms, incoming, node, -1, namespaceLabels);
}

export function nodeAffinityScore(scores: TopologyScores, node: NodeInfo): number {
  let total = 0;
  for (const [key, byValue] of scores) {
    const value = node.labels[key];
    if (value !== undefined) total += byValue.get(value) ?? 0;
  }
  return total;
}

/** Min–max scaling onto [0, MAX_NODE_SCORE]; all zero when every node scored the same. */
export function normalizeMinMax(scores: number[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const spread = max - min;
  for (let i = 0; i < scores.length; i++) {
    scores[i] = spread > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i] - min)) / spread) : 0;
  }
}

export interface InterPodAffinityOptions {
  /** Weight given to an existing pod's required affinity towards the incoming pod; upstream's default 1. */
  hardPodAffinityWeight?: number;
  /** Namespace labels, for terms with a namespaceSelector; without it only `{}` selects namespaces. */
  namespaceLabels?: NamespaceLabels;
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = INTER_POD_AFFINITY;
  private readonly hardPodAffinityWeight: number;
  private readonly namespaceLabels: NamespaceLabels | undefined;

  constructor(options: InterPodAffinityOptions = {}) {
    this.hardPodAffinityWeight = options.hardPodAffinityWeight ?? 1;
    this.namespaceLabels = options.namespaceLabels;
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status {
    if (pod.parseError !== undefined) return Status.unresolvable(`parsing pod: ${pod.parseError}`);
    const s = computePreFilterState(pod, snapshot, this.namespaceLabels);
    if (
      s.existingAntiAffinityCounts.size === 0 &&
      pod.requiredAffinityTerms.length === 0 &&
      pod.requiredAntiAffinityTerms.length === 0
    ) {
      return Status.SKIP;
    }
    state.write(PRE_FILTER_KEY, s);
    return Status.SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    if (!satisfiesPodAffinity(s, node)) return AFFINITY_REJECTED;
    if (!satisfiesPodAntiAffinity(s, node)) return ANTI_AFFINITY_REJECTED;
    if (!satisfiesExistingPodsAntiAffinity(s, node)) return EXISTING_ANTI_AFFINITY_REJECTED;
    return Status.SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    const hasPreferences = pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    // Without preferences of its own, only placed pods with affinity can express one about this pod.
    const nodes = hasPreferences ? snapshot.nodeInfos : snapshot.havePodsWithAffinity;
    const scores: TopologyScores = new Map();
    for (const node of nodes) {
      if (Object.keys(node.labels).length === 0) continue;
      for (const existing of hasPreferences ? node.pods : node.podsWithAffinity) {
        scoreExistingPod(scores, pod, existing, node, this.hardPodAffinityWeight, this.namespaceLabels);
      }
    }
    if (scores.size === 0) return Status.SKIP;
    state.write(PRE_SCORE_KEY, scores);
    return Status.SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    return nodeAffinityScore(state.read<TopologyScores>(PRE_SCORE_KEY) ?? new Map(), node);
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: number[]): void {
    normalizeMinMax(scores);
  }
}
