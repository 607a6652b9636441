/**
 * The synchronous heart of a scheduling cycle, after upstream's schedule_one.go: PreFilter, Filter over
 * a rotating sample of nodes, PreScore/Score with weights, host selection, and the failure message.
 * Queueing, assuming, binding and events belong to the caller.
 *
 * Contract:
 * - `findFeasibleNodes` stops once `numFeasibleNodesToFind` nodes passed, starting where the previous
 *   cycle stopped (`startIndex`) so every node gets its turn. Each rejected node's Status names the
 *   plugin and all its reasons. When nothing fits, every node was evaluated.
 * - `prioritizeNodes` returns Σ weight × normalized score per node; each plugin's normalized scores must
 *   lie in [0, 100].
 * - `selectHost` picks the highest total; ties are broken uniformly at random with the injected `random`.
 * - Plugin Errors (not rejections) throw SchedulingError; the caller treats the attempt as failed and
 *   retries with backoff, as upstream does for SchedulerError.
 */

import {
  CycleState,
  MAX_NODE_SCORE,
  Status,
  type FilterPlugin,
  type NodeInfo,
  type PreFilterNodeNames,
  type Snapshot,
} from './framework.js';
import type { Pod } from './api-types.js';
import { PodInfo } from './pod-info.js';
import type { Profile } from './profile.js';

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

export class SchedulingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulingError';
  }
}

/**
 * How many feasible nodes are enough: all of them below 100 nodes; otherwise the configured percentage,
 * or adaptively 50% − 1% per 125 nodes (at least 5%), but never fewer than 100.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage === 0) {
    percentage = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  }
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(numNodes, MIN_FEASIBLE_NODES_TO_FIND);
}

/** Why nodes were rejected, for the failure message and for requeueing decisions. */
export interface Diagnosis {
  /** Rejected nodes, with the status of the plugin that rejected each. */
  nodeToStatus: Map<string, Status>;
  /** Applies to every node not in nodeToStatus: after a PreFilter rejection, or nodes PreFilter excluded. */
  absentNodesStatus?: Status;
  /** Plugins that rejected at least one node (or the pod at PreFilter). */
  unschedulablePlugins: Set<string>;
  /** Set when PreFilter rejected the pod; the message then replaces the per-node histogram. */
  preFilterMessage?: string;
}

function emptyDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
}

export interface PreFilterOutcome {
  status: Status;
  /** When set, only these nodes can fit (intersection over the plugins that narrowed). */
  nodeNames?: Set<string>;
  /** The plugins that narrowed the nodes, in profile order. */
  narrowedBy: string[];
}

/**
 * Runs every PreFilter. An UnschedulableAndUnresolvable rejection stops at once; an Unschedulable one is
 * remembered while the rest still run, as upstream does so preemption sees complete state.
 */
export function runPreFilterPlugins(
  profile: Profile,
  state: CycleState,
  pod: PodInfo,
  snapshot: Snapshot,
): PreFilterOutcome {
  let nodeNames: Set<string> | undefined;
  let rejection: Status | undefined;
  const narrowedBy: string[] = [];
  for (const plugin of profile.preFilterPlugins) {
    const result: Status | PreFilterNodeNames = plugin.preFilter(state, pod, snapshot);
    if (result instanceof Status) {
      if (result.isSkip()) {
        state.skipFilterPlugins.add(plugin.name);
        continue;
      }
      if (result.isSuccess()) continue;
      if (!result.isRejected()) {
        throw new SchedulingError(`running PreFilter plugin "${plugin.name}": ${result.message()}`);
      }
      if (result.code === 'UnschedulableAndUnresolvable') {
        return { status: result.withPlugin(plugin.name), narrowedBy: [] };
      }
      rejection ??= result.withPlugin(plugin.name);
      continue;
    }
    narrowedBy.push(plugin.name);
    nodeNames = nodeNames
      ? new Set([...nodeNames].filter((n) => result.nodeNames.has(n)))
      : new Set(result.nodeNames);
    if (nodeNames.size === 0) {
      const message =
        narrowedBy.length === 1
          ? `node(s) didn't satisfy plugin ${narrowedBy[0]}`
          : `node(s) didn't satisfy plugin(s) [${narrowedBy.join(' ')}] simultaneously`;
      return { status: Status.unresolvable(message), nodeNames, narrowedBy };
    }
  }
  return { status: rejection ?? Status.SUCCESS, nodeNames, narrowedBy };
}

