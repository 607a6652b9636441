import { PodInfo } from '../pod-info.js';
import { makeNode, makePod, filterOutcomes, snapshotOf } from '../testing/builders.js';
import { ERR_REASON_NODE_PORTS, NodePorts } from './node-ports.js';

describe('NodePorts', () => {
  const rejected = { code: 'Unschedulable', reasons: [ERR_REASON_NODE_PORTS] };

  it.each([
    {
      name: 'the port is free when nothing on the node uses host ports',
      existing: [],
      wanted: [{ containerPort: 80, hostPort: 8080 }],
      want: 'Success',
    },
    {
      name: 'the same port and protocol on the wildcard address conflicts',
      existing: [{ containerPort: 80, hostPort: 8080 }],
      wanted: [{ containerPort: 80, hostPort: 8080 }],
      want: rejected,
    },
    {
      name: 'the same port over UDP does not conflict with TCP',
      existing: [{ containerPort: 80, hostPort: 8080 }],
      wanted: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }],
      want: 'Success',
    },
    {
      name: 'two different specific addresses do not conflict',
      existing: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }],
      wanted: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }],
      want: 'Success',
    },
    {
      name: 'a wildcard request conflicts with a port held on a specific address',
      existing: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }],
      wanted: [{ containerPort: 80, hostPort: 8080 }],
      want: rejected,
    },
    {
      name: 'a specific address conflicts with a port held on the wildcard address',
      existing: [{ containerPort: 80, hostPort: 8080 }],
      wanted: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }],
      want: rejected,
    },
    {
      name: 'a different port is free',
      existing: [{ containerPort: 80, hostPort: 8080 }],
      wanted: [{ containerPort: 80, hostPort: 8081 }],
      want: 'Success',
    },
  ])('$name', ({ existing, wanted, want }) => {
    const node = makeNode({ name: 'n' });
    const placed = makePod({ nodeName: 'n', hostPorts: existing });
    const snapshot = snapshotOf([node], [placed]);
    expect(filterOutcomes(new NodePorts(), makePod({ hostPorts: wanted }), snapshot)).toEqual({ n: want });
  });

  it('sits out for pods that ask for no host port', () => {
    const snapshot = snapshotOf([makeNode({ name: 'n' })]);
    expect(
      filterOutcomes(new NodePorts(), makePod({ hostPorts: [{ containerPort: 80 }] }), snapshot),
    ).toEqual({
      n: 'Skip',
    });
  });

  it('frees the port again when the pod holding it leaves the node', () => {
    const snapshot = snapshotOf([makeNode({ name: 'n' })]);
    const placed = makePod({ nodeName: 'n', hostPorts: [{ containerPort: 80, hostPort: 8080 }] });
    const node = snapshot.nodeInfos[0];
    node.addPod(PodInfo.of(placed));
    node.removePod(PodInfo.of(placed).key);
    expect(
      filterOutcomes(
        new NodePorts(),
        makePod({ hostPorts: [{ containerPort: 80, hostPort: 8080 }] }),
        snapshot,
      ),
    ).toEqual({
      n: 'Success',
    });
  });
});
