/**
 * The API server's REST semantics over real HTTP and a real etcd: concurrency, watch resume and
 * expiry, allocation, and the Status errors clients branch on.
 */
import http from 'node:http';
import { Etcd3 } from 'etcd3';
import { startTestApiServer } from './support/test-api-server.js';
import type { TestApiServer } from './support/test-api-server.js';
import { request } from './support/api-client.js';
import { waitFor } from './support/wait-for.js';

let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => {
  await api.close();
});

const cm = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** Reads a watch stream line by line until `until` says stop; returns the events seen. */
function watch(path: string, until: (events: Record<string, unknown>[]) => boolean, timeoutMs = 10_000) {
  return new Promise<{ events: Record<string, unknown>[]; ended: boolean }>((resolve, reject) => {
    const events: Record<string, unknown>[] = [];
    let buffer = '';
    const req = http.get(`${api.url}${path}`, (res) => {
      if (res.statusCode !== 200) reject(new Error(`watch answered ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
          buffer = buffer.slice(nl + 1);
        }
        if (until(events)) {
          req.destroy();
          resolve({ events, ended: false });
        }
      });
      res.on('end', () => resolve({ events, ended: true }));
    });
    req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
    setTimeout(() => {
      req.destroy();
      resolve({ events, ended: false });
    }, timeoutMs).unref();
  });
}

describe('concurrency', () => {
  it('lets exactly one of 100 concurrent PUTs with the same resourceVersion win, each round', async () => {
    const created = await request(
      api.url,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      cm('contended', { round: '0' }),
    );
    expect(created.status).toBe(201);
    let current = created.body as { metadata: { resourceVersion: string } };
    for (let round = 1; round <= 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request(api.url, 'PUT', '/api/v1/namespaces/default/configmaps/contended', {
            ...cm('contended', { round: String(round), writer: String(i) }),
            metadata: { name: 'contended', resourceVersion: current.metadata.resourceVersion },
          }),
        ),
      );
      const codes = results.map((r) => r.status).sort();
      expect(codes.filter((c) => c === 200)).toHaveLength(1);
      expect(codes.filter((c) => c === 409)).toHaveLength(99);
      const loser = results.find((r) => r.status === 409)!;
      expect(loser.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
      const winner = results.find((r) => r.status === 200)!;
      const stored = await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps/contended');
      expect((stored.body as { data: unknown }).data).toEqual((winner.body as { data: unknown }).data);
      current = stored.body as typeof current;
    }
  });

  it('loses no write among 100 concurrent patches without a resourceVersion', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('counter'));
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(
          api.url,
          'PATCH',
          '/api/v1/namespaces/default/configmaps/counter',
          { data: { [`k${i}`]: String(i) } },
          {
            'Content-Type': 'application/merge-patch+json',
          },
        ),
      ),
    );
    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    const stored = await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps/counter');
    expect(Object.keys((stored.body as { data: object }).data)).toHaveLength(100);
  });

  it('gives 50 services created at once 50 different ClusterIPs and node ports', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request(api.url, 'POST', '/api/v1/namespaces/default/services', {
          metadata: { name: `svc-${i}` },
          spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const specs = results.map(
      (r) => (r.body as { spec: { clusterIP: string; ports: { nodePort: number }[] } }).spec,
    );
    expect(new Set(specs.map((s) => s.clusterIP)).size).toBe(50);
    expect(new Set(specs.map((s) => s.ports[0].nodePort)).size).toBe(50);
    for (const s of specs) {
      expect(s.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
      expect(s.ports[0].nodePort).toBeLessThanOrEqual(32767);
    }
  });

  it('refuses a ClusterIP that is taken or out of range with 422, and frees it on delete', async () => {
    const first = await request(api.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'fixed-a' },
      spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] },
    });
    expect(first.status).toBe(201);
    const taken = await request(api.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'fixed-b' },
      spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] },
    });
    expect(taken.status).toBe(422);
    expect(taken.body.message).toMatch(/already allocated/);
    const outside = await request(api.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'fixed-c' },
      spec: { clusterIP: '192.168.1.1', ports: [{ port: 80 }] },
    });
    expect(outside.status).toBe(422);
    expect(outside.body.message).toMatch(/not in the valid range/);
    expect((await request(api.url, 'DELETE', '/api/v1/namespaces/default/services/fixed-a')).status).toBe(
      200,
    );
    const reused = await request(api.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'fixed-b' },
      spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] },
    });
    expect(reused.status).toBe(201);
  });
});

describe('watch', () => {
  it('resumes from a resourceVersion and sees every later change in order', async () => {
    const a = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('w-a'));
    const rv = (a.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('w-b'));
    await request(
      api.url,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/w-a',
      { data: { x: '1' } },
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
    await request(api.url, 'DELETE', '/api/v1/namespaces/default/configmaps/w-b');
    const { events } = await watch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
      (e) => e.length >= 3,
    );
    expect(events.map((e) => [e.type, (e.object as { metadata: { name: string } }).metadata.name])).toEqual([
      ['ADDED', 'w-b'],
      ['MODIFIED', 'w-a'],
      ['DELETED', 'w-b'],
    ]);
    for (const e of events) expect(e.object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it('sends ADDED and DELETED as an object enters and leaves a label selector', async () => {
    const start = await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps');
    const rv = (start.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const pending = watch(
      `/api/v1/namespaces/default/configmaps?watch=true&labelSelector=tier%3Dfront&resourceVersion=${rv}`,
      (e) => e.length >= 2,
    );
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('sel'));
    const label = (tier: string | null) =>
      request(
        api.url,
        'PATCH',
        '/api/v1/namespaces/default/configmaps/sel',
        { metadata: { labels: { tier } } },
        {
          'Content-Type': 'application/merge-patch+json',
        },
      );
    await label('front');
    await label(null);
    const { events } = await pending;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('ends a watch cleanly at timeoutSeconds and sends bookmarks only when asked', async () => {
    const started = Date.now();
    const { events, ended } = await watch(
      '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=1',
      () => false,
    );
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(events.some((e) => e.type === 'BOOKMARK')).toBe(false);
  });

  it('sends BOOKMARK events with kind, apiVersion and the newest resourceVersion when asked', async () => {
    const fast = await startTestApiServer({ bookmarkIntervalMs: 200 });
    try {
      const created = await request<{ metadata: { resourceVersion: string } }>(
        fast.url,
        'POST',
        '/api/v1/namespaces/default/configmaps',
        cm('bm'),
      );
      const start = Number(created.body.metadata.resourceVersion) - 1;
      const events: Record<string, unknown>[] = [];
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          `${fast.url}/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${start}`,
          (res) => {
            let buffer = '';
            res.on('data', (chunk: Buffer) => {
              buffer += chunk.toString('utf8');
              const lines = buffer.split('\n');
              buffer = lines.pop()!;
              for (const line of lines) events.push(JSON.parse(line) as Record<string, unknown>);
              if (events.some((e) => e.type === 'BOOKMARK')) {
                req.destroy();
                resolve();
              }
            });
          },
        );
        req.on('error', (err) =>
          err.message.includes('aborted') || err.message.includes('socket hang up') ? undefined : reject(err),
        );
      });
      expect(events[0]).toMatchObject({ type: 'ADDED' });
      const bookmark = events.find((e) => e.type === 'BOOKMARK')!;
      expect(bookmark.object).toEqual({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: created.body.metadata.resourceVersion },
      });
    } finally {
      await fast.close();
    }
  });

  it('pages a list with limit and continue, as kubectl --chunk-size does', async () => {
    for (let i = 0; i < 5; i++)
      await request(api.url, 'POST', '/api/v1/namespaces/kube-public/configmaps', cm(`page-${i}`));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await request<{
        metadata: { continue?: string };
        items: { metadata: { name: string } }[];
      }>(
        api.url,
        'GET',
        `/api/v1/namespaces/kube-public/configmaps?limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      names.push(...page.body.items.map((i) => i.metadata.name));
      token = page.body.metadata.continue;
      pages++;
    } while (token);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(pages).toBe(3);
    const bad = await request(
      api.url,
      'GET',
      '/api/v1/namespaces/kube-public/configmaps?limit=2&continue=garbage',
    );
    expect(bad.status).toBe(400);
  });

  it('answers a watch from a compacted resourceVersion with an ERROR 410 event and closes', async () => {
    const a = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('old'));
    const rv = Number((a.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    let last = a;
    for (let i = 0; i < 3; i++) {
      last = await request(
        api.url,
        'PATCH',
        '/api/v1/namespaces/default/configmaps/old',
        { data: { i: String(i) } },
        {
          'Content-Type': 'application/merge-patch+json',
        },
      );
    }
    const client = new Etcd3({ hosts: [api.etcdUrl] });
    await client.kv.compact({
      revision: Number((last.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion),
    });
    client.close();
    // Evict the cache's window by restarting the server, so the request reaches etcd's history.
    await api.restart();
    const { events, ended } = await watch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
      () => false,
      5000,
    );
    expect(ended).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
  });

  it('flushes the response headers before any event', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        `${api.url}/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=1`,
        (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
    });
    expect(status).toBe(200);
  });
});

describe('errors are Status objects', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/configmaps/nope', undefined, {}, 404, 'NotFound'],
    ['GET', '/api/v1/nothings', undefined, {}, 404, 'NotFound'],
    ['POST', '/api/v1/namespaces/default/configmaps', '{"metadata": ', {}, 400, 'BadRequest'],
    [
      'POST',
      '/api/v1/namespaces/default/configmaps',
      { kind: 'Secret', metadata: { name: 'x' } },
      {},
      400,
      'BadRequest',
    ],
    [
      'POST',
      '/api/v1/namespaces/default/configmaps',
      { metadata: { name: 'x', namespace: 'other' } },
      {},
      400,
      'BadRequest',
    ],
    ['POST', '/api/v1/namespaces/missing/configmaps', cm('x'), {}, 404, 'NotFound'],
    ['POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'), {}, 422, 'Invalid'],
    [
      'PATCH',
      '/api/v1/namespaces/default/configmaps/x',
      '{}',
      { 'Content-Type': 'text/plain' },
      415,
      'UnsupportedMediaType',
    ],
    ['POST', '/api/v1/namespaces/default/configmaps/x', cm('x'), {}, 405, 'MethodNotAllowed'],
  ])('%s %s → %s', async (method, path, body, headers, code, reason) => {
    const res = await request(
      api.url,
      method as string,
      path as string,
      body,
      headers as Record<string, string>,
    );
    expect(res.status).toBe(code);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  });

  it('refuses bodies over 3 MiB with 413 and stores nothing', async () => {
    const big = cm('huge', { blob: 'x'.repeat(3 * 1024 * 1024 + 10) });
    const res = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', big);
    expect(res.status).toBe(413);
    expect((await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps/huge')).status).toBe(404);
  });

  it('names the resource in a 409 AlreadyExists', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('twice'));
    const res = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('twice'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "twice" already exists' });
  });
});