/**
 * Runs the cycle's filters on one node. The first rejection decides, as upstream; with `runAllFilters`
 * every filter runs and the reasons are merged (UnschedulableAndUnresolvable wins over Unschedulable).
 */
export function runFilterPlugins(
  profile: Profile,
  state: CycleState,
  pod: PodInfo,
  node: NodeInfo,
  filters: readonly FilterPlugin[] = activeFilterPlugins(profile, state),
): Status {
  let merged: Status | undefined;
  for (let i = 0; i < filters.length; i++) {
    const plugin = filters[i];
    const status = plugin.filter(state, pod, node);
    if (status.isSuccess()) continue;
    if (!status.isRejected()) {
      throw new SchedulingError(`running "${plugin.name}" filter plugin: ${status.message()}`);
    }
    if (!profile.runAllFilters) return status.withPlugin(plugin.name);
    merged = mergeRejections(merged, status.withPlugin(plugin.name));
  }
  return merged ?? Status.SUCCESS;
}

/** The filters this cycle runs: the profile's, minus those whose PreFilter returned Skip. */
export function activeFilterPlugins(profile: Profile, state: CycleState): FilterPlugin[] {
  return profile.filterPlugins.filter((p) => !state.skipFilterPlugins.has(p.name));
}

function mergeRejections(previous: Status | undefined, next: Status): Status {
  if (!previous) return next;
  const reasons = [...previous.reasons, ...next.reasons];
  const unresolvable =
    previous.code === 'UnschedulableAndUnresolvable' || next.code === 'UnschedulableAndUnresolvable';
  const merged = unresolvable ? Status.unresolvable(...reasons) : Status.unschedulable(...reasons);
  return merged.withPlugin(previous.plugin ?? next.plugin ?? '');
}

export interface FeasibleNodes {
  feasible: NodeInfo[];
  diagnosis: Diagnosis;
  /** Where the next cycle should start looking. */
  nextStartIndex: number;
}

/**
 * PreFilter, then Filter from `startIndex` (wrapping) until enough nodes fit. The Diagnosis records every
 * rejected node.
 */
export function findFeasibleNodes(
  profile: Profile,
  state: CycleState,
  pod: PodInfo,
  snapshot: Snapshot,
  startIndex = 0,
): FeasibleNodes {
  const allNodes = snapshot.nodeInfos;
  const diagnosis = emptyDiagnosis();
  const preFilter = runPreFilterPlugins(profile, state, pod, snapshot);
  if (!preFilter.status.isSuccess()) {
    diagnosis.absentNodesStatus = preFilter.status;
    diagnosis.preFilterMessage = preFilter.status.message();
    if (preFilter.status.plugin) diagnosis.unschedulablePlugins.add(preFilter.status.plugin);
    for (const name of preFilter.narrowedBy) diagnosis.unschedulablePlugins.add(name);
    return { feasible: [], diagnosis, nextStartIndex: startIndex };
  }

  let nodes = allNodes;
  if (preFilter.nodeNames) {
    nodes = [...preFilter.nodeNames]
      .map((name) => snapshot.get(name))
      .filter((n): n is NodeInfo => n !== undefined);
    // Nodes PreFilter ruled out count as rejected by the narrowing plugins.
    diagnosis.absentNodesStatus = Status.unresolvable(
      `node(s) didn't satisfy plugin(s) [${[...preFilter.narrowedBy].sort(compareStrings).join(' ')}]`,
    );
    for (const name of preFilter.narrowedBy) diagnosis.unschedulablePlugins.add(name);
  }

  const numAll = nodes.length;
  const hasScoring = profile.scorePlugins.length > 0;
  const numToFind = hasScoring ? numFeasibleNodesToFind(numAll, profile.percentageOfNodesToScore) : 1;
  const start = numAll === 0 ? 0 : startIndex % numAll;
  const filters = activeFilterPlugins(profile, state);
  const feasible: NodeInfo[] = [];
  let processed = 0;
  while (processed < numAll && feasible.length < numToFind) {
    const node = nodes[(start + processed) % numAll];
    processed++;
    const status = runFilterPlugins(profile, state, pod, node, filters);
    if (status.isSuccess()) {
      feasible.push(node);
    } else {
      diagnosis.nodeToStatus.set(node.name, status);
      if (status.plugin) diagnosis.unschedulablePlugins.add(status.plugin);
    }
  }
  const nextStartIndex = allNodes.length === 0 ? 0 : (startIndex + processed) % allNodes.length;
  return { feasible, diagnosis, nextStartIndex };
}

