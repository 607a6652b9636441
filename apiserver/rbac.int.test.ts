/**
 * RBAC end to end against a real API server on etcd: token users from `tokenUsers`, the bootstrapped
 * default roles, RoleBindings scoped to a namespace, upstream's 403 wording, and kubectl's
 * `auth can-i` answered through SelfSubjectAccessReview.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ensureServingCertificate } from '../cli/pki.js';
import type { ServingCertificate } from '../cli/pki.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { kubectl, kubectlBinaries } from '../e2e/support/kubectl.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { writeKubeconfig } from '../cli/kubeconfig.js';

const ADMIN = 'admin-token';
const VIEWER = 'viewer-token';
const NOBODY = 'nobody-token';
const TEAM = 'team-token';
const NS_ADMIN = 'ns-admin-token';
const BINDER = 'binder-token';
const RBAC_V1 = '/apis/rbac.authorization.k8s.io/v1';

let api: TestApiServer;
let tls: ServingCertificate;
let pkiDir: string;

interface Reply {
  status: number;
  body: { message?: string; reason?: string; items?: { metadata: { name: string } }[]; [k: string]: unknown };
}

/** kubectl sends a bearer token only over TLS, so the server serves HTTPS and every call checks its CA. */
function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${api.url}${path}`,
      {
        method,
        ca: tls.caCert,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload
            ? { 'Content-Type': method === 'PATCH' ? 'application/json-patch+json' : 'application/json' }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          let parsed: Reply['body'];
          try {
            parsed = JSON.parse(text) as Reply['body'];
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(token: string, method: string, path: string, body?: unknown): Promise<Reply['body']> {
  const reply = await call(token, method, path, body);
  if (reply.status >= 300)
    throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Bindings take effect once the watch has delivered them: wait for the first sign. */
function until(token: string, path: string, status: number) {
  return waitFor(async () => (await call(token, 'GET', path)).status === status, {
    what: `GET ${path} → ${status}`,
  });
}

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
});

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-rbac-pki-'));
  tls = ensureServingCertificate(pkiDir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  api = await startTestApiServer({
    tls: { cert: tls.cert, key: tls.key },
    tokens: [ADMIN],
    tokenUsers: [
      { token: VIEWER, user: 'viewer', uid: '1', groups: [] },
      { token: NOBODY, user: 'nobody', groups: [] },
      { token: TEAM, user: 'team-dev', groups: ['team-devs'] },
      { token: NS_ADMIN, user: 'alpha-admin', groups: [] },
      { token: BINDER, user: 'binder', groups: [] },
    ],
  });
  await ok(ADMIN, 'POST', '/api/v1/namespaces/default/pods', pod('web'));
  await ok(ADMIN, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
  await ok(ADMIN, 'POST', `${RBAC_V1}/clusterrolebindings`, {
    metadata: { name: 'viewer-view' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'viewer' }],
  });
  await ok(ADMIN, 'POST', `${RBAC_V1}/namespaces/team/roles`, {
    metadata: { name: 'pod-admin' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }],
  });
  await ok(ADMIN, 'POST', `${RBAC_V1}/namespaces/team/rolebindings`, {
    metadata: { name: 'devs-pod-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-admin' },
    subjects: [{ kind: 'Group', name: 'team-devs' }],
  });
  await until(VIEWER, '/api/v1/namespaces/default/pods', 200);
  await until(TEAM, '/api/v1/namespaces/team/pods', 200);
});

afterAll(async () => {
  await api?.close();
  if (pkiDir) fs.rmSync(pkiDir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('refuses an unknown token and a missing one with 401', async () => {
    expect((await call('wrong', 'GET', '/api/v1/namespaces')).status).toBe(401);
    expect((await call(undefined, 'GET', '/api')).status).toBe(401);
  });

  it('lets anonymous clients read the public health and version endpoints', async () => {
    expect((await call(undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await call(undefined, 'GET', '/version')).status).toBe(200);
  });
});

describe('the admin token', () => {
  it('may do everything', async () => {
    await ok(ADMIN, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cfg' } });
    await ok(ADMIN, 'DELETE', '/api/v1/namespaces/default/configmaps/cfg');
    await ok(ADMIN, 'GET', '/api/v1/nodes');
    await ok(ADMIN, 'GET', '/api/v1/namespaces/kube-system/secrets');
  });

  it('finds the bootstrapped default roles and bindings', async () => {
    const roles = (await ok(ADMIN, 'GET', `${RBAC_V1}/clusterroles`)).items!.map((r) => r.metadata.name);
    expect(roles).toEqual(
      expect.arrayContaining([
        'cluster-admin',
        'admin',
        'edit',
        'view',
        'system:discovery',
        'system:public-info-viewer',
      ]),
    );
    const bindings = (await ok(ADMIN, 'GET', `${RBAC_V1}/clusterrolebindings`)).items!.map(
      (r) => r.metadata.name,
    );
    expect(bindings).toEqual(
      expect.arrayContaining(['cluster-admin', 'system:discovery', 'system:public-info-viewer']),
    );
  });

  it('gets upstream’s 422 for a binding without roleRef', async () => {
    const reply = await call(ADMIN, 'POST', `${RBAC_V1}/clusterrolebindings`, {
      metadata: { name: 'broken' },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.message).toContain('roleRef.name: Required value');
  });
});

describe('a user bound to view', () => {
  it('may get and list pods and read discovery', async () => {
    await ok(VIEWER, 'GET', '/api/v1/namespaces/default/pods/web');
    await ok(VIEWER, 'GET', '/api/v1/pods');
    await ok(VIEWER, 'GET', '/apis');
    await ok(VIEWER, 'GET', '/api/v1');
  });

  it.each([
    [
      'POST',
      '/api/v1/namespaces/default/pods',
      'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'DELETE',
      '/api/v1/namespaces/default/pods/web',
      'pods "web" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'GET',
      '/api/v1/namespaces/default/secrets',
      'secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "default"',
    ],
    [
      'GET',
      `${RBAC_V1}/clusterroles`,
      'clusterroles.rbac.authorization.k8s.io is forbidden: User "viewer" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    ],
  ])('gets 403 for %s %s', async (method, path, message) => {
    const reply = await call(VIEWER, method, path, method === 'POST' ? pod('other') : undefined);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message });
  });
});

describe('a user without bindings', () => {
  it('gets 403 on get, but may still read discovery', async () => {
    const reply = await call(NOBODY, 'GET', '/api/v1/namespaces/default/pods/web');
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe(
      'pods "web" is forbidden: User "nobody" cannot get resource "pods" in API group "" in the namespace "default"',
    );
    expect((await call(NOBODY, 'GET', '/api')).status).toBe(200);
  });
});

describe('a Role bound by a RoleBinding', () => {
  it('grants only in its namespace', async () => {
    await ok(TEAM, 'POST', '/api/v1/namespaces/team/pods', pod('mine'));
    await ok(TEAM, 'DELETE', '/api/v1/namespaces/team/pods/mine');
    expect((await call(TEAM, 'GET', '/api/v1/namespaces/default/pods')).status).toBe(403);
    expect((await call(TEAM, 'GET', '/api/v1/pods')).status).toBe(403);
    expect((await call(TEAM, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(403);
  });

  it('stops granting once the binding is deleted', async () => {
    await ok(ADMIN, 'DELETE', `${RBAC_V1}/namespaces/team/rolebindings/devs-pod-admin`);
    await until(TEAM, '/api/v1/namespaces/team/pods', 403);
  });
});

describe('privilege escalation prevention', () => {
  const ALPHA = `${RBAC_V1}/namespaces/alpha`;
  const roleRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const bindingTo = (name: string, kind: string, role: string, user: string) => ({
    metadata: { name },
    roleRef: roleRef(kind, role),
    subjects: [{ kind: 'User', name: user }],
  });

  beforeAll(async () => {
    await ok(ADMIN, 'POST', '/api/v1/namespaces', { metadata: { name: 'alpha' } });
    await ok(
      ADMIN,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('alpha-admin', 'ClusterRole', 'admin', 'alpha-admin'),
    );
    await ok(ADMIN, 'POST', `${RBAC_V1}/clusterroles`, {
      metadata: { name: 'cluster-admin-binder' },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          verbs: ['bind'],
          resourceNames: ['cluster-admin'],
        },
      ],
    });
    await ok(
      ADMIN,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('binder', 'ClusterRole', 'cluster-admin-binder', 'binder'),
    );
    await until(NS_ADMIN, `${ALPHA}/rolebindings`, 200);
    await waitFor(
      async () =>
        (
          await call(
            BINDER,
            'POST',
            `${ALPHA}/rolebindings?dryRun=All`,
            bindingTo('probe', 'ClusterRole', 'cluster-admin', 'x'),
          )
        ).status === 201,
      { what: 'the binder’s bindings to take effect' },
    );
  });

  it('keeps a namespace admin from binding cluster-admin', async () => {
    const reply = await call(
      NS_ADMIN,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('grab', 'ClusterRole', 'cluster-admin', 'alpha-admin'),
    );
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "alpha-admin" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n' +
        '{NonResourceURLs:["*"], Verbs:["*"]}',
      details: { name: 'grab', group: 'rbac.authorization.k8s.io', kind: 'rolebindings' },
    });
    expect((await call(ADMIN, 'GET', `${ALPHA}/rolebindings/grab`)).status).toBe(404);
  });

  it('lets a namespace admin bind what they hold', async () => {
    await ok(
      NS_ADMIN,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('viewers', 'ClusterRole', 'view', 'viewer'),
    );
  });

  it('keeps a namespace admin from writing a Role beyond their own rights', async () => {
    const star = {
      metadata: { name: 'star' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    };
    const created = await call(NS_ADMIN, 'POST', `${ALPHA}/roles`, star);
    expect(created.status).toBe(403);
    expect(created.body.message).toMatch(
      /^roles\.rbac\.authorization\.k8s\.io "star" is forbidden: user "alpha-admin" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}$/,
    );

    const modest = {
      metadata: { name: 'modest' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    };
    await ok(NS_ADMIN, 'POST', `${ALPHA}/roles`, modest);
    const patched = await call(NS_ADMIN, 'PATCH', `${ALPHA}/roles/modest`, [
      { op: 'add', path: '/rules/-', value: { apiGroups: [''], resources: ['nodes'], verbs: ['delete'] } },
    ]);
    expect(patched.status).toBe(403);
    expect(patched.body.message).toContain('{APIGroups:[""], Resources:["nodes"], Verbs:["delete"]}');
  });

  it('lets a user granted bind on cluster-admin bind it', async () => {
    await ok(
      BINDER,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('granted', 'ClusterRole', 'cluster-admin', 'someone'),
    );
    const other = await call(
      BINDER,
      'POST',
      `${ALPHA}/rolebindings`,
      bindingTo('not-granted', 'ClusterRole', 'admin', 'someone'),
    );
    expect(other.status).toBe(403);
  });
});

describe('SelfSubjectAccessReview', () => {
  it('answers for the requesting user', async () => {
    const review = (verb: string) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb, resource: 'pods' } },
    });
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    expect((await ok(VIEWER, 'POST', path, review('list'))).status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "viewer-view" of ClusterRole "view" to User "viewer"',
    });
    expect((await ok(VIEWER, 'POST', path, review('create'))).status).toEqual({ allowed: false });
    expect((await ok(ADMIN, 'POST', path, review('create'))).status).toEqual({ allowed: true });
    expect((await call(ADMIN, 'GET', path)).status).toBe(405);
  });

  const kubectlPath = kubectlBinaries([])[0]?.path;
  const kubeconfigFor = (name: string, token: string) => {
    const kubeconfig = path.join(api.dir, `${name}-kubeconfig`);
    writeKubeconfig(kubeconfig, api.url, { token, caCert: tls.caCert });
    return { kubeconfig, cacheDir: path.join(api.dir, `${name}-cache`) };
  };

  (kubectlPath ? it : it.skip)('answers kubectl auth can-i', async () => {
    const viewer = kubeconfigFor('viewer', VIEWER);
    const list = await kubectl(kubectlPath!, ['auth', 'can-i', 'list', 'pods'], viewer);
    expect({ code: list.code, out: list.stdout.trim() }).toEqual({ code: 0, out: 'yes' });
    const create = await kubectl(kubectlPath!, ['auth', 'can-i', 'create', 'pods'], viewer);
    expect({ code: create.code, out: create.stdout.trim() }).toEqual({ code: 1, out: 'no' });
  });

  (kubectlPath ? it : it.skip)('shows kubectl the roles and upstream’s denial', async () => {
    const roles = await kubectl(kubectlPath!, ['get', 'clusterroles'], kubeconfigFor('admin', ADMIN));
    expect(roles.stderr).toBe('');
    expect(roles.stdout).toMatch(/^NAME\s+CREATED AT\n/);
    expect(roles.stdout).toMatch(/^cluster-admin\s+\d{4}-/m);
    const denied = await kubectl(kubectlPath!, ['delete', 'pod', 'web'], kubeconfigFor('viewer', VIEWER));
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "web" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
  });
});