describe("a write may not change an object's identity, and its body must decode", () => {
  const path = '/api/v1/namespaces/default/configmaps/identity';
  let stored: { metadata: { uid: string; resourceVersion: string } };

  beforeAll(async () => {
    const created = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('identity'));
    expect(created.status).toBe(201);
    stored = created.body as typeof stored;
  });

  afterEach(async () => {
    // Every request here is refused: the object is exactly as it was created.
    const now = await request<typeof stored>(api.url, 'GET', path);
    expect(now.body.metadata).toMatchObject(stored.metadata);
  });

  const uidConflict = () =>
    `Operation cannot be fulfilled on configmaps "identity": Precondition failed: UID in precondition: other, UID in object meta: ${stored.metadata.uid}`;

  it.each([
    [
      'PUT',
      undefined,
      () => ({ ...cm('identity', { k: 'v' }), metadata: { name: 'identity', uid: 'other' } }),
    ],
    ['PATCH', 'application/merge-patch+json', () => ({ metadata: { uid: 'other' }, data: { k: 'v' } })],
    ['PATCH', 'application/strategic-merge-patch+json', () => ({ metadata: { uid: 'other' } })],
    [
      'PATCH',
      'application/json-patch+json',
      () => [{ op: 'replace', path: '/metadata/uid', value: 'other' }],
    ],
  ])('%s %s with another uid is a 409 precondition failure', async (method, type, body) => {
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    const res = await request(api.url, method, path, body(), headers);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'Conflict', message: uidConflict() });
  });

  it.each([
    ['PUT without a name', 'PUT', undefined, { data: { k: 'v' } }],
    ['PUT with an empty metadata', 'PUT', undefined, { metadata: {}, data: { k: 'v' } }],
    ['a merge patch removing metadata', 'PATCH', 'application/merge-patch+json', { metadata: null }],
    [
      'a strategic merge patch removing the name',
      'PATCH',
      'application/strategic-merge-patch+json',
      { metadata: { name: null } },
    ],
    [
      'a json patch removing the name',
      'PATCH',
      'application/json-patch+json',
      [{ op: 'remove', path: '/metadata/name' }],
    ],
  ])('%s is a 400 name mismatch', async (_what, method, type, body) => {
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    const res = await request(api.url, method, path, body, headers);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      reason: 'BadRequest',
      message: 'the name of the object () does not match the name on the URL (identity)',
    });
  });

  it.each([['?fieldManager='], ['']])(
    'an apply with fieldManager %j is a 422 naming the option',
    async (query) => {
      const res = await request(
        api.url,
        'PATCH',
        `${path}${query}`,
        JSON.stringify(cm('identity', { k: 'v' })),
        {
          'Content-Type': 'application/apply-patch+yaml',
        },
      );
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        reason: 'Invalid',
        message:
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        details: { kind: 'PatchOptions', group: 'meta.k8s.io', causes: [{ field: 'fieldManager' }] },
      });
    },
  );

  it('checks the apply options before looking the object up, on subresources too', async () => {
    const res = await request(
      api.url,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/absent/scale',
      '{"spec":{"replicas":2}}',
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ reason: 'Invalid', details: { kind: 'PatchOptions' } });
  });

  it.each([
    [
      'a creationTimestamp that is not a time',
      { ...cm('identity'), metadata: { name: 'identity', creationTimestamp: 'not-a-time' } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: parsing time "not-a-time" as "2006-01-02T15:04:05Z07:00": cannot parse "not-a-time" as "2006"',
    ],
    [
      'binaryData that is not base64',
      { ...cm('identity'), binaryData: { k: 'not base64 !!' } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 3',
    ],
  ])('a PUT with %s is a 400 decoding error', async (_what, body, message) => {
    const res = await request(api.url, 'PUT', path, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ reason: 'BadRequest', message });
  });

  it('stores binaryData that is base64', async () => {
    const res = await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('binary'),
      binaryData: { k: 'aGVsbG8=' },
    });
    expect(res.status).toBe(201);
    expect(res.body.binaryData).toEqual({ k: 'aGVsbG8=' });
  });
});