export interface NodeScore {
  name: string;
  totalScore: number;
}

/**
 * PreScore, Score and NormalizeScore, combined as Σ weight × score. With no score plugins every node
 * scores 1, as upstream.
 */
export function prioritizeNodes(
  profile: Profile,
  state: CycleState,
  pod: PodInfo,
  nodes: readonly NodeInfo[],
  snapshot: Snapshot,
): NodeScore[] {
  const totals = scoreTotals(profile, state, pod, nodes, snapshot);
  return nodes.map((node, i) => ({ name: node.name, totalScore: totals[i] }));
}

/** prioritizeNodes' totals, parallel to `nodes`: the cycle picks from these without a record per node. */
function scoreTotals(
  profile: Profile,
  state: CycleState,
  pod: PodInfo,
  nodes: readonly NodeInfo[],
  snapshot: Snapshot,
): number[] {
  const totals = new Array<number>(nodes.length).fill(profile.scorePlugins.length === 0 ? 1 : 0);
  for (const plugin of profile.preScorePlugins) {
    const status = plugin.preScore(state, pod, nodes, snapshot);
    if (status.isSkip()) state.skipScorePlugins.add(plugin.name);
    else if (!status.isSuccess()) {
      throw new SchedulingError(`running PreScore plugin "${plugin.name}": ${status.message()}`);
    }
  }
  const scores = new Array<number>(nodes.length).fill(0);
  for (const { plugin, weight } of profile.scorePlugins) {
    if (state.skipScorePlugins.has(plugin.name)) continue;
    for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]);
    plugin.normalizeScore?.(state, pod, scores, nodes);
    for (let i = 0; i < nodes.length; i++) {
      const score = scores[i];
      if (!(score >= 0 && score <= MAX_NODE_SCORE)) {
        throw new SchedulingError(
          `plugin "${plugin.name}" returns an invalid score ${score}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`,
        );
      }
      totals[i] += score * weight;
    }
  }
  return totals;
}

/** The highest-scoring node; among equals each is equally likely (reservoir sampling over ties). */
export function selectHost(scores: readonly NodeScore[], random: () => number = Math.random): string {
  if (scores.length === 0) throw new SchedulingError('empty priorityList');
  const best = bestIndex(
    scores.map((s) => s.totalScore),
    random,
  );
  return scores[best].name;
}

/** selectHost over totals alone: the index of the pick, with the same draws from `random`. */
function bestIndex(totals: readonly number[], random: () => number): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    if (totals[i] > totals[best]) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return best;
}

export interface FailureMessageOptions {
  /** Nodes not in reasonsByNode, each counting these reasons. */
  absentNodes?: { count: number; reasons: readonly string[] };
  /** A PreFilter rejection: replaces the per-node reasons. */
  preFilterMessage?: string;
  /** Appended as is, e.g. "preemption: …". */
  postFilterMessage?: string;
}

/**
 * FitError.Error(): "0/N nodes are available: <count> <reason>, … ." with the "<count> <reason>" entries
 * sorted as strings (so "10 x" sorts before "2 y", as in Go), then the PostFilter message.
 */
