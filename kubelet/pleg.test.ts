import { generateEvents, plegState, relistEvents, snapshotOf } from './pleg.js';
import type { PlegContainerState, PodLifecycleEventType, RelistSnapshot } from './pleg.js';
import { POD_REF, runtimeContainer, sandbox } from './testing/builders.js';

describe('generateEvents', () => {
  it.each<[PlegContainerState, PlegContainerState, PodLifecycleEventType[]]>([
    ['running', 'running', []],
    ['non-existent', 'running', ['ContainerStarted']],
    ['unknown', 'running', ['ContainerStarted']],
    ['running', 'exited', ['ContainerDied']],
    ['non-existent', 'exited', ['ContainerDied']],
    ['exited', 'non-existent', ['ContainerRemoved']],
    ['running', 'non-existent', ['ContainerDied', 'ContainerRemoved']],
    ['unknown', 'non-existent', ['ContainerDied', 'ContainerRemoved']],
    ['non-existent', 'unknown', ['ContainerChanged']],
    ['exited', 'running', ['ContainerStarted']],
  ])('%s → %s gives %j', (oldState, newState, types) => {
    const events = generateEvents('uid', 'cid', oldState, newState);
    expect(events.map((e) => e.type)).toEqual(types);
    expect(events.every((e) => e.podUid === 'uid' && e.containerId === 'cid')).toBe(true);
  });
});

describe('plegState', () => {
  it.each([
    ['running', 'running'],
    ['exited', 'exited'],
    ['created', 'unknown'],
    ['unknown', 'unknown'],
    [undefined, 'non-existent'],
  ] as const)('%s is %s', (state, want) => {
    expect(plegState(state)).toBe(want);
  });
});

describe('relistEvents', () => {
  const snapshot = (pods: Record<string, Record<string, PlegContainerState>>): RelistSnapshot =>
    new Map(Object.entries(pods).map(([uid, cs]) => [uid, new Map(Object.entries(cs))]));

  it('reports what changed between two relists, pod by pod', () => {
    const before = snapshot({
      a: { s1: 'running', c1: 'running', c2: 'exited' },
      b: { s2: 'running', c3: 'running' },
    });
    const after = snapshot({ a: { s1: 'running', c1: 'exited', c4: 'running' }, c: { s3: 'running' } });
    expect(relistEvents(before, after).map((e) => `${e.podUid}/${e.containerId}:${e.type}`)).toEqual([
      'a/c1:ContainerDied',
      'a/c2:ContainerRemoved',
      'a/c4:ContainerStarted',
      'b/s2:ContainerDied',
      'b/s2:ContainerRemoved',
      'b/c3:ContainerDied',
      'b/c3:ContainerRemoved',
      'c/s3:ContainerStarted',
    ]);
  });

  it('stays quiet about containers that were created but not started', () => {
    expect(relistEvents(snapshot({}), snapshot({ a: { c1: 'unknown' } }))).toEqual([]);
  });

  it('builds snapshots from the runtime lists, sandboxes included', () => {
    const snap = snapshotOf(
      [sandbox('ready', { id: 's-ready' }), sandbox('notready', { id: 's-dead', attempt: 1 })],
      [
        runtimeContainer('app', 'running', { id: 'c-run' }),
        runtimeContainer('init', 'created', { id: 'c-new' }),
      ],
    );
    expect([...(snap.get(POD_REF.uid) ?? [])]).toEqual([
      ['s-ready', 'running'],
      ['s-dead', 'exited'],
      ['c-run', 'running'],
      ['c-new', 'unknown'],
    ]);
  });
});
