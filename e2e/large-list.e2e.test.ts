/**
 * A LIST whose objects add up to more than gRPC's default 4 MiB message cap must still be served:
 * one etcd range response carries the whole list.
 */
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { request } from './support/api-client.js';

let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => {
  await api.close();
});

// Below the 1 MiB a ConfigMap may hold, and six of them are well past 4 MiB together.
const VALUE_BYTES = 900_000;
const COUNT = 6;

describe('LIST larger than 4 MiB', () => {
  it('returns every object', async () => {
    for (let i = 0; i < COUNT; i++) {
      const created = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `big-${i}` },
        data: { blob: 'x'.repeat(VALUE_BYTES) },
      });
      expect(created.status).toBe(201);
    }

    const list = await request<{ items: { metadata: { name: string } }[] }>(
      api.url,
      'GET',
      '/api/v1/namespaces/default/configmaps',
    );

    expect(list.status).toBe(200);
    expect(list.text.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(
      list.body.items.map((item) => item.metadata.name).filter((name) => name.startsWith('big-')),
    ).toEqual(Array.from({ length: COUNT }, (_, i) => `big-${i}`));
  });
});
