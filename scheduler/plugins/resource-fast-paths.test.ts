/**
 * The per-node fast paths of NodeResourcesFit and BalancedAllocation must agree with the general
 * functions they shortcut, on every combination of fitting and not fitting.
 */
import { CycleState } from '../framework.js';
import { PodInfo } from '../pod-info.js';
import type { ResourceList } from '../api-types.js';
import { makeNode, makePod, nodeInfoOf } from '../testing/builders.js';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import { fitsRequest, insufficientResourcesStatus, NodeResourcesFit } from './node-resources-fit.js';
import { balancedAllocationScore } from './resource-allocation.js';

const allocatables = [
  { cpu: '2', memory: '4Gi', pods: '3' },
  { cpu: '0', memory: '4Gi', pods: '110' },
  { cpu: '2', memory: '0', pods: '110' },
  { cpu: '1500m', memory: '1Gi', pods: '2' },
];
const placed: ResourceList[][] = [[], [{ cpu: '1', memory: '1Gi' }], [{ cpu: '500m' }, { memory: '3Gi' }]];
const incoming: ResourceList[] = [
  {},
  { cpu: '500m' },
  { cpu: '1' },
  { memory: '1Gi' },
  { cpu: '2', memory: '4Gi' },
  { cpu: '3' },
];

const cases = allocatables.flatMap((allocatable) =>
  placed.flatMap((existing) => incoming.map((requests) => ({ allocatable, existing, requests }))),
);

describe('resource fast paths', () => {
  it.each(cases)('agree for node %j', ({ allocatable, existing, requests }) => {
    const node = nodeInfoOf(
      makeNode({ name: 'n', allocatable }),
      existing.map((r, i) => makePod({ name: `placed-${i}`, requests: r, nodeName: 'n' })),
    );
    const pod = PodInfo.of(makePod({ name: 'incoming', requests }));
    const state = new CycleState();

    const fit = new NodeResourcesFit().filter(state, pod, node);
    const general = insufficientResourcesStatus(fitsRequest(pod.requests, node));
    expect({ code: fit.code, reasons: fit.reasons }).toEqual({
      code: general.code,
      reasons: general.reasons,
    });

    const balanced = new NodeResourcesBalancedAllocation().score(state, pod, node);
    expect(balanced).toBe(
      balancedAllocationScore([
        {
          requested: node.requested.milliCpu + pod.requests.milliCpu,
          allocatable: node.allocatable.milliCpu,
        },
        { requested: node.requested.memory + pod.requests.memory, allocatable: node.allocatable.memory },
      ]),
    );
  });
});
