/**
 * Every verb refused to whoever may not use it, against a real API server over TLS: no credentials
 * and a wrong token get 401, a user with no rights and a `view` user trying to write get 403, and
 * none of those requests changes what is stored.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ensureServingCertificate } from '../cli/pki.js';
import type { ServingCertificate } from '../cli/pki.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';

const ADMIN = 'refused-admin-token';
const VIEWER = 'refused-viewer-token';
const NOBODY = 'refused-nobody-token';
const WRONG = 'not-a-token-of-this-cluster';
const NS = '/api/v1/namespaces/default';

let api: TestApiServer;
let tls: ServingCertificate;
let pkiDir: string;

interface Reply {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

function call(token: string | undefined, method: string, url: string, body?: unknown, type?: string) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<Reply>((resolve, reject) => {
    const req = https.request(
      `${api.url}${url}`,
      {
        method,
        ca: tls.caCert,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'Content-Type': type ?? 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { text };
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: parsed,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

interface Attempt {
  verb: string;
  method: string;
  url: string;
  body?: unknown;
  type?: string;
  writes: boolean;
}

/** One request per verb, each of which would change or reveal the stored `settings` ConfigMap. */
const ATTEMPTS: Attempt[] = [
  { verb: 'get', method: 'GET', url: `${NS}/configmaps/settings`, writes: false },
  { verb: 'list', method: 'GET', url: `${NS}/configmaps`, writes: false },
  { verb: 'list (all namespaces)', method: 'GET', url: '/api/v1/secrets', writes: false },
  { verb: 'watch', method: 'GET', url: `${NS}/configmaps?watch=true&timeoutSeconds=5`, writes: false },
  {
    verb: 'create',
    method: 'POST',
    url: `${NS}/configmaps`,
    body: configMap('intruder', { a: '1' }),
    writes: true,
  },
  {
    verb: 'create (cluster scope)',
    method: 'POST',
    url: '/api/v1/namespaces',
    body: { metadata: { name: 'intruders' } },
    writes: true,
  },
  {
    verb: 'update',
    method: 'PUT',
    url: `${NS}/configmaps/settings`,
    body: configMap('settings', { mode: 'hijacked' }),
    writes: true,
  },
  {
    verb: 'patch',
    method: 'PATCH',
    url: `${NS}/configmaps/settings`,
    body: { data: { mode: 'hijacked' } },
    type: 'application/merge-patch+json',
    writes: true,
  },
  {
    verb: 'apply',
    method: 'PATCH',
    url: `${NS}/configmaps/settings?fieldManager=intruder&force=true`,
    body: configMap('settings', { mode: 'hijacked' }),
    type: 'application/apply-patch+yaml',
    writes: true,
  },
  {
    verb: 'update status',
    method: 'PUT',
    url: `${NS}/pods/web/status`,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, status: { phase: 'Failed' } },
    writes: true,
  },
  { verb: 'delete', method: 'DELETE', url: `${NS}/configmaps/settings`, writes: true },
  { verb: 'deletecollection', method: 'DELETE', url: `${NS}/configmaps`, writes: true },
];

async function storedState(): Promise<string> {
  const maps = await call(ADMIN, 'GET', `${NS}/configmaps`);
  const namespaces = await call(ADMIN, 'GET', '/api/v1/namespaces');
  const pod = await call(ADMIN, 'GET', `${NS}/pods/web`);
  const names = (list: Reply) =>
    (list.body.items as { metadata: { name: string; resourceVersion: string } }[]).map(
      (i) => `${i.metadata.name}@${i.metadata.resourceVersion}`,
    );
  return JSON.stringify({
    maps: names(maps),
    namespaces: names(namespaces),
    pod: (pod.body.metadata as { resourceVersion: string }).resourceVersion,
  });
}

let before: string;

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-refused-pki-'));
  tls = ensureServingCertificate(pkiDir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  api = await startTestApiServer({
    tls: { cert: tls.cert, key: tls.key },
    tokens: [ADMIN],
    tokenUsers: [
      { token: VIEWER, user: 'refused-viewer', groups: [] },
      { token: NOBODY, user: 'refused-nobody', groups: [] },
    ],
  });
  const created = await call(ADMIN, 'POST', `${NS}/configmaps`, configMap('settings', { mode: 'safe' }));
  expect(created.status).toBe(201);
  const pod = await call(ADMIN, 'POST', `${NS}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  expect(pod.status).toBe(201);
  const binding = await call(ADMIN, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'refused-viewer-view' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'refused-viewer' }],
  });
  expect(binding.status).toBe(201);
  await waitFor(async () => (await call(VIEWER, 'GET', `${NS}/configmaps`)).status === 200, {
    what: 'the view binding to take effect',
  });
  before = await storedState();
});

afterAll(async () => {
  await api?.close();
  if (pkiDir) fs.rmSync(pkiDir, { recursive: true, force: true });
});

describe.each([
  ['no credentials', undefined],
  ['a wrong token', WRONG],
])('with %s', (_what, token) => {
  it.each(ATTEMPTS.map((a) => [a.verb, a] as const))('%s gets 401 Unauthorized', async (_verb, attempt) => {
    const reply = await call(token, attempt.method, attempt.url, attempt.body, attempt.type);
    expect(reply.status).toBe(401);
    expect(reply.contentType).toContain('application/json');
    expect(reply.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});

describe('a user with no rights', () => {
  it.each(ATTEMPTS.map((a) => [a.verb, a] as const))(
    '%s gets 403 naming the user',
    async (_verb, attempt) => {
      const reply = await call(NOBODY, attempt.method, attempt.url, attempt.body, attempt.type);
      expect(reply.status).toBe(403);
      expect(reply.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(String(reply.body.message)).toContain('User "refused-nobody" cannot');
    },
  );
});

describe('a user bound to view', () => {
  const writes = ATTEMPTS.filter((a) => a.writes);
  it.each(writes.map((a) => [a.verb, a] as const))('%s gets 403', async (_verb, attempt) => {
    const reply = await call(VIEWER, attempt.method, attempt.url, attempt.body, attempt.type);
    expect(reply.status).toBe(403);
    expect(String(reply.body.message)).toMatch(
      /User "refused-viewer" cannot (create|update|patch|delete|deletecollection) resource/,
    );
  });

  it('reads configMaps but not secrets', async () => {
    expect((await call(VIEWER, 'GET', `${NS}/configmaps/settings`)).status).toBe(200);
    expect((await call(VIEWER, 'GET', `${NS}/secrets`)).status).toBe(403);
  });
});

describe('after every refused request', () => {
  it('nothing stored has changed', async () => {
    for (const token of [undefined, WRONG, NOBODY, VIEWER])
      for (const attempt of ATTEMPTS.filter((a) => a.writes))
        await call(token, attempt.method, attempt.url, attempt.body, attempt.type);
    expect(await storedState()).toBe(before);
    const settings = await call(ADMIN, 'GET', `${NS}/configmaps/settings`);
    expect(settings.body.data).toEqual({ mode: 'safe' });
  });
});
