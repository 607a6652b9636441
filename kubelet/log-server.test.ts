import {
  API_SERVER_KUBELET_CLIENT,
  LogRequestError,
  authorizeClient,
  createLogServer,
  listen,
  parseLogRequest,
  pickContainer,
} from './log-server.js';
import type { LogServer } from './log-server.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import type { ContainerSummary } from './runtime/runtime.js';
import { makePod } from './testing/builders.js';

const NOW = Date.UTC(2024, 0, 1, 12);
const url = (path: string) => new URL(path, 'http://kubelet');

describe('parseLogRequest', () => {
  it('reads the pod, container and PodLogOptions', () => {
    expect(
      parseLogRequest(
        url('/containerLogs/ns/web/app?follow=true&tailLines=5&timestamps=1&limitBytes=100'),
        NOW,
      ),
    ).toEqual({
      namespace: 'ns',
      pod: 'web',
      container: 'app',
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 5,
      limitBytes: 100,
    });
  });

  it('turns sinceSeconds and sinceTime into a point in time', () => {
    expect(parseLogRequest(url('/containerLogs/ns/web/app?sinceSeconds=60'), NOW).sinceTime).toBe(
      NOW - 60_000,
    );
    expect(
      parseLogRequest(url('/containerLogs/ns/web/app?sinceTime=2024-01-01T11:00:00Z'), NOW).sinceTime,
    ).toBe(NOW - 3_600_000);
  });

  it.each([
    ['/containerLogs/ns/web', 404],
    ['/containerLogs/ns/web/app?tailLines=-1', 400],
    ['/containerLogs/ns/web/app?limitBytes=abc', 400],
    ['/containerLogs/ns/web/app?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', 400],
    ['/containerLogs/ns/web/app?sinceTime=yesterday', 400],
  ])('refuses %s with %i', (path, status) => {
    expect(() => parseLogRequest(url(path), NOW)).toThrow(LogRequestError);
    try {
      parseLogRequest(url(path), NOW);
    } catch (err) {
      expect((err as LogRequestError).status).toBe(status);
    }
  });
});

describe('pickContainer', () => {
  const attempt = (id: string, createdAt: number, restartCount: number, name = 'app') =>
    ({ id, name, createdAt, restartCount }) as ContainerSummary;
  const containers = [
    attempt('a', 1, 0),
    attempt('c', 3, 2),
    attempt('b', 3, 1),
    attempt('x', 9, 0, 'other'),
  ];

  it('takes the newest attempt, or the one before it for previous', () => {
    expect(pickContainer(containers, 'app', false)?.id).toBe('c');
    expect(pickContainer(containers, 'app', true)?.id).toBe('b');
    expect(pickContainer([attempt('a', 1, 0)], 'app', true)).toBeUndefined();
  });
});

describe('authorizeClient', () => {
  const allowed = [API_SERVER_KUBELET_CLIENT];
  it.each([
    [API_SERVER_KUBELET_CLIENT, 'GET', '/containerLogs/ns/web/app', undefined],
    [API_SERVER_KUBELET_CLIENT, 'GET', '/healthz', undefined],
    [
      'system:node:other',
      'GET',
      '/containerLogs/ns/web/app',
      {
        status: 403,
        message: 'Forbidden (user=system:node:other, verb=get, resource=nodes, subresource=proxy)',
      },
    ],
    [
      'kubicle-admin',
      'POST',
      '/exec/ns/web/app',
      {
        status: 403,
        message: 'Forbidden (user=kubicle-admin, verb=create, resource=nodes, subresource=proxy)',
      },
    ],
    [
      'kubicle-admin',
      'GET',
      '/healthz',
      {
        status: 403,
        message: 'Forbidden (user=kubicle-admin, verb=get, resource=nodes, subresource=healthz)',
      },
    ],
    [undefined, 'GET', '/healthz', { status: 401, message: 'Unauthorized' }],
  ])('user %s, %s %s', (user, method, path, expected) => {
    expect(authorizeClient(user, method, path, allowed)).toEqual(expected);
  });

  it('lets in whom it is told to', () => {
    expect(authorizeClient('tester', 'GET', '/healthz', ['tester'])).toBeUndefined();
    expect(authorizeClient(API_SERVER_KUBELET_CLIENT, 'GET', '/healthz', ['tester'])?.status).toBe(403);
  });
});

describe('the log server', () => {
  let server: LogServer;
  let base: string;
  const runtime = new FakeRuntime();
  const pod = makePod({ containers: ['app'] });

  beforeAll(async () => {
    const sandbox = { pod: { uid: 'uid-1', name: 'web', namespace: 'default' }, attempt: 0, hostname: 'web' };
    const sandboxId = await runtime.createSandbox(sandbox);
    const id = await runtime.createContainer(
      sandboxId,
      { name: 'app', image: 'busybox', restartCount: 0 },
      sandbox,
    );
    runtime.setLogs(id, 'one\ntwo\nthree\n');
    server = createLogServer({
      runtime,
      findPod: (ns, name) => (ns === 'default' && name === 'web' ? pod : undefined),
    });
    base = `http://127.0.0.1:${await listen(server, '127.0.0.1', 0)}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string) => {
    const res = await fetch(base + path);
    return [res.status, await res.text()] as const;
  };

  it('serves a container log, with tailLines and limitBytes', async () => {
    expect(await get('/containerLogs/default/web/app')).toEqual([200, 'one\ntwo\nthree\n']);
    expect(await get('/containerLogs/default/web/app?tailLines=1')).toEqual([200, 'three\n']);
    expect(await get('/containerLogs/default/web/app?limitBytes=5')).toEqual([200, 'one\nt']);
  });

  it('answers with upstream messages for unknown pods, containers and missing previous instances', async () => {
    expect(await get('/containerLogs/default/nope/app')).toEqual([
      404,
      'pod "nope" in namespace "default" not found',
    ]);
    expect(await get('/containerLogs/default/web/db')).toEqual([
      400,
      'container db is not valid for pod web',
    ]);
    expect(await get('/containerLogs/default/web/app?previous=true')).toEqual([
      400,
      'previous terminated container "app" in pod "web" not found',
    ]);
    expect(await get('/healthz')).toEqual([200, 'ok']);
  });
});
