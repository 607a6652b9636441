import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { maxInFlight, requestKind } from './max-in-flight.js';
import type { RequestKind } from './max-in-flight.js';

describe('requestKind', () => {
  it.each<[string, string, Record<string, unknown>, RequestKind]>([
    ['GET', '/api/v1/namespaces/default/pods', {}, 'readonly'],
    ['GET', '/api/v1/namespaces/default/pods/web', {}, 'readonly'],
    ['HEAD', '/api/v1/pods', {}, 'readonly'],
    ['GET', '/api', {}, 'readonly'],
    ['GET', '/openapi/v2', {}, 'readonly'],
    ['GET', '/version', {}, 'readonly'],
    ['POST', '/api/v1/namespaces/default/pods', {}, 'mutating'],
    ['PUT', '/api/v1/namespaces/default/pods/web', {}, 'mutating'],
    ['PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', {}, 'mutating'],
    ['DELETE', '/api/v1/namespaces/default/pods', {}, 'mutating'],
    ['post', '/api/v1/namespaces', {}, 'mutating'],
    ['GET', '/api/v1/namespaces/default/pods', { watch: 'true' }, 'long-running'],
    ['GET', '/api/v1/pods', { watch: '1' }, 'long-running'],
    ['GET', '/apis/apps/v1/deployments', { watch: ['true', 'false'] }, 'long-running'],
    ['GET', '/api/v1/namespaces/default/pods', { watch: 'false' }, 'readonly'],
    ['GET', '/api/v1/namespaces/default/pods', { watch: 'maybe' }, 'readonly'],
    // The handler serves a named GET as a plain get whatever `watch` says.
    ['GET', '/api/v1/namespaces/default/pods/web', { watch: 'true' }, 'readonly'],
    ['POST', '/api/v1/namespaces/default/pods', { watch: 'true' }, 'mutating'],
    ['GET', '/api/v1/watch/pods', {}, 'long-running'],
    ['GET', '/api/v1/watch/namespaces/default/pods', {}, 'long-running'],
    ['GET', '/apis/apps/v1/watch/namespaces/default/deployments', {}, 'long-running'],
    ['DELETE', '/api/v1/watch/pods', {}, 'mutating'],
    ['GET', '/api/v1/namespaces/default/pods/web/log', { follow: 'true' }, 'long-running'],
    ['GET', '/api/v1/namespaces/default/pods/web/log', {}, 'readonly'],
    ['GET', '/api/v1/namespaces/default/pods/web/log', { follow: 'false' }, 'readonly'],
    ['GET', '/apis/example.io/v1/namespaces/default/pods/web/log', { follow: 'true' }, 'readonly'],
    ['GET', '/api/v1/namespaces/%ZZ/pods', { watch: 'true' }, 'readonly'],
    ['GET', '/healthz', {}, 'exempt'],
    ['GET', '/livez', {}, 'exempt'],
    ['GET', '/readyz', {}, 'exempt'],
    ['GET', '/readyz/etcd', {}, 'exempt'],
    ['POST', '/healthz', {}, 'exempt'],
    ['GET', '/healthzz', {}, 'readonly'],
  ])('%s %s %j → %s', (method, path, query, expected) => {
    expect(requestKind(method, path, query)).toBe(expected);
  });
});

describe('maxInFlight', () => {
  let server: http.Server;
  let base: string;
  const held: http.ServerResponse[] = [];

  async function start(limits: { readonly: number; mutating: number }) {
    const app = express();
    app.use(maxInFlight(limits));
    // `/hold` answers only when the test releases it, so requests stay in flight.
    app.all(/^\/(api\/v1\/hold|healthz)/, (_req, res) => void held.push(res));
    app.all(/.*/, (_req, res) => void res.send('ok'));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function heldCount(n: number) {
    while (held.length < n) await new Promise((r) => setTimeout(r, 5));
  }

  afterEach(async () => {
    for (const res of held.splice(0)) res.end('released');
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers 429 with Retry-After once the read cap is reached, and frees the slot when one finishes', async () => {
    await start({ readonly: 2, mutating: 1 });
    const first = fetch(`${base}/api/v1/hold/a`);
    const second = fetch(`${base}/api/v1/hold/b`);
    await heldCount(2);

    const rejected = await fetch(`${base}/api/v1/namespaces`);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect(await rejected.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Too many requests, please try again later.',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 1 },
      code: 429,
    });

    // Writes have their own cap, and watches and health checks are not counted at all.
    expect((await fetch(`${base}/api/v1/pods`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/pods?watch=true`)).status).toBe(200);
    const health = fetch(`${base}/healthz`);
    await heldCount(3);

    held.shift()?.end('done');
    expect(await (await first).text()).toBe('done');
    expect((await fetch(`${base}/api/v1/namespaces`)).status).toBe(200);
    for (const res of held.splice(0)) res.end('done');
    expect((await second).status).toBe(200);
    expect((await health).status).toBe(200);
  });

  it('caps writes separately and frees a slot when the client goes away', async () => {
    await start({ readonly: 1, mutating: 1 });
    const abort = new AbortController();
    const pending = fetch(`${base}/api/v1/hold/x`, { method: 'POST', signal: abort.signal }).catch(
      () => 'aborted',
    );
    await heldCount(1);
    const rejected = await fetch(`${base}/api/v1/pods`, { method: 'PUT' });
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${base}/api/v1/pods`)).status).toBe(200);

    abort.abort();
    expect(await pending).toBe('aborted');
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`${base}/api/v1/pods`, { method: 'DELETE' })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(200);
  });

  it('never limits with caps of 0', async () => {
    await start({ readonly: 0, mutating: 0 });
    const pending = [1, 2, 3].map((i) => fetch(`${base}/api/v1/hold/${i}`, { method: 'POST' }));
    await heldCount(3);
    expect((await fetch(`${base}/api/v1/pods`, { method: 'POST' })).status).toBe(200);
    for (const res of held.splice(0)) res.end('released');
    await Promise.all(pending);
  });
});