describe('PUT namespaces/<ns>/finalize', () => {
  const ns = 'finalize-rules';
  const finalize = (body: unknown) => request(api.url, 'PUT', `/api/v1/namespaces/${ns}/finalize`, body);
  let created: { metadata: { resourceVersion: string }; spec: { finalizers: string[] } };

  beforeAll(async () => {
    const res = await request(api.url, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    expect(res.status).toBe(201);
    created = res.body as typeof created;
    expect(created.spec.finalizers).toEqual(['kubernetes']);
  });

  afterAll(async () => {
    // Later tests count the namespaces: this one must be gone, as the namespace controller would see to.
    await request(api.url, 'DELETE', `/api/v1/namespaces/${ns}`);
    const released = await finalize({ metadata: { name: ns }, spec: { finalizers: [] } });
    expect(released.status).toBe(200);
    expect((await request(api.url, 'GET', `/api/v1/namespaces/${ns}`)).status).toBe(404);
  });

  it.each([
    ['a body without a name', { spec: { finalizers: [] } }, 400, 'BadRequest'],
    ['another name', { metadata: { name: 'other' }, spec: { finalizers: [] } }, 400, 'BadRequest'],
    [
      'finalizers that are not a list',
      { metadata: { name: ns }, spec: { finalizers: 5 } },
      400,
      'BadRequest',
    ],
    [
      'a finalizer that is not a string',
      { metadata: { name: ns }, spec: { finalizers: [5] } },
      400,
      'BadRequest',
    ],
    ['a spec that is not an object', { metadata: { name: ns }, spec: 'x' }, 400, 'BadRequest'],
    [
      'an invalid finalizer name',
      { metadata: { name: ns }, spec: { finalizers: ['bad name!'] } },
      422,
      'Invalid',
    ],
    [
      'a stale resourceVersion',
      { metadata: { name: ns, resourceVersion: '1' }, spec: { finalizers: [] } },
      409,
      'Conflict',
    ],
  ])('refuses %s and changes nothing', async (_what, body, code, reason) => {
    const res = await finalize(body);
    expect(res.status).toBe(code);
    expect(res.body).toMatchObject({ kind: 'Status', code, reason });
    const now = await request<typeof created>(api.url, 'GET', `/api/v1/namespaces/${ns}`);
    expect(now.body).toMatchObject({
      metadata: { resourceVersion: created.metadata.resourceVersion },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  it('replaces the finalizers when the body names the namespace at its current resourceVersion', async () => {
    const res = await finalize({
      metadata: { name: ns, resourceVersion: created.metadata.resourceVersion },
      spec: { finalizers: ['example.com/kept'] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'Namespace', spec: { finalizers: ['example.com/kept'] } });
  });
});

describe('lifecycle', () => {
  it('has the system namespaces and the kubernetes service from the start', async () => {
    const list = await request<{ items: { metadata: { name: string } }[] }>(
      api.url,
      'GET',
      '/api/v1/namespaces',
    );
    expect(list.body.items.map((n) => n.metadata.name).sort()).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    const svc = await request<{ spec: { clusterIP: string } }>(
      api.url,
      'GET',
      '/api/v1/namespaces/default/services/kubernetes',
    );
    expect(svc.body.spec.clusterIP).toBe('10.96.0.1');
  });

  it('deletes an unscheduled pod at once and a bound pod gracefully', async () => {
    const pod = (name: string, nodeName?: string) => ({
      metadata: { name },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
    });
    await request(api.url, 'POST', '/api/v1/namespaces/default/pods', pod('loose'));
    expect((await request(api.url, 'DELETE', '/api/v1/namespaces/default/pods/loose')).status).toBe(200);
    expect((await request(api.url, 'GET', '/api/v1/namespaces/default/pods/loose')).status).toBe(404);

    await request(api.url, 'POST', '/api/v1/namespaces/default/pods', pod('bound', 'node-1'));
    const graceful = await request<{
      metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    }>(api.url, 'DELETE', '/api/v1/namespaces/default/pods/bound');
    expect(graceful.body.metadata.deletionTimestamp).toBeDefined();
    expect(graceful.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await request(api.url, 'GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(200);
    // The kubelet's final delete, with no grace left.
    await request(api.url, 'DELETE', '/api/v1/namespaces/default/pods/bound', { gracePeriodSeconds: 0 });
    expect((await request(api.url, 'GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(404);
  });

  it('holds an object with finalizers until the last one is removed', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('held'),
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    const del = await request<{ metadata: { deletionTimestamp?: string } }>(
      api.url,
      'DELETE',
      '/api/v1/namespaces/default/configmaps/held',
    );
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect((await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(200);
    await request(
      api.url,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/held',
      { metadata: { finalizers: null } },
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
    await waitFor(
      async () =>
        (await request(api.url, 'GET', '/api/v1/namespaces/default/configmaps/held')).status === 404,
    );
  });

  it('keeps a deleted namespace Terminating until finalized, refusing new content meanwhile', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await request(api.url, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('before'));
    const del = await request<{ status: { phase: string } }>(api.url, 'DELETE', '/api/v1/namespaces/doomed');
    expect(del.body.status.phase).toBe('Terminating');
    // A status write by the namespace controller must not remove it while spec.finalizers remain.
    const ns = await request<Record<string, unknown>>(api.url, 'GET', '/api/v1/namespaces/doomed');
    await request(api.url, 'PUT', '/api/v1/namespaces/doomed/status', ns.body);
    expect((await request(api.url, 'GET', '/api/v1/namespaces/doomed')).status).toBe(200);
    await waitFor(
      async () =>
        (await request(api.url, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('after'))).status === 403,
      {
        what: 'creates in the terminating namespace to be refused',
      },
    );
    const refused = await request(api.url, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('after2'));
    expect(refused.body).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(refused.body.message).toMatch(/because it is being terminated/);
    await request(api.url, 'DELETE', '/api/v1/namespaces/doomed/configmaps/before');
    const finalized = await request(api.url, 'PUT', '/api/v1/namespaces/doomed/finalize', {
      metadata: { name: 'doomed' },
      spec: { finalizers: [] },
    });
    expect(finalized.status).toBe(200);
    expect((await request(api.url, 'GET', '/api/v1/namespaces/doomed')).status).toBe(404);
  });

  it('refuses new finalizers on an object that is being deleted', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('closing'),
      metadata: { name: 'closing', finalizers: ['example.com/a'] },
    });
    await request(api.url, 'DELETE', '/api/v1/namespaces/default/configmaps/closing');
    const res = await request(
      api.url,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/closing',
      { metadata: { finalizers: ['example.com/a', 'example.com/b'] } },
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/no new finalizers can be added/);
    await request(
      api.url,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/closing',
      { metadata: { finalizers: null } },
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
  });

  it('does not bump the resourceVersion for a write that changes nothing', async () => {
    const created = await request<{ metadata: { resourceVersion: string } }>(
      api.url,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      cm('same', { a: '1' }),
    );
    const patched = await request<{ metadata: { resourceVersion: string } }>(
      api.url,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/same',
      { data: { a: '1' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(patched.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('keeps every object across a restart of the API server', async () => {
    await request(api.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('durable', { k: 'v' }));
    await api.restart();
    const got = await request<{ data: Record<string, string> }>(
      api.url,
      'GET',
      '/api/v1/namespaces/default/configmaps/durable',
    );
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ k: 'v' });
  });
});
