import type { Pod } from './api-types.js';
import { SchedulingQueue } from './scheduling-queue.js';
import { FakeClock, makePod } from './testing/builders.js';

function setup() {
  const clock = new FakeClock(0);
  const queue = new SchedulingQueue({ clock });
  return { clock, queue };
}

function popName(queue: SchedulingQueue): string | undefined {
  return queue.pop()?.podInfo.name;
}

/** Pops the pod and reports it unschedulable (rejected by `plugin`). */
function failUnschedulable(queue: SchedulingQueue, pod: Pod, plugin = 'NodeResourcesFit'): void {
  const cycle = queue.schedulingCycle;
  expect(queue.addUnschedulableIfNotPresent(pod, cycle, { unschedulablePlugins: [plugin] })).toBe(true);
}

describe('SchedulingQueue ordering', () => {
  it('pops higher priority first, then the older pod', () => {
    const { clock, queue } = setup();
    queue.add(makePod({ name: 'low-old', priority: 0 }));
    clock.step(1);
    queue.add(makePod({ name: 'high', priority: 100 }));
    clock.step(1);
    queue.add(makePod({ name: 'low-new', priority: 0 }));
    expect([popName(queue), popName(queue), popName(queue), popName(queue)]).toEqual([
      'high',
      'low-old',
      'low-new',
      undefined,
    ]);
  });

  it('ignores adding a pod that is already queued', () => {
    const { queue } = setup();
    const pod = makePod();
    queue.add(pod);
    queue.add(pod);
    expect(queue.activeCount).toBe(1);
  });

  it('counts attempts and the cycle on every pop', () => {
    const { queue } = setup();
    queue.add(makePod());
    const popped = queue.pop();
    expect(popped?.attempts).toBe(1);
    expect(queue.schedulingCycle).toBe(1);
  });
});

describe('SchedulingQueue backoff', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 10_000],
    [20, 10_000],
  ])('after %p attempts a pod backs off %p ms', (attempts, ms) => {
    expect(setup().queue.backoffDuration(attempts)).toBe(ms);
  });

  it('retries a pod that failed with an error once its backoff has passed', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    queue.pop();
    queue.addUnschedulableIfNotPresent(pod, queue.schedulingCycle);
    expect(queue.backoffCount).toBe(1);
    expect(queue.nextWakeAt()).toBe(1_000);
    clock.step(999);
    queue.flush();
    expect(queue.pop()).toBeUndefined();
    clock.step(1);
    queue.flush();
    expect(popName(queue)).toBe('p');
  });

  it('doubles the wait with every failed attempt', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    for (const wait of [1_000, 2_000, 4_000]) {
      queue.pop();
      queue.addUnschedulableIfNotPresent(pod, queue.schedulingCycle);
      clock.step(wait - 1);
      queue.flush();
      expect(queue.activeCount).toBe(0);
      clock.step(1);
      queue.flush();
      expect(queue.activeCount).toBe(1);
    }
  });
});