export function failureMessage(
  numAllNodes: number,
  reasonsByNode: ReadonlyMap<string, readonly string[]>,
  options: FailureMessageOptions = {},
): string {
  let message = `0/${numAllNodes} nodes are available:`;
  if (options.preFilterMessage) {
    message += ` ${options.preFilterMessage}.`;
  } else {
    const histogram = new Map<string, number>();
    for (const reasons of reasonsByNode.values()) {
      for (const reason of reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    }
    if (options.absentNodes && options.absentNodes.count > 0) {
      for (const reason of options.absentNodes.reasons) {
        histogram.set(reason, (histogram.get(reason) ?? 0) + options.absentNodes.count);
      }
    }
    const entries = [...histogram].map(([reason, count]) => `${count} ${reason}`).sort(compareStrings);
    if (entries.length > 0) message += ` ${entries.join(', ')}.`;
  }
  if (options.postFilterMessage) message += ` ${options.postFilterMessage}`;
  return message;
}

/** Byte-wise for ASCII, like Go's sort.Strings; localeCompare would order case and digits differently. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function reasonsOf(statuses: ReadonlyMap<string, Status>): Map<string, readonly string[]> {
  const reasons = new Map<string, readonly string[]>();
  for (const [node, status] of statuses) reasons.set(node, status.reasons);
  return reasons;
}

/** The FitError text for a diagnosis, without any PostFilter message. */
export function fitErrorMessage(
  numAllNodes: number,
  diagnosis: Diagnosis,
  postFilterMessage?: string,
): string {
  const absent = numAllNodes - diagnosis.nodeToStatus.size;
  return failureMessage(numAllNodes, reasonsOf(diagnosis.nodeToStatus), {
    preFilterMessage: diagnosis.preFilterMessage,
    absentNodes:
      diagnosis.absentNodesStatus && absent > 0
        ? { count: absent, reasons: diagnosis.absentNodesStatus.reasons }
        : undefined,
    postFilterMessage,
  });
}

/**
 * What upstream's DefaultPreemption reports when it finds nothing to evict: nodes rejected as
 * UnschedulableAndUnresolvable are "not helpful", the others have no victims. Exact for clusters whose
 * pods share one priority; Kubicle never evicts to make room.
 */
export function preemptionMessage(pod: Pod, nodeNames: readonly string[], diagnosis: Diagnosis): string {
  if (pod.spec?.preemptionPolicy === 'Never')
    return 'preemption: not eligible due to preemptionPolicy=Never.';
  const reasons = new Map<string, readonly string[]>();
  for (const name of nodeNames) {
    const status = diagnosis.nodeToStatus.get(name) ?? diagnosis.absentNodesStatus;
    const helpful = status !== undefined && status.code === 'Unschedulable';
    reasons.set(name, [helpful ? NO_PREEMPTION_VICTIMS : PREEMPTION_NOT_HELPFUL]);
  }
  return `preemption: ${failureMessage(nodeNames.length, reasons)}`;
}

export type ScheduleResult =
  | {
      kind: 'Scheduled';
      nodeName: string;
      /** Nodes filtered in this cycle (feasible plus rejected). */
      evaluatedNodes: number;
      feasibleNodes: number;
      nextStartIndex: number;
    }
  | {
      kind: 'Unschedulable';
      /** The FailedScheduling event and PodScheduled condition message. */
      message: string;
      diagnosis: Diagnosis;
      numAllNodes: number;
      nextStartIndex: number;
    };

export interface ScheduleOptions {
  /** Where to start filtering; pass the previous result's nextStartIndex. */
  startIndex?: number;
  random?: () => number;
}

/** One scheduling attempt for `pod` against `snapshot`: filter, score, pick. Throws SchedulingError. */
export function schedulePod(
  profile: Profile,
  pod: Pod | PodInfo,
  snapshot: Snapshot,
  options: ScheduleOptions = {},
): ScheduleResult {
  const info = pod instanceof PodInfo ? pod : PodInfo.of(pod);
  const numAllNodes = snapshot.nodeInfos.length;
  if (numAllNodes === 0) {
    return {
      kind: 'Unschedulable',
      message: NO_NODES_AVAILABLE_MESSAGE,
      diagnosis: emptyDiagnosis(),
      numAllNodes: 0,
      nextStartIndex: 0,
    };
  }

  const state = new CycleState();
  const { feasible, diagnosis, nextStartIndex } = findFeasibleNodes(
    profile,
    state,
    info,
    snapshot,
    options.startIndex ?? 0,
  );

  if (feasible.length === 0) {
    const postFilter = profile.preemptionMessage
      ? preemptionMessage(
          info.pod,
          snapshot.nodeInfos.map((n) => n.name),
          diagnosis,
        )
      : undefined;
    return {
      kind: 'Unschedulable',
      message: fitErrorMessage(numAllNodes, diagnosis, postFilter),
      diagnosis,
      numAllNodes,
      nextStartIndex,
    };
  }

  const evaluatedNodes = feasible.length + diagnosis.nodeToStatus.size;
  if (feasible.length === 1) {
    return {
      kind: 'Scheduled',
      nodeName: feasible[0].name,
      evaluatedNodes,
      feasibleNodes: 1,
      nextStartIndex,
    };
  }
  const totals = scoreTotals(profile, state, info, feasible, snapshot);
  return {
    kind: 'Scheduled',
    nodeName: feasible[bestIndex(totals, options.random ?? Math.random)].name,
    evaluatedNodes,
    feasibleNodes: feasible.length,
    nextStartIndex,
  };
}
