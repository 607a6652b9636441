import type { ControllerContext, ControllerDescriptor } from './controller-manager.js';
import { BUILTIN_CONTROLLERS, selectControllers, startControllerManager } from './controller-manager.js';
import { FakeApiClient } from './testing/fixture.js';

const named = (...names: string[]): ControllerDescriptor[] =>
  names.map((name) => ({ name, start: async () => undefined }));

describe('selectControllers', () => {
  const registry = named('replicaset', 'deployment', 'endpoint');
  it.each([
    { names: undefined, want: ['replicaset', 'deployment', 'endpoint'] },
    { names: ['*'], want: ['replicaset', 'deployment', 'endpoint'] },
    { names: ['deployment'], want: ['deployment'] },
    { names: ['*', '-endpoint'], want: ['replicaset', 'deployment'] },
    { names: ['-endpoint'], want: [] },
  ])('selects $want from $names', ({ names, want }) => {
    expect(selectControllers(registry, names).map((c) => c.name)).toEqual(want);
  });

  it('rejects an unknown name', () => {
    expect(() => selectControllers(registry, ['replicaset', '-bogus'])).toThrow('unknown controller "bogus"');
  });

  it('knows every built-in controller by its upstream name', () => {
    expect(BUILTIN_CONTROLLERS.map((c) => c.name)).toEqual([
      'replicaset',
      'deployment',
      'endpoint',
      'garbagecollector',
      'namespace',
      'nodelifecycle',
    ]);
  });
});

/** A controller that records its context and runs until stopped. */
function recording(name: string, seen: ControllerContext[]): ControllerDescriptor {
  return {
    name,
    async start(ctx, signal) {
      seen.push(ctx);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}

describe('startControllerManager', () => {
  it('shares one informer per kind between controllers and hands each its settings', async () => {
    const seen: ControllerContext[] = [];
    const stop = new AbortController();
    const done = startControllerManager({
      client: new FakeApiClient(),
      signal: stop.signal,
      registry: [recording('a', seen), recording('b', seen)],
      settings: { b: { gracePeriodMs: 5 } },
      workers: 2,
      log: () => undefined,
    });
    await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(2);
    expect(seen[0].informer('v1', 'Pod')).toBe(seen[1].informer('v1', 'Pod'));
    expect(seen[0].informer('v1', 'Pod')).not.toBe(seen[0].informer('apps/v1', 'ReplicaSet'));
    expect(seen.map((ctx) => ctx.settings)).toEqual([{}, { gracePeriodMs: 5 }]);
    expect(seen[1].workers).toBe(2);
    await expect(seen[0].waitForSync(stop.signal, seen[0].informer('v1', 'Pod'))).resolves.toBe(true);
    stop.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('stops the other controllers and rejects when one fails', async () => {
    const seen: ControllerContext[] = [];
    const failing: ControllerDescriptor = {
      name: 'broken',
      start: async () => {
        throw new Error('boom');
      },
    };
    await expect(
      startControllerManager({
        client: new FakeApiClient(),
        signal: new AbortController().signal,
        registry: [recording('a', seen), failing],
        log: () => undefined,
      }),
    ).rejects.toThrow('boom');
    expect(seen).toHaveLength(1);
  });

  it('treats a controller that returns before the end as a failure', async () => {
    await expect(
      startControllerManager({
        client: new FakeApiClient(),
        signal: new AbortController().signal,
        registry: named('quitter'),
        log: () => undefined,
      }),
    ).rejects.toThrow('controller quitter stopped unexpectedly');
  });
});
