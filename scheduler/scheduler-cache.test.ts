import { SchedulerCache, SchedulerCacheError } from './scheduler-cache.js';
import { NodeInfoSnapshot } from './snapshot.js';
import { FakeClock, makeNode, makePod } from './testing/builders.js';
import type { Pod } from './api-types.js';

function setup(ttlMs = 30_000) {
  const clock = new FakeClock(1_000);
  const cache = new SchedulerCache({ clock, assumedPodTtlMs: ttlMs });
  cache.addNode(makeNode({ name: 'n1' }));
  cache.addNode(makeNode({ name: 'n2' }));
  const snapshot = new NodeInfoSnapshot();
  return { clock, cache, snapshot };
}

function requestedCpu(cache: SchedulerCache, snapshot: NodeInfoSnapshot): Record<string, number> {
  cache.updateSnapshot(snapshot);
  return Object.fromEntries(snapshot.nodeInfos.map((n) => [n.name, n.requested.milliCpu]));
}

function bound(pod: Pod, nodeName: string): Pod {
  return { ...pod, spec: { ...pod.spec, nodeName } };
}

describe('SchedulerCache', () => {
  it('counts an assumed pod on its node at once', () => {
    const { cache, snapshot } = setup();
    const assumed = cache.assumePod(makePod({ requests: { cpu: '500m' } }), 'n1');
    expect(assumed.spec?.nodeName).toBe('n1');
    expect(cache.isAssumedPod(assumed)).toBe(true);
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 500, n2: 0 });
  });

  it('refuses to assume a pod it already has', () => {
    const { cache } = setup();
    const pod = makePod({ name: 'p' });
    cache.assumePod(pod, 'n1');
    expect(() => cache.assumePod(pod, 'n2')).toThrow(
      new SchedulerCacheError("pod default/p(uid-default-p) is in the cache, so can't be assumed"),
    );
  });

  it('confirms an assumed pod when the informer shows it bound', () => {
    const { cache, snapshot } = setup();
    const pod = makePod({ requests: { cpu: '500m' } });
    cache.assumePod(pod, 'n1');
    cache.addPod(bound(pod, 'n1'));
    expect(cache.isAssumedPod(pod)).toBe(false);
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 500, n2: 0 });
  });

  it('moves the pod when the binding landed on another node than assumed', () => {
    const { cache, snapshot } = setup();
    const pod = makePod({ requests: { cpu: '500m' } });
    cache.assumePod(pod, 'n1');
    cache.addPod(bound(pod, 'n2'));
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 0, n2: 500 });
  });

  it('forgets an assumed pod after a failed bind, freeing its resources', () => {
    const { cache, snapshot } = setup();
    const assumed = cache.assumePod(makePod({ requests: { cpu: '500m' } }), 'n1');
    cache.finishBinding(assumed);
    cache.forgetPod(assumed);
    expect(cache.podCount).toBe(0);
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 0, n2: 0 });
  });

  it('refuses to forget a pod that was not assumed', () => {
    const { cache } = setup();
    const pod = bound(makePod({ name: 'p' }), 'n1');
    cache.addPod(pod);
    expect(() => cache.forgetPod(pod)).toThrow(
      "pod default/p(uid-default-p) wasn't assumed so cannot be forgotten",
    );
  });

  it.each([
    {
      name: 'keeps an assumed pod whose binding is still in flight, however long it takes',
      finish: false,
      elapsed: 60_000,
      kept: true,
    },
    {
      name: 'keeps a bound-but-unconfirmed pod until the TTL has passed',
      finish: true,
      elapsed: 29_999,
      kept: true,
    },
    {
      name: 'expires a bound-but-unconfirmed pod once the TTL has passed',
      finish: true,
      elapsed: 30_000,
      kept: false,
    },
  ])('$name', ({ finish, elapsed, kept }) => {
    const { cache, clock, snapshot } = setup();
    const assumed = cache.assumePod(makePod({ requests: { cpu: '500m' } }), 'n1');
    if (finish) cache.finishBinding(assumed);
    clock.step(elapsed);
    const expired = cache.cleanupExpiredAssumedPods();
    expect(expired.length).toBe(kept ? 0 : 1);
    expect(requestedCpu(cache, snapshot).n1).toBe(kept ? 500 : 0);
  });

  it('never expires assumed pods when the TTL is 0', () => {
    const { cache, clock } = setup(0);
    const assumed = cache.assumePod(makePod(), 'n1');
    cache.finishBinding(assumed);
    clock.step(10 ** 9);
    expect(cache.cleanupExpiredAssumedPods()).toEqual([]);
    expect(cache.isAssumedPod(assumed)).toBe(true);
  });

  it('re-adds a pod whose assumption expired when the informer finally shows it', () => {
    const { cache, clock, snapshot } = setup();
    const pod = makePod({ requests: { cpu: '500m' } });
    const assumed = cache.assumePod(pod, 'n1');
    cache.finishBinding(assumed);
    clock.step(30_000);
    cache.cleanupExpiredAssumedPods();
    cache.addPod(bound(pod, 'n1'));
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 500, n2: 0 });
  });

  it('updates and removes added pods as the informer reports them', () => {
    const { cache, snapshot } = setup();
    const before = bound(makePod({ name: 'p', requests: { cpu: '100m' } }), 'n1');
    const after = {
      ...before,
      spec: { ...before.spec, containers: [{ resources: { requests: { cpu: '300m' } } }] },
    };
    cache.addPod(before);
    cache.updatePod(before, after);
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 300, n2: 0 });
    cache.removePod(after);
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 0, n2: 0 });
    expect(() => cache.removePod(after)).toThrow(SchedulerCacheError);
  });

  it('refuses pods that are not assigned to a node', () => {
    const { cache } = setup();
    expect(() => cache.addPod(makePod({ name: 'p' }))).toThrow(
      'pod default/p(uid-default-p) is not assigned to a node',
    );
  });

  it('refuses an update for an assumed pod, which must be confirmed by an add first', () => {
    const { cache } = setup();
    const pod = makePod();
    const assumed = cache.assumePod(pod, 'n1');
    expect(() => cache.updatePod(assumed, assumed)).toThrow(SchedulerCacheError);
  });

  it('keeps pods that arrive before their node and shows them once the node exists', () => {
    const { cache, snapshot } = setup();
    cache.addPod(bound(makePod({ requests: { cpu: '250m' } }), 'n3'));
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 0, n2: 0 });
    cache.addNode(makeNode({ name: 'n3' }));
    expect(requestedCpu(cache, snapshot)).toEqual({ n1: 0, n2: 0, n3: 250 });
  });

  it('stops offering a removed node while its pods are still being deleted', () => {
    const { cache, snapshot } = setup();
    const pod = bound(makePod(), 'n2');
    cache.addPod(pod);
    cache.updateSnapshot(snapshot);
    cache.removeNode('n2');
    expect(Object.keys(requestedCpu(cache, snapshot))).toEqual(['n1']);
    cache.removePod(pod);
    expect(Object.keys(requestedCpu(cache, snapshot))).toEqual(['n1']);
  });

  it('picks up node changes such as a new taint', () => {
    const { cache, snapshot } = setup();
    cache.updateSnapshot(snapshot);
    cache.updateNode(makeNode({ name: 'n1', taints: [{ key: 'k', effect: 'NoSchedule' }] }));
    cache.updateSnapshot(snapshot);
    expect(snapshot.get('n1')?.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
  });
});

