import type { KubeObject } from '../apiserver/api-object.js';
import { ApiStatusError } from './api-status-error.js';
import { FakeClock } from './clock.js';
import { EventRecorder } from './event-recorder.js';

interface Call {
  verb: 'create' | 'patch';
  namespace?: string;
  name?: string;
  body: Record<string, unknown>;
}

class FakeEvents {
  calls: Call[] = [];
  failNext: unknown[] = [];

  async create<T extends KubeObject>(_v: string, _k: string, namespace: string | undefined, obj: object) {
    const body = structuredClone(obj) as Record<string, unknown>;
    this.calls.push({ verb: 'create', namespace, name: (body.metadata as { name: string }).name, body });
    const err = this.failNext.shift();
    if (err) throw err;
    return body as T;
  }

  async patch<T extends KubeObject>(
    _v: string,
    _k: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ) {
    this.calls.push({
      verb: 'patch',
      namespace,
      name,
      body: structuredClone(patch) as Record<string, unknown>,
    });
    const err = this.failNext.shift();
    if (err) throw err;
    return {} as T;
  }
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'web', name: 'web-1', uid: 'uid-1', resourceVersion: '7' },
};
const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'uid-n' } };

function setup(options: { spamBurst?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const client = new FakeEvents();
  const logs: string[] = [];
  const recorder = new EventRecorder({
    client,
    component: 'replicaset-controller',
    host: 'host-a',
    clock,
    log: (line) => logs.push(line),
    ...options,
  });
  return { clock, client, recorder, logs };
}

describe('EventRecorder', () => {
  it('creates a core/v1 Event about the object, named after it', async () => {
    const { client, recorder } = setup();
    recorder.event(pod, 'Normal', 'Scheduled', 'Successfully assigned web/web-1 to node-1');
    await recorder.flush();
    expect(client.calls).toHaveLength(1);
    const { verb, namespace, name, body } = client.calls[0];
    expect([verb, namespace]).toEqual(['create', 'web']);
    expect(name).toMatch(/^web-1\.[0-9a-f]+$/);
    expect(body).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'web' },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: 'web',
        name: 'web-1',
        uid: 'uid-1',
        resourceVersion: '7',
      },
      reason: 'Scheduled',
      message: 'Successfully assigned web/web-1 to node-1',
      type: 'Normal',
      source: { component: 'replicaset-controller', host: 'host-a' },
      firstTimestamp: '2024-05-01T12:00:00Z',
      lastTimestamp: '2024-05-01T12:00:00Z',
      count: 1,
      reportingComponent: 'replicaset-controller',
      reportingInstance: 'host-a',
    });
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const { client, recorder } = setup();
    recorder.event(node, 'Warning', 'NodeNotReady', 'Node node-1 status is now: NodeNotReady');
    await recorder.flush();
    expect(client.calls[0].namespace).toBe('default');
    expect(client.calls[0].body.involvedObject).not.toHaveProperty('namespace');
  });

  it('aggregates identical events into one Event by patching count and lastTimestamp', async () => {
    const { clock, client, recorder } = setup();
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await clock.advance(10_000);
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await clock.advance(10_000);
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await recorder.flush();
    const created = client.calls[0].name;
    expect(client.calls.map((c) => [c.verb, c.name, c.body.count, c.body.lastTimestamp])).toEqual([
      ['create', created, 1, '2024-05-01T12:00:00Z'],
      ['patch', created, 2, '2024-05-01T12:00:10Z'],
      ['patch', created, 3, '2024-05-01T12:00:20Z'],
    ]);
  });

  it.each([
    ['type', (r: EventRecorder) => r.event(pod, 'Normal', 'BackOff', 'm')],
    ['reason', (r: EventRecorder) => r.event(pod, 'Warning', 'Other', 'm')],
    ['message', (r: EventRecorder) => r.event(pod, 'Warning', 'BackOff', 'different')],
    [
      'object',
      (r: EventRecorder) =>
        r.event({ ...pod, metadata: { ...pod.metadata, uid: 'uid-2' } }, 'Warning', 'BackOff', 'm'),
    ],
  ])('creates a separate Event when the %s differs', async (_what, second) => {
    const { client, recorder } = setup();
    recorder.event(pod, 'Warning', 'BackOff', 'm');
    second(recorder);
    await recorder.flush();
    expect(client.calls.map((c) => c.verb)).toEqual(['create', 'create']);
    expect(client.calls[0].name).not.toBe(client.calls[1].name);
  });

  it('creates the Event again, keeping the count, when the aggregated one is gone', async () => {
    const { client, recorder } = setup();
    recorder.event(pod, 'Warning', 'BackOff', 'm');
    await recorder.flush();
    client.failNext.push(new ApiStatusError(404, 'NotFound', 'events "x" not found'));
    recorder.event(pod, 'Warning', 'BackOff', 'm');
    await recorder.flush();
    expect(client.calls.map((c) => [c.verb, c.body.count])).toEqual([
      ['create', 1],
      ['patch', 2],
      ['create', 2],
    ]);
    expect(client.calls[2].body.firstTimestamp).toBe(client.calls[0].body.firstTimestamp);
  });

  it('drops spam: a burst per object and reason, then one per refill', async () => {
    const { clock, client, recorder } = setup({ spamBurst: 3 });
    for (let i = 0; i < 5; i++) recorder.event(pod, 'Warning', 'FailedCreate', `attempt ${i}`);
    recorder.event(pod, 'Warning', 'OtherReason', 'still allowed');
    await recorder.flush();
    expect(client.calls.map((c) => c.body.message)).toEqual([
      'attempt 0',
      'attempt 1',
      'attempt 2',
      'still allowed',
    ]);
    await clock.advance(300_000);
    recorder.event(pod, 'Warning', 'FailedCreate', 'after a while');
    await recorder.flush();
    expect(client.calls).toHaveLength(5);
  });

  it('never throws into the caller, and logs what it could not write', async () => {
    const { client, recorder, logs } = setup();
    client.failNext.push(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(() => recorder.event(pod, 'Normal', 'Created', 'one')).not.toThrow();
    expect(() =>
      recorder.event({ metadata: {} } as KubeObject, 'Normal', 'Created', 'nameless'),
    ).not.toThrow();
    recorder.event(pod, 'Normal', 'Created', 'two');
    await recorder.flush();
    expect(logs).toEqual([
      'events: could not record Normal Created: the object has no metadata.name',
      'events: could not write Normal Created on web-1: connect ECONNREFUSED',
    ]);
    expect(client.calls.map((c) => c.body.message)).toEqual(['one', 'two']);
  });

  it('after a failed create, the next identical event creates rather than patches', async () => {
    const { client, recorder } = setup();
    client.failNext.push(new Error('boom'));
    recorder.event(pod, 'Normal', 'Created', 'same');
    recorder.event(pod, 'Normal', 'Created', 'same');
    await recorder.flush();
    expect(client.calls.map((c) => [c.verb, c.body.count])).toEqual([
      ['create', 1],
      ['create', 1],
    ]);
  });
});
