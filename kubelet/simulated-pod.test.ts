import {
  ANNOTATION_EXIT_CODE,
  ANNOTATION_RUN_MS,
  reportedStartedAt,
  simulatedFinishAt,
  simulatedPodStatus,
} from './simulated-pod.js';
import { at, makePod } from './testing/builders.js';

const addresses = { podIP: '10.128.0.2', hostIP: '100.64.0.1' };

describe('simulatedPodStatus', () => {
  it('shows a started pod Running and Ready, with its IPs and every container running and ready', () => {
    const pod = makePod({ containers: ['app', 'sidecar'], initContainers: ['setup'] });
    const status = simulatedPodStatus(pod, addresses, { seenAt: at(0), startedAt: at(1) }, at(2));
    expect(status).toMatchObject({
      phase: 'Running',
      podIP: '10.128.0.2',
      hostIP: '100.64.0.1',
      startTime: '2024-01-01T12:00:02Z',
    });
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    expect(status.containerStatuses?.map((c) => [c.name, c.ready, c.state?.running?.startedAt])).toEqual([
      ['app', true, '2024-01-01T12:00:01Z'],
      ['sidecar', true, '2024-01-01T12:00:01Z'],
    ]);
    expect(status.initContainerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  });

  it('gives a host-network pod the host address', () => {
    const pod = makePod({ hostNetwork: true });
    const status = simulatedPodStatus(
      pod,
      { hostIP: '100.64.0.1' },
      { seenAt: at(0), startedAt: at(0) },
      at(1),
    );
    expect(status.podIP).toBe('100.64.0.1');
  });

  it('is stable: computed again from its own output, it is the same', () => {
    const pod = makePod();
    const times = { seenAt: at(0), startedAt: at(1) };
    const first = simulatedPodStatus(pod, addresses, times, at(2));
    const again = simulatedPodStatus({ ...pod, status: first }, addresses, times, at(30));
    expect(again).toEqual(first);
  });

  it.each([
    ['0', 'Succeeded', 'Completed'],
    ['2', 'Failed', 'Error'],
  ])('finishes a pod that asks to, with exit code %s, as %s', (code, phase, reason) => {
    const pod = makePod(
      { restartPolicy: 'Never' },
      { annotations: { [ANNOTATION_RUN_MS]: '5000', [ANNOTATION_EXIT_CODE]: code } },
    );
    const times = { seenAt: at(0), startedAt: at(1) };
    expect(simulatedFinishAt(pod, times.startedAt)).toBe(at(6));
    const running = simulatedPodStatus(pod, addresses, times, at(5));
    expect(running.phase).toBe('Running');
    // The pod keeps the address it had while running, as a real one does once its sandbox stopped.
    const done = simulatedPodStatus({ ...pod, status: running }, addresses, times, at(6));
    expect(done.phase).toBe(phase);
    expect(done.podIP).toBe('10.128.0.2');
    expect(done.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: Number(code), reason });
  });

  it('ignores the run time of pods that always restart', () => {
    const pod = makePod({ restartPolicy: 'Always' }, { annotations: { [ANNOTATION_RUN_MS]: '10' } });
    expect(simulatedFinishAt(pod, at(0))).toBeUndefined();
  });

  it('reads back the start time a pod already reports', () => {
    const pod = makePod();
    expect(reportedStartedAt(pod)).toBeUndefined();
    const status = simulatedPodStatus(pod, addresses, { seenAt: at(0), startedAt: at(4) }, at(5));
    expect(reportedStartedAt({ ...pod, status })).toBe(at(4));
  });
});
