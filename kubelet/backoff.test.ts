import { Backoff, checkCrashLoopBackOff, formatGoDuration } from './backoff.js';
import { containerHash } from './pod-actions.js';
import { decideImagePull, imagePullPolicy, recordImagePullFailure } from './image-pull.js';
import type { ImageInfo } from './runtime/runtime.js';
import { at, makePod, podStatus, runtimeContainer, sandbox } from './testing/builders.js';

class ManualClock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
}

describe('Backoff', () => {
  it('starts at 10s and doubles per failure up to 5 minutes', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      backoff.next('k', clock.ms);
      delays.push(backoff.get('k') / 1000);
      clock.ms += 1000;
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it.each([
    ['just after the failure', 1, true],
    ['a moment before the delay ends', 9.9, true],
    ['once the delay has passed', 10, false],
  ])('counts the delay from the event time: %s', (_name, secondsLater, inBackOff) => {
    const clock = new ManualClock(at(100));
    const backoff = new Backoff(clock);
    backoff.next('k', at(100));
    clock.ms = at(100 + secondsLater);
    expect(backoff.isInBackOffSince('k', at(100))).toBe(inBackOff);
    expect(backoff.isInBackOffSince('other', at(100))).toBe(false);
  });

  it('starts over at 10s after running for more than 10 minutes since the last failure', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    for (let i = 0; i < 5; i++) backoff.next('k', clock.ms);
    expect(backoff.get('k')).toBe(160_000);

    clock.ms = at(601);
    expect(backoff.isInBackOffSince('k', at(601))).toBe(false);
    backoff.next('k', at(601));
    expect(backoff.get('k')).toBe(10_000);
  });

  it('keeps doubling when the container crashed again within 10 minutes', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    backoff.next('k', at(0));
    clock.ms = at(599);
    backoff.next('k', at(599));
    expect(backoff.get('k')).toBe(20_000);
  });

  it('forgets idle entries on gc and on reset', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    backoff.next('old', at(0));
    backoff.next('gone', at(0));
    clock.ms = at(500);
    backoff.next('recent', at(500));
    backoff.reset('gone');
    clock.ms = at(700);
    backoff.gc();
    expect([backoff.get('old'), backoff.get('gone'), backoff.get('recent')]).toEqual([0, 0, 10_000]);
  });

  it.each([
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
  ])('formats %i ms as Go does: %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

describe('checkCrashLoopBackOff', () => {
  const pod = makePod();
  const hash = containerHash({ name: 'app', image: 'busybox' });

  it('lets a container start the first time and then holds restarts back with growing delays', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    expect(checkCrashLoopBackOff(backoff, pod, 'app', hash, podStatus([sandbox('ready')]))).toEqual({
      inBackOff: false,
    });

    // First crash, finished at t=15: the restart goes ahead at once and arms a 10s delay.
    const crashed = podStatus(
      [sandbox('ready')],
      [runtimeContainer('app', 'exited', { exitCode: 1, created: 10 })],
    );
    clock.ms = at(16);
    expect(checkCrashLoopBackOff(backoff, pod, 'app', hash, crashed).inBackOff).toBe(false);

    // It crashes again (same finish time as seen by the next sync): held back until t=25.
    clock.ms = at(20);
    expect(checkCrashLoopBackOff(backoff, pod, 'app', hash, crashed)).toEqual({
      inBackOff: true,
      message: 'back-off 10s restarting failed container=app pod=web_default(uid-1)',
      eventMessage: 'Back-off restarting failed container app in pod web_default(uid-1)',
    });
    clock.ms = at(25);
    expect(checkCrashLoopBackOff(backoff, pod, 'app', hash, crashed).inBackOff).toBe(false);
    clock.ms = at(30);
    const decision = checkCrashLoopBackOff(backoff, pod, 'app', hash, crashed);
    expect(decision.inBackOff && decision.message).toBe(
      'back-off 20s restarting failed container=app pod=web_default(uid-1)',
    );
  });

  it('does not hold back a container whose newest run is still running', () => {
    const backoff = new Backoff(new ManualClock(at(0)));
    const status = podStatus([sandbox('ready')], [runtimeContainer('app', 'running')]);
    expect(checkCrashLoopBackOff(backoff, pod, 'app', hash, status).inBackOff).toBe(false);
    expect(backoff.get(`web_default_uid-1_app_${hash}`)).toBe(0);
  });
});

describe('decideImagePull', () => {
  const local: ImageInfo = { id: 'sha256:1', repoTags: ['busybox:latest'], repoDigests: [], size: 1 };
  const pulled: ImageInfo = { ...local, repoDigests: ['nginx@sha256:2'] };
  const fresh = () => new Backoff(new ManualClock(at(0)));

  it.each<[string, { image: string; imagePullPolicy?: string }, ImageInfo | undefined, string]>([
    ['Never with the image present uses it', { image: 'x:1', imagePullPolicy: 'Never' }, local, 'use'],
    [
      'Never without the image fails',
      { image: 'x:1', imagePullPolicy: 'Never' },
      undefined,
      'fail:ErrImageNeverPull',
    ],
    [
      'IfNotPresent with the image present uses it',
      { image: 'x:1', imagePullPolicy: 'IfNotPresent' },
      pulled,
      'use',
    ],
    [
      'IfNotPresent without the image pulls',
      { image: 'x:1', imagePullPolicy: 'IfNotPresent' },
      undefined,
      'pull',
    ],
    [
      'Always pulls a registry image even when present',
      { image: 'nginx', imagePullPolicy: 'Always' },
      pulled,
      'pull',
    ],
    [
      'Always uses a locally built image as it is',
      { image: 'busybox', imagePullPolicy: 'Always' },
      local,
      'use',
    ],
    ['Always without the image pulls', { image: 'busybox', imagePullPolicy: 'Always' }, undefined, 'pull'],
  ])('%s', (_name, container, present, want) => {
    const decision = decideImagePull(container, present, fresh(), 'uid-1', at(0));
    expect(decision.action === 'fail' ? `fail:${decision.reason}` : decision.action).toBe(want);
  });

  it('backs off pulling after a failure, per pod and image', () => {
    const clock = new ManualClock(at(0));
    const backoff = new Backoff(clock);
    const container = { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' };
    recordImagePullFailure(backoff, 'uid-1', 'nginx:1.25', at(0));
    expect(decideImagePull(container, undefined, backoff, 'uid-1', at(5))).toEqual({
      action: 'fail',
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "nginx:1.25"',
    });
    expect(decideImagePull(container, undefined, backoff, 'uid-2', at(5)).action).toBe('pull');
    expect(decideImagePull(container, undefined, backoff, 'uid-1', at(10)).action).toBe('pull');
  });

  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['registry:5000/busybox', 'Always'],
    ['registry:5000/busybox:1.36', 'IfNotPresent'],
    ['busybox@sha256:abc', 'IfNotPresent'],
  ])('defaults the pull policy of %s to %s', (image, policy) => {
    expect(imagePullPolicy({ image })).toBe(policy);
  });
});