describe('SchedulingQueue unschedulable pods', () => {
  it('parks a rejected pod until a cluster event moves it back', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    queue.pop();
    failUnschedulable(queue, pod);
    expect(queue.unschedulableCount).toBe(1);
    clock.step(5_000);
    queue.flush();
    expect(queue.activeCount).toBe(0);
    queue.moveAllToActiveOrBackoffQueue('NodeAdd');
    expect(popName(queue)).toBe('p');
  });

  it('sends a moved pod through backoff when it failed only just now', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    queue.pop();
    failUnschedulable(queue, pod);
    clock.step(200);
    queue.moveAllToActiveOrBackoffQueue('NodeUpdate');
    expect(queue.backoffCount).toBe(1);
    clock.step(800);
    queue.flush();
    expect(popName(queue)).toBe('p');
  });

  it('moves a pod back after it has waited the maximum stay, without any event', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    queue.pop();
    failUnschedulable(queue, pod);
    expect(queue.nextWakeAt()).toBe(60_000);
    clock.step(59_999);
    queue.flush();
    expect(queue.activeCount).toBe(0);
    clock.step(1);
    queue.flush();
    expect(popName(queue)).toBe('p');
  });

  it('retries through backoff instead of parking when an event happened while the pod was being scheduled', () => {
    const { queue } = setup();
    const pod = makePod({ name: 'p' });
    queue.add(pod);
    queue.pop();
    const cycle = queue.schedulingCycle;
    queue.moveAllToActiveOrBackoffQueue('AssignedPodDelete');
    queue.addUnschedulableIfNotPresent(pod, cycle, { unschedulablePlugins: ['NodeResourcesFit'] });
    expect(queue.unschedulableCount).toBe(0);
    expect(queue.backoffCount).toBe(1);
  });

  it('moves only pods whose required affinity matches a newly assigned pod', () => {
    const { clock, queue } = setup();
    const affine = makePod({
      name: 'affine',
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    });
    const plain = makePod({ name: 'plain' });
    for (const pod of [affine, plain]) {
      queue.add(pod);
      queue.pop();
      failUnschedulable(queue, pod);
    }
    clock.step(10_000);
    queue.assignedPodAdded(makePod({ labels: { app: 'db' }, nodeName: 'n1' }));
    expect(popName(queue)).toBe('affine');
    expect(queue.unschedulableCount).toBe(1);
  });

  it('moves a parked pod back when its spec or labels change', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p', requests: { cpu: '4' } });
    queue.add(pod);
    queue.pop();
    failUnschedulable(queue, pod);
    clock.step(10_000);
    queue.update(pod, { ...pod, status: { phase: 'Pending', nominatedNodeName: 'x' } });
    expect(queue.activeCount).toBe(0);
    const smaller = makePod({ name: 'p', requests: { cpu: '1' } });
    queue.update(pod, smaller);
    expect(queue.pop()?.podInfo.requests.milliCpu).toBe(1000);
  });
});

describe('SchedulingQueue in-flight pods', () => {
  it('does not requeue a pod deleted while it was being scheduled', () => {
    const { queue } = setup();
    const pod = makePod();
    queue.add(pod);
    queue.pop();
    queue.delete(pod);
    expect(
      queue.addUnschedulableIfNotPresent(pod, queue.schedulingCycle, { unschedulablePlugins: ['X'] }),
    ).toBe(false);
    expect(queue.has(pod)).toBe(false);
  });

  it('requeues the latest version of a pod updated while it was being scheduled, via backoff', () => {
    const { clock, queue } = setup();
    const pod = makePod({ name: 'p', labels: { v: '1' } });
    queue.add(pod);
    queue.pop();
    const updated = makePod({ name: 'p', labels: { v: '2' } });
    queue.update(pod, updated);
    expect(queue.activeCount).toBe(0);
    queue.addUnschedulableIfNotPresent(pod, queue.schedulingCycle, { unschedulablePlugins: ['X'] });
    clock.step(1_000);
    queue.flush();
    expect(queue.pop()?.podInfo.labels).toEqual({ v: '2' });
  });

  it('forgets a pod once it was scheduled', () => {
    const { queue } = setup();
    const pod = makePod();
    queue.add(pod);
    queue.pop();
    queue.done(pod);
    expect(queue.has(pod)).toBe(false);
  });
});

describe('SchedulingQueue scheduling gates', () => {
  it('holds a gated pod until an update removes its gates', () => {
    const { queue } = setup();
    const gated = makePod({ name: 'p', schedulingGates: ['example.com/wait'] });
    queue.add(gated);
    expect(queue.pop()).toBeUndefined();
    queue.moveAllToActiveOrBackoffQueue('NodeAdd');
    expect(queue.pop()).toBeUndefined();
    queue.update(gated, makePod({ name: 'p' }));
    expect(popName(queue)).toBe('p');
  });
});
