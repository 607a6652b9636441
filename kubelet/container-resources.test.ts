import type { Container } from './api-types.js';
import {
  linuxContainerResources,
  milliCpuToQuota,
  milliCpuToShares,
  oomScoreAdjust,
  podQosClass,
} from './container-resources.js';
import { makeContainer, makePod } from './testing/builders.js';

const GiB = 1024 ** 3;
type Resources = NonNullable<Container['resources']>;
const withResources = (name: string, resources: Resources) => makeContainer(name, { resources });
const guaranteed: Resources = {
  requests: { cpu: '500m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '64Mi' },
};

describe('podQosClass', () => {
  it.each<[string, Container[], Container[], string]>([
    ['no requests or limits anywhere', [makeContainer('a')], [], 'BestEffort'],
    [
      'limits equal to requests for cpu and memory everywhere',
      [withResources('a', guaranteed)],
      [withResources('i', guaranteed)],
      'Guaranteed',
    ],
    [
      'only limits, which stand in for requests',
      [withResources('a', { limits: { cpu: '1', memory: '1Gi' } })],
      [],
      'Burstable',
    ],
    [
      'a memory limit without a cpu limit',
      [withResources('a', { requests: { memory: '1Gi' }, limits: { memory: '1Gi' } })],
      [],
      'Burstable',
    ],
    [
      'one container without resources',
      [withResources('a', guaranteed), makeContainer('b')],
      [],
      'Burstable',
    ],
    ['an init container without limits', [withResources('a', guaranteed)], [makeContainer('i')], 'Burstable'],
    [
      'requests below limits',
      [
        withResources('a', {
          requests: { cpu: '100m', memory: '64Mi' },
          limits: { cpu: '500m', memory: '64Mi' },
        }),
      ],
      [],
      'Burstable',
    ],
    [
      'equal values written differently',
      [
        withResources('a', {
          requests: { cpu: '0.5', memory: '64Mi' },
          limits: { cpu: '500m', memory: '67108864' },
        }),
      ],
      [],
      'Guaranteed',
    ],
    [
      'only extended resources',
      [withResources('a', { limits: { 'example.com/gpu': '1' } })],
      [],
      'BestEffort',
    ],
  ])('%s', (_name, containers, initContainers, want) => {
    expect(podQosClass(makePod({ containers, initContainers }))).toBe(want);
  });
});

describe('cgroup settings', () => {
  it.each([
    [0, 2],
    [1, 2],
    [100, 102],
    [250, 256],
    [1000, 1024],
    [1_000_000, 262_144],
  ])('%i millicores are %i CPU shares', (milli, shares) => {
    expect(milliCpuToShares(milli)).toBe(shares);
  });

  it.each([
    [0, 0],
    [5, 1000],
    [250, 25_000],
    [1500, 150_000],
  ])('a %i millicore limit is a quota of %i µs per 100 ms', (milli, quota) => {
    expect(milliCpuToQuota(milli)).toBe(quota);
  });

  it('converts requests and limits, with a lone limit standing in for the request', () => {
    const container = withResources('a', { limits: { cpu: '250m', memory: '32Mi' } });
    expect(linuxContainerResources(makePod({ containers: [container] }), container, 8 * GiB)).toEqual({
      cpuShares: 256,
      cpuQuota: 25_000,
      cpuPeriod: 100_000,
      memoryLimitBytes: 32 * 1024 * 1024,
      oomScoreAdj: 999,
    });
  });

  it('leaves quota and memory unlimited without limits', () => {
    const container = withResources('a', { requests: { cpu: '100m' } });
    expect(linuxContainerResources(makePod({ containers: [container] }), container, 8 * GiB)).toEqual({
      cpuShares: 102,
      cpuQuota: 0,
      cpuPeriod: 100_000,
      oomScoreAdj: 999,
    });
  });

  it.each<[string, Resources, number]>([
    ['Guaranteed', guaranteed, -997],
    ['BestEffort', {}, 1000],
    ['Burstable with a quarter of the memory requested', { requests: { memory: '2Gi' } }, 750],
    ['Burstable with no memory request, just below BestEffort', { requests: { cpu: '1' } }, 999],
    ['Burstable requesting all memory, just above Guaranteed', { requests: { memory: '8Gi' } }, 3],
  ])('OOM score adjustment: %s', (_name, resources, want) => {
    const container = withResources('a', resources);
    expect(oomScoreAdjust(makePod({ containers: [container] }), container, 8 * GiB)).toBe(want);
  });
});