describe('SchedulerCache.updateSnapshot', () => {
  it('copies only the nodes that changed since the last update', () => {
    const { cache, snapshot } = setup();
    cache.updateSnapshot(snapshot);
    const untouched = snapshot.get('n2');
    const before = snapshot.get('n1');
    cache.assumePod(makePod({ requests: { cpu: '1' } }), 'n1');
    cache.updateSnapshot(snapshot);
    expect(snapshot.get('n2')).toBe(untouched);
    // Updated in place, so lists holding the NodeInfo see the change.
    expect(snapshot.get('n1')).toBe(before);
    expect(snapshot.nodeInfos[0].requested.milliCpu).toBe(1000);
  });

  it('keeps the snapshot unchanged by cache updates until it is refreshed', () => {
    const { cache, snapshot } = setup();
    cache.updateSnapshot(snapshot);
    cache.assumePod(makePod({ requests: { cpu: '1' } }), 'n1');
    expect(snapshot.get('n1')?.requested.milliCpu).toBe(0);
  });

  it('keeps nodes in the order they were added', () => {
    const { cache, snapshot } = setup();
    cache.addNode(makeNode({ name: 'a-last' }));
    cache.updateSnapshot(snapshot);
    expect(snapshot.nodeInfos.map((n) => n.name)).toEqual(['n1', 'n2', 'a-last']);
  });

  it('tracks which nodes hold pods with affinity and with required anti-affinity', () => {
    const { cache, snapshot } = setup();
    cache.updateSnapshot(snapshot);
    const anti = bound(
      makePod({
        labels: { app: 'web' },
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      }),
      'n2',
    );
    cache.addPod(anti);
    cache.updateSnapshot(snapshot);
    expect(snapshot.havePodsWithAffinity.map((n) => n.name)).toEqual(['n2']);
    expect(snapshot.havePodsWithRequiredAntiAffinity.map((n) => n.name)).toEqual(['n2']);
    cache.removePod(anti);
    cache.updateSnapshot(snapshot);
    expect(snapshot.havePodsWithRequiredAntiAffinity).toEqual([]);
  });
});
