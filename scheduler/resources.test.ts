import { makeNode, makePod } from './testing/builders.js';
import { milliValue, nodeAllocatable, podRequests, value } from './resources.js';

describe('quantities', () => {
  it.each([
    ['100m', 100],
    ['1', 1000],
    ['1.5', 1500],
    ['0.5m', 1],
    ['2e3', 2_000_000],
    [0.25, 250],
    ['bogus', 0],
  ])('CPU %p is %p millicores, rounded up like MilliValue()', (q, expected) => {
    expect(milliValue(q)).toBe(expected);
  });

  it.each([
    ['128Mi', 128 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['1k', 1000],
    ['1M', 1_000_000],
    ['1.5', 2],
    ['100m', 1],
    ['1e3', 1000],
    [1024, 1024],
  ])('memory %p is %p bytes, rounded up like Value()', (q, expected) => {
    expect(value(q)).toBe(expected);
  });

  it('keeps a text read both as CPU and as bytes apart, however often it is read', () => {
    for (let i = 0; i < 3; i++) {
      expect(milliValue('1500m')).toBe(1500);
      expect(value('1500m')).toBe(2);
    }
  });
});

describe('podRequests', () => {
  it.each([
    {
      name: 'app containers are summed',
      pod: makePod({ containers: [{ cpu: '1' }, { cpu: '2', memory: '1Gi' }] }),
      want: { milliCpu: 3000, memory: 1024 ** 3 },
    },
    {
      name: 'the largest init container wins when it exceeds the app containers (upstream worked example)',
      pod: makePod({
        containers: [
          { cpu: '1', memory: '1G' },
          { cpu: '2', memory: '1G' },
        ],
        initContainers: [
          { cpu: '2', memory: '1G' },
          { cpu: '2', memory: '3G' },
        ],
      }),
      want: { milliCpu: 3000, memory: 3_000_000_000 },
    },
    {
      name: 'a sidecar runs next to the app containers and the later init containers',
      pod: makePod({
        containers: [{ cpu: '1' }],
        initContainers: [{ cpu: '500m', sidecar: true }, { cpu: '2' }],
      }),
      want: { milliCpu: 2500, memory: 0 },
    },
    {
      name: 'overhead is added on top',
      pod: makePod({ requests: { cpu: '100m', memory: '64Mi' }, overhead: { cpu: '10m', memory: '1Mi' } }),
      want: { milliCpu: 110, memory: 65 * 1024 * 1024 },
    },
    {
      name: 'a pod without requests requests nothing',
      pod: makePod(),
      want: { milliCpu: 0, memory: 0 },
    },
  ])('$name', ({ pod, want }) => {
    expect(podRequests(pod)).toEqual(want);
  });

  it('counts 100m and 200Mi for containers that name no request when asked for non-zero requests', () => {
    const pod = makePod({ containers: [{}, { cpu: '1' }] });
    expect(podRequests(pod, true)).toEqual({ milliCpu: 1100, memory: 400 * 1024 * 1024 });
  });

  it('keeps an explicit zero request at zero even for non-zero requests', () => {
    expect(podRequests(makePod({ requests: { cpu: '0', memory: '0' } }), true)).toEqual({
      milliCpu: 0,
      memory: 0,
    });
  });
});

describe('nodeAllocatable', () => {
  it('reads allocatable CPU, memory and pods', () => {
    const node = makeNode({ allocatable: { cpu: '2500m', memory: '4Gi', pods: '30' } });
    expect(nodeAllocatable(node)).toEqual({ milliCpu: 2500, memory: 4 * 1024 ** 3, pods: 30 });
  });

  it('falls back to capacity when a node reports no allocatable', () => {
    const node = makeNode();
    node.status = { capacity: { cpu: '1', memory: '1Gi', pods: '10' } };
    expect(nodeAllocatable(node)).toEqual({ milliCpu: 1000, memory: 1024 ** 3, pods: 10 });
  });
});
