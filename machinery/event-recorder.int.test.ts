/** EventRecorder against a real API server: Events are accepted and repeats aggregate into one. */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { clientFor } from './api-client.js';
import { FakeClock } from './clock.js';
import type { ApiClient } from './api-client.js';
import { EventRecorder } from './event-recorder.js';

let api: TestApiServer;
let client: ApiClient;

beforeAll(async () => {
  api = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  client = clientFor(kc);
  await client.create('v1', 'Namespace', undefined, { metadata: { name: 'ev' } });
});
afterAll(async () => {
  await api?.close();
});

describe('EventRecorder against the API server', () => {
  it('aggregates three identical events into one Event with count 3', async () => {
    const pod = await client.create('v1', 'Pod', 'ev', {
      metadata: { name: 'web-1' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    // A fake clock spreads the repeats over seconds without the test waiting for them.
    const clock = new FakeClock(Date.now());
    const recorder = new EventRecorder({
      client,
      component: 'test-controller',
      host: 'host-a',
      clock,
      log: () => undefined,
    });
    for (let i = 0; i < 3; i++) {
      recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
      await clock.advance(10_000);
    }
    recorder.event(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
    await recorder.flush();

    const events = await client.list<KubeObject & Record<string, unknown>>('v1', 'Event', {
      namespace: 'ev',
      fieldSelector: 'involvedObject.name=web-1',
    });
    const backOff = events.items.filter((e) => e.reason === 'BackOff');
    expect(backOff).toHaveLength(1);
    expect(backOff[0]).toMatchObject({
      count: 3,
      type: 'Warning',
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'ev', uid: pod.metadata.uid },
      source: { component: 'test-controller', host: 'host-a' },
      reportingComponent: 'test-controller',
    });
    expect(backOff[0].metadata.name).toMatch(/^web-1\.[0-9a-f]+$/);
    expect(
      Date.parse(backOff[0].lastTimestamp as string) - Date.parse(backOff[0].firstTimestamp as string),
    ).toBe(20_000);
    expect(events.items.filter((e) => e.reason === 'Pulled')).toHaveLength(1);
  });

  it('records events about cluster-scoped objects in the default namespace', async () => {
    const node = await client.create('v1', 'Node', undefined, { metadata: { name: 'node-ev' } });
    const recorder = new EventRecorder({ client, component: 'node-controller', log: () => undefined });
    recorder.event(node, 'Normal', 'RegisteredNode', 'Node node-ev event: Registered Node node-ev');
    await recorder.flush();
    const events = await client.list<KubeObject & Record<string, unknown>>('v1', 'Event', {
      namespace: 'default',
      fieldSelector: 'involvedObject.name=node-ev',
    });
    expect(events.items.map((e) => [e.reason, e.count])).toEqual([['RegisteredNode', 1]]);
  });
});
