/**
 * Scheduling profiles: which plugins run at which extension point, in which order, with which score
 * weights. `defaultProfile` mirrors upstream's default plugin set (MultiPoint order and weights) for the
 * plugins Kubicle has, with a Docker-Swarm-style strategy switch:
 * - `spread` (default): NodeResourcesFit scores LeastAllocated, plus BalancedAllocation and ReplicaSpread,
 *   so load and replicas fan out.
 * - `binpack`: NodeResourcesFit scores MostAllocated, and the two spreading scores are left out: summed
 *   with MostAllocated they cancel it out (for a CPU-only pod BalancedAllocation falls exactly as fast as
 *   MostAllocated rises), and nodes would be picked at random instead of filled one by one.
 *
 * Order matters for Filter: the first plugin that rejects a node names the reason shown for it.
 */

import { DEFAULT_SCHEDULER_NAME } from './api-types.js';
import {
  isFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isScorePlugin,
  type FilterPlugin,
  type Plugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from './framework.js';
import type { NamespaceLabels } from './pod-info.js';
import { InterPodAffinity } from './plugins/inter-pod-affinity.js';
import { NodeAffinity } from './plugins/node-affinity.js';
import { NodeName } from './plugins/node-name.js';
import { NodePorts } from './plugins/node-ports.js';
import { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation.js';
import { NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NodeUnschedulable } from './plugins/node-unschedulable.js';
import { PodTopologySpread } from './plugins/pod-topology-spread.js';
import { ReplicaSpread } from './plugins/replica-spread.js';
import { TaintToleration } from './plugins/taint-toleration.js';

export type Strategy = 'spread' | 'binpack';

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

export interface Profile {
  schedulerName: string;
  preFilterPlugins: readonly PreFilterPlugin[];
  filterPlugins: readonly FilterPlugin[];
  preScorePlugins: readonly PreScorePlugin[];
  scorePlugins: readonly WeightedScorePlugin[];
  /** 0 picks upstream's adaptive percentage (50 − nodes/125, at least 5%). */
  percentageOfNodesToScore: number;
  /** Run every filter on a rejected node and report all reasons, rather than stopping at the first. */
  runAllFilters: boolean;
  /**
   * Append upstream's DefaultPreemption PostFilter message ("preemption: …") to failure messages. Kubicle
   * does not preempt; the text is what upstream prints when no victims can be found.
   */
  preemptionMessage: boolean;
}

export interface ProfileEntry {
  plugin: Plugin;
  /** Score weight; ignored for plugins that do not score. Defaults to 1. */
  weight?: number;
}

export interface ProfileSettings {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  runAllFilters?: boolean;
  preemptionMessage?: boolean;
}

/** Places each plugin at every extension point it implements, keeping the given order (MultiPoint). */
export function createProfile(entries: readonly ProfileEntry[], settings: ProfileSettings = {}): Profile {
  const percentage = settings.percentageOfNodesToScore ?? 0;
  if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
    throw new RangeError(`percentageOfNodesToScore must be an integer between 0 and 100, got ${percentage}`);
  }
  const names = new Set<string>();
  for (const { plugin, weight } of entries) {
    if (names.has(plugin.name)) throw new Error(`plugin "${plugin.name}" is listed twice`);
    names.add(plugin.name);
    if (weight !== undefined && (!Number.isInteger(weight) || weight < 1)) {
      throw new RangeError(`plugin "${plugin.name}" has an invalid weight ${weight}`);
    }
  }
  const plugins = entries.map((e) => e.plugin);
  return {
    schedulerName: settings.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    preFilterPlugins: plugins.filter(isPreFilterPlugin),
    filterPlugins: plugins.filter(isFilterPlugin),
    preScorePlugins: plugins.filter(isPreScorePlugin),
    scorePlugins: entries
      .filter((e): e is ProfileEntry & { plugin: ScorePlugin } => isScorePlugin(e.plugin))
      .map((e) => ({ plugin: e.plugin, weight: e.weight ?? 1 })),
    percentageOfNodesToScore: percentage,
    runAllFilters: settings.runAllFilters ?? false,
    preemptionMessage: settings.preemptionMessage ?? true,
  };
}

export interface DefaultProfileOptions extends ProfileSettings {
  strategy?: Strategy;
  /** Namespace labels for pod affinity terms with a namespaceSelector. */
  namespaceLabels?: NamespaceLabels;
  hardPodAffinityWeight?: number;
}

export function defaultProfile(options: DefaultProfileOptions = {}): Profile {
  const strategy = options.strategy ?? 'spread';
  if (strategy !== 'spread' && strategy !== 'binpack') {
    throw new RangeError(`unknown strategy "${String(strategy)}", expected spread or binpack`);
  }
  const spread = strategy === 'spread';
  const entries: ProfileEntry[] = [
    { plugin: new NodeUnschedulable() },
    { plugin: new NodeName() },
    { plugin: new TaintToleration(), weight: 3 },
    { plugin: new NodeAffinity(), weight: 2 },
    { plugin: new NodePorts() },
    {
      plugin: new NodeResourcesFit({ scoringStrategy: spread ? 'LeastAllocated' : 'MostAllocated' }),
      weight: 1,
    },
    { plugin: new PodTopologySpread(), weight: 2 },
    {
      plugin: new InterPodAffinity({
        namespaceLabels: options.namespaceLabels,
        hardPodAffinityWeight: options.hardPodAffinityWeight,
      }),
      weight: 2,
    },
  ];
  if (spread) {
    entries.push(
      { plugin: new NodeResourcesBalancedAllocation(), weight: 1 },
      // Weighted as the cluster-default PodTopologySpread constraints it stands in for.
      { plugin: new ReplicaSpread(), weight: 2 },
    );
  }
  return createProfile(entries, options);
}
