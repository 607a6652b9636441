import { Status, type FilterPlugin, type Plugin, type ScorePlugin } from './framework.js';
import { createProfile, defaultProfile } from './profile.js';
import type { NodeResourcesFit } from './plugins/node-resources-fit.js';

describe('defaultProfile', () => {
  it('filters in upstream’s order', () => {
    expect(defaultProfile().filterPlugins.map((p) => p.name)).toEqual([
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'PodTopologySpread',
      'InterPodAffinity',
    ]);
  });

  it('scores with upstream’s weights, plus replica spreading for the spread strategy', () => {
    const weights = defaultProfile().scorePlugins.map(({ plugin, weight }) => [plugin.name, weight]);
    expect(weights).toEqual([
      ['TaintToleration', 3],
      ['NodeAffinity', 2],
      ['NodeResourcesFit', 1],
      ['PodTopologySpread', 2],
      ['InterPodAffinity', 2],
      ['NodeResourcesBalancedAllocation', 1],
      ['ReplicaSpread', 2],
    ]);
  });

  it.each([
    { strategy: 'spread' as const, scoring: 'LeastAllocated', spreading: true },
    { strategy: 'binpack' as const, scoring: 'MostAllocated', spreading: false },
  ])('the $strategy strategy scores resources $scoring', ({ strategy, scoring, spreading }) => {
    const profile = defaultProfile({ strategy });
    const fit = profile.scorePlugins.find((s) => s.plugin.name === 'NodeResourcesFit')
      ?.plugin as NodeResourcesFit;
    expect(fit.scoringStrategy).toBe(scoring);
    const names = profile.scorePlugins.map((s) => s.plugin.name);
    expect(names.includes('ReplicaSpread')).toBe(spreading);
    expect(names.includes('NodeResourcesBalancedAllocation')).toBe(spreading);
  });

  it('rejects an unknown strategy', () => {
    expect(() => defaultProfile({ strategy: 'random' as never })).toThrow(
      'unknown strategy "random", expected spread or binpack',
    );
  });
});

describe('createProfile', () => {
  const filterOnly: FilterPlugin = { name: 'F', filter: () => Status.SUCCESS };
  const scoreOnly: ScorePlugin = { name: 'S', score: () => 0 };

  it('places each plugin at the extension points it implements', () => {
    const profile = createProfile([{ plugin: filterOnly }, { plugin: scoreOnly, weight: 4 }]);
    expect(profile.filterPlugins).toEqual([filterOnly]);
    expect(profile.scorePlugins).toEqual([{ plugin: scoreOnly, weight: 4 }]);
    expect(profile.preFilterPlugins).toEqual([]);
    expect(profile.schedulerName).toBe('default-scheduler');
  });

  it.each([
    {
      name: 'a plugin listed twice',
      entries: [{ plugin: filterOnly }, { plugin: filterOnly }],
      settings: {},
      error: 'plugin "F" is listed twice',
    },
    {
      name: 'a weight of 0',
      entries: [{ plugin: scoreOnly, weight: 0 }],
      settings: {},
      error: 'plugin "S" has an invalid weight 0',
    },
    {
      name: 'a percentage above 100',
      entries: [] as { plugin: Plugin }[],
      settings: { percentageOfNodesToScore: 101 },
      error: 'percentageOfNodesToScore must be an integer between 0 and 100, got 101',
    },
  ])('refuses $name', ({ entries, settings, error }) => {
    expect(() => createProfile(entries, settings)).toThrow(error);
  });
});
