import { HostPortUsage, NodeInfo, Status } from './framework.js';
import { PodInfo } from './pod-info.js';
import { makeNode, makePod } from './testing/builders.js';

describe('Status', () => {
  it.each([
    [Status.SUCCESS, true, false, false],
    [Status.SKIP, false, true, false],
    [Status.unschedulable('x'), false, false, true],
    [Status.unresolvable('x'), false, false, true],
    [Status.error('x'), false, false, false],
  ])('%o: success %p, skip %p, rejected %p', (status, success, skip, rejected) => {
    expect([status.isSuccess(), status.isSkip(), status.isRejected()]).toEqual([success, skip, rejected]);
  });

  it('joins its reasons into the message', () => {
    expect(Status.unschedulable('Insufficient cpu', 'Insufficient memory').message()).toBe(
      'Insufficient cpu, Insufficient memory',
    );
  });
});

describe('NodeInfo', () => {
  const replica = (name: string) =>
    PodInfo.of(
      makePod({
        name,
        ownerUid: 'rs-1',
        requests: { cpu: '250m', memory: '64Mi' },
        hostPorts: [{ containerPort: 80, hostPort: 8080 }],
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'zone' },
            ],
          },
        },
      }),
    );

  it('keeps running totals as pods come and go', () => {
    const node = new NodeInfo(makeNode({ name: 'n' }));
    node.addPod(replica('a'));
    node.addPod(replica('b'));
    expect(node.requested).toEqual({ milliCpu: 500, memory: 128 * 1024 * 1024 });
    expect(node.podsPerController.get('rs-1')).toBe(2);
    expect(node.podsWithRequiredAntiAffinity.length).toBe(2);
    expect(node.removePod(replica('a').key)).toBe(true);
    expect(node.removePod('missing')).toBe(false);
    expect(node.requested).toEqual({ milliCpu: 250, memory: 64 * 1024 * 1024 });
    // The port is still held by the second pod.
    expect(node.usedPorts.conflicts({ ip: '0.0.0.0', protocol: 'TCP', port: 8080 })).toBe(true);
    node.removePod(replica('b').key);
    expect(node.usedPorts.size).toBe(0);
    expect(node.podsPerController.size).toBe(0);
    expect(node.podsWithAffinity).toEqual([]);
  });

  it('bumps its generation on every change', () => {
    const node = new NodeInfo(makeNode());
    const before = node.generation;
    node.addPod(replica('c'));
    expect(node.generation).toBeGreaterThan(before);
  });

  it('clones into a copy that later changes do not reach', () => {
    const node = new NodeInfo(makeNode({ name: 'n' }));
    const copy = node.clone();
    node.addPod(replica('d'));
    expect(copy.pods).toEqual([]);
    expect(copy.requested.milliCpu).toBe(0);
    expect(copy.usedPorts.size).toBe(0);
  });
});

describe('HostPortUsage', () => {
  it('counts holders so one leaving does not free a port another still holds', () => {
    const usage = new HostPortUsage();
    const port = { ip: '10.0.0.1', protocol: 'TCP', port: 80 };
    usage.add(port);
    usage.add(port);
    usage.remove(port);
    expect(usage.conflicts(port)).toBe(true);
    usage.remove(port);
    expect(usage.conflicts(port)).toBe(false);
  });

  it('never reports a conflict for port 0', () => {
    const usage = new HostPortUsage();
    usage.add({ ip: '0.0.0.0', protocol: 'TCP', port: 0 });
    expect(usage.conflicts({ ip: '0.0.0.0', protocol: 'TCP', port: 0 })).toBe(false);
  });
});
