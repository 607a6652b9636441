import {
  allocatableOf,
  buildNode,
  buildNodeStatus,
  defaultRouteInterface,
  goArch,
  machineCapacity,
  microTime,
  nodeConditions,
  nodeLease,
  nodeStatusChanged,
  parseOsRelease,
  primaryIPv4,
} from './node-status.js';
import type { NodeDescription } from './node-status.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const at = (s: number) => T0 + s * 1000;

const description: NodeDescription = {
  name: 'host-a',
  labels: { role: 'worker' },
  capacity: { cpu: '2', memory: '4000000Ki', pods: '110' },
  allocatable: { cpu: '2', memory: '3897600Ki', pods: '110' },
  addresses: [
    { type: 'InternalIP', address: '192.0.2.2' },
    { type: 'Hostname', address: 'host-a' },
  ],
  nodeInfo: {
    machineID: 'm',
    systemUUID: 's',
    bootID: 'b',
    kernelVersion: '6.1.0',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'docker://20.10.24',
    kubeletVersion: 'v1.32.0-kubicle',
    kubeProxyVersion: 'v1.32.0-kubicle',
    operatingSystem: 'linux',
    architecture: 'amd64',
  },
  kubeletPort: 10250,
};

describe('nodeConditions', () => {
  it('reports the four conditions in upstream order with upstream reasons', () => {
    const conditions = nodeConditions({ ready: true }, [], at(0));
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    expect(conditions[3].message).toBe('kubelet is posting ready status');
  });

  it('is not Ready, with the reason, when the runtime is down', () => {
    const ready = nodeConditions(
      { ready: false, notReadyMessage: 'container runtime is down: ECONNREFUSED' },
      [],
      at(0),
    )[3];
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime is down: ECONNREFUSED',
    });
  });

  it('keeps the transition time while a status holds and moves the heartbeat', () => {
    const first = nodeConditions({ ready: true }, [], at(0));
    const second = nodeConditions({ ready: true, diskPressure: true }, first, at(10));
    expect(second[3]).toMatchObject({
      lastTransitionTime: '2024-01-01T12:00:00Z',
      lastHeartbeatTime: '2024-01-01T12:00:10Z',
    });
    expect(second[1]).toMatchObject({
      status: 'True',
      reason: 'KubeletHasDiskPressure',
      lastTransitionTime: '2024-01-01T12:00:10Z',
    });
  });
});

describe('buildNode', () => {
  it('carries the standard labels, capacity, addresses, nodeInfo and the kubelet endpoint', () => {
    const node = buildNode(description, { ready: true }, at(0));
    expect(node.metadata?.labels).toEqual({
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'host-a',
      'kubernetes.io/os': 'linux',
      role: 'worker',
    });
    expect(node.status).toMatchObject({
      capacity: description.capacity,
      allocatable: description.allocatable,
      addresses: description.addresses,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { containerRuntimeVersion: 'docker://20.10.24' },
    });
    expect(node.spec).toEqual({});
  });

  it('sets the pod range when the node has one', () => {
    expect(buildNode({ ...description, podCIDR: '10.128.0.0/24' }, { ready: true }, at(0)).spec).toEqual({
      podCIDR: '10.128.0.0/24',
      podCIDRs: ['10.128.0.0/24'],
    });
  });
});

describe('nodeStatusChanged', () => {
  it('ignores heartbeats but notices a condition or capacity change', () => {
    const posted = buildNodeStatus(description, { ready: true }, undefined, at(0));
    expect(nodeStatusChanged(posted, buildNodeStatus(description, { ready: true }, posted, at(10)))).toBe(
      false,
    );
    expect(nodeStatusChanged(posted, buildNodeStatus(description, { ready: false }, posted, at(10)))).toBe(
      true,
    );
    const bigger = { ...description, capacity: { ...description.capacity, pods: '200' } };
    expect(nodeStatusChanged(posted, buildNodeStatus(bigger, { ready: true }, posted, at(10)))).toBe(true);
    expect(nodeStatusChanged(undefined, posted)).toBe(true);
  });
});

describe('nodeLease', () => {
  it('names the lease after the node, holds it for 40 s and is owned by the Node', () => {
    expect(nodeLease('host-a', 'node-uid', at(1))).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'host-a',
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'host-a', uid: 'node-uid' }],
      },
      spec: { holderIdentity: 'host-a', leaseDurationSeconds: 40, renewTime: '2024-01-01T12:00:01.000000Z' },
    });
  });

  it('renews from the previous copy, keeping its resourceVersion', () => {
    const previous = {
      ...nodeLease('host-a', 'u', at(0)),
      metadata: { name: 'host-a', namespace: 'kube-node-lease', resourceVersion: '42' },
    };
    const renewed = nodeLease('host-a', 'u', at(10), previous);
    expect(renewed.metadata?.resourceVersion).toBe('42');
    expect(renewed.spec?.renewTime).toBe('2024-01-01T12:00:10.000000Z');
  });

  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2024, 0, 1, 0, 0, 0, 123))).toBe('2024-01-01T00:00:00.123000Z');
  });
});

describe('host facts', () => {
  it('finds the default route interface in /proc/net/route', () => {
    const route = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    expect(defaultRouteInterface(route)).toBe('eth0');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeUndefined();
  });

  it('picks the default route address, else the first non-virtual IPv4 address', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      docker0: [{ address: '172.17.0.1', family: 'IPv4', internal: false }],
      eth0: [
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: '192.0.2.2', family: 'IPv4', internal: false },
      ],
      eth1: [{ address: '198.51.100.9', family: 'IPv4', internal: false }],
    };
    expect(primaryIPv4(interfaces, 'eth1')).toBe('198.51.100.9');
    expect(primaryIPv4(interfaces)).toBe('192.0.2.2');
    expect(primaryIPv4({ docker0: interfaces.docker0 })).toBeUndefined();
  });

  it('reads /etc/os-release', () => {
    const release = parseOsRelease(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n# comment\nVERSION_ID=\'12\'\n',
    );
    expect(release).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      ID: 'debian',
      VERSION_ID: '12',
    });
  });

  it.each([
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
    ['ia32', '386'],
    ['riscv64', 'riscv64'],
  ])('names arch %s as %s', (node, go) => expect(goArch(node)).toBe(go));

  it('states capacity in Ki and holds 100Mi of memory back from allocatable', () => {
    const capacity = machineCapacity(2, 4 * 1024 * 1024 * 1024);
    expect(capacity).toEqual({ cpu: '2', memory: '4194304Ki', pods: '110' });
    expect(allocatableOf(capacity)).toEqual({ cpu: '2', memory: '4091904Ki', pods: '110' });
  });
});
