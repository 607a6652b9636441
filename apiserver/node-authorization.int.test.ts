/**
 * The Node authorizer and the components' bootstrap roles against a real HTTPS API server on etcd:
 * two kubelets' identities (`system:node:n1`, `system:node:n2`) each reach only their own Node, Lease,
 * pods and the Secrets and ConfigMaps those pods use; the controller manager, scheduler, proxy and
 * DNS identities may do what their code does and get 403 for what it does not.
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

const ADMIN = 'na-admin-token';
const N1 = 'na-node1-token';
const N2 = 'na-node2-token';
const CM = 'na-controller-manager-token';
const SCHED = 'na-scheduler-token';
const PROXY = 'na-proxy-token';
const DNS = 'na-dns-token';
const NODES = ['system:nodes'];
const NS = '/api/v1/namespaces/default';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const MERGE = 'application/merge-patch+json';

let api: TestApiServer;
let tls: ServingCertificate;
let pkiDir: string;

interface Reply {
  status: number;
  text: string;
  body: {
    message?: string;
    items?: { metadata: { name: string } }[];
    status?: { allowed?: boolean };
    [k: string]: unknown;
  };
}

function call(
  token: string,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${api.url}${urlPath}`,
      {
        method,
        ca: tls.caCert,
        headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': contentType } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          let parsed: Reply['body'] = {};
          try {
            parsed = JSON.parse(text) as Reply['body'];
          } catch {
            // A watch stream is several JSON documents; the text is checked instead.
          }
          resolve({ status: res.statusCode ?? 0, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(token: string, method: string, urlPath: string, body?: unknown, type?: string) {
  const reply = await call(token, method, urlPath, body, type);
  if (reply.status >= 300) throw new Error(`${method} ${urlPath}: ${reply.status} ${reply.text}`);
  return reply.body;
}

async function status(token: string, method: string, urlPath: string, body?: unknown, type?: string) {
  return (await call(token, method, urlPath, body, type)).status;
}

const names = (body: Reply['body']) => (body.items ?? []).map((i) => i.metadata.name).sort();

function pod(name: string, nodeName: string | undefined, secret: string, configMap?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        {
          name: 'c',
          image: 'nginx',
          ...(configMap ? { envFrom: [{ configMapRef: { name: configMap } }] } : {}),
        },
      ],
      volumes: [{ name: 'v', secret: { secretName: secret } }],
    },
  };
}

const lease = (name: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name },
  spec: { holderIdentity: name, leaseDurationSeconds: 40 },
});

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-node-authz-pki-'));
  tls = ensureServingCertificate(pkiDir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  api = await startTestApiServer({
    tls: { cert: tls.cert, key: tls.key },
    tokens: [ADMIN],
    tokenUsers: [
      { token: N1, user: 'system:node:n1', groups: NODES },
      { token: N2, user: 'system:node:n2', groups: NODES },
      { token: CM, user: 'system:kube-controller-manager', groups: [] },
      { token: SCHED, user: 'system:kube-scheduler', groups: [] },
      { token: PROXY, user: 'system:kube-proxy', groups: [] },
      { token: DNS, user: 'system:kubicle-dns', groups: [] },
    ],
  });
  for (const node of ['n1', 'n2']) await ok(ADMIN, 'POST', '/api/v1/nodes', { metadata: { name: node } });
  for (const name of ['s1', 's2', 'shared'])
    await ok(ADMIN, 'POST', `${NS}/secrets`, { metadata: { name }, data: { k: 'dg==' } });
  for (const name of ['c1', 'c2']) await ok(ADMIN, 'POST', `${NS}/configmaps`, { metadata: { name } });
  await ok(ADMIN, 'POST', `${NS}/pods`, pod('p1', 'n1', 's1', 'c1'));
  await ok(ADMIN, 'POST', `${NS}/pods`, pod('p2', 'n2', 's2', 'c2'));
  await ok(ADMIN, 'POST', `${NS}/pods`, pod('p3', 'n2', 'shared'));
  // The graph follows the pods watch cache: wait until both nodes see their pods.
  await waitFor(async () => (await status(N1, 'GET', `${NS}/pods/p1`)) === 200, { what: 'n1 sees p1' });
  await waitFor(async () => (await status(N2, 'GET', `${NS}/pods/p3`)) === 200, { what: 'n2 sees p3' });
});

afterAll(async () => {
  await api?.close();
  if (pkiDir) fs.rmSync(pkiDir, { recursive: true, force: true });
});

describe('a node reading pods', () => {
  it("gets its own pod, not another node's, with upstream's 403", async () => {
    await ok(N1, 'GET', `${NS}/pods/p1`);
    const reply = await call(N1, 'GET', `${NS}/pods/p2`);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'pods "p2" is forbidden: User "system:node:n1" cannot get resource "pods" in API group "" in the ' +
        'namespace "default": no relationship found between node \'n1\' and this object',
    });
  });

  it('lists and watches only with its own spec.nodeName selector', async () => {
    const all = await call(N1, 'GET', '/api/v1/pods');
    expect(all.status).toBe(403);
    expect(all.body.message).toBe(
      'pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" at the cluster ' +
        'scope: can only list/watch pods with spec.nodeName field selector',
    );
    expect(await status(N1, 'GET', `${NS}/pods`)).toBe(403);
    expect(await status(N1, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')).toBe(403);
    expect(names(await ok(N1, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1'))).toEqual(['p1']);
    const watch = await call(
      N1,
      'GET',
      '/api/v1/pods?watch=1&timeoutSeconds=1&fieldSelector=spec.nodeName%3Dn1',
    );
    expect(watch.status).toBe(200);
    expect(watch.text).toContain('"name":"p1"');
    expect(watch.text).not.toContain('"name":"p2"');
    expect(await status(N1, 'GET', '/api/v1/pods?watch=1&timeoutSeconds=1')).toBe(403);
  });
});

describe('a node reading secrets and configmaps', () => {
  const one = (kind: string, name: string, watch = false) =>
    `${NS}/${kind}?${watch ? 'watch=1&timeoutSeconds=1&' : ''}fieldSelector=metadata.name%3D${name}`;

  it('reads what its own pod uses: get, and list or watch of that one object', async () => {
    await ok(N1, 'GET', `${NS}/secrets/s1`);
    await ok(N1, 'GET', `${NS}/configmaps/c1`);
    expect(names(await ok(N1, 'GET', one('secrets', 's1')))).toEqual(['s1']);
    const watch = await call(N1, 'GET', one('secrets', 's1', true));
    expect(watch.status).toBe(200);
    expect(watch.text).toContain('"name":"s1"');
    expect(names(await ok(N1, 'GET', one('configmaps', 'c1')))).toEqual(['c1']);
  });

  it("cannot read what only another node's pods use, nor list a namespace's", async () => {
    const reply = await call(N1, 'GET', `${NS}/secrets/s2`);
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe(
      'secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in ' +
        'the namespace "default": no relationship found between node \'n1\' and this object',
    );
    expect(await status(N1, 'GET', one('secrets', 's2'))).toBe(403);
    expect(await status(N1, 'GET', one('secrets', 's2', true))).toBe(403);
    expect(await status(N1, 'GET', `${NS}/configmaps/c2`)).toBe(403);
    expect(await status(N1, 'GET', `${NS}/secrets`)).toBe(403);
    expect(await status(N1, 'GET', '/api/v1/secrets?fieldSelector=metadata.name%3Ds1')).toBe(403);
    expect(await status(N1, 'PUT', `${NS}/secrets/s1`, { metadata: { name: 's1' } })).toBe(403);
  });

  it('gains a secret when one of its pods starts using it, and loses it with the pod', async () => {
    expect(await status(N1, 'GET', `${NS}/secrets/shared`)).toBe(403);
    await ok(ADMIN, 'POST', `${NS}/pods`, pod('p4', 'n1', 'shared'));
    await waitFor(async () => (await status(N1, 'GET', `${NS}/secrets/shared`)) === 200, {
      what: 'n1 reads the shared secret',
    });
    await ok(ADMIN, 'DELETE', `${NS}/pods/p4?gracePeriodSeconds=0`);
    await waitFor(async () => (await status(N1, 'GET', `${NS}/secrets/shared`)) === 403, {
      what: 'n1 loses the shared secret',
    });
    // n2's pod still uses it.
    await ok(N2, 'GET', `${NS}/secrets/shared`);
  });
});

describe('a node writing', () => {
  it('patches its own Node and its status, not another node’s', async () => {
    await ok(N1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { a: 'b' } } }, MERGE);
    await ok(N1, 'PATCH', '/api/v1/nodes/n1/status', { status: { phase: 'Running' } }, MERGE);
    const reply = await call(N1, 'PATCH', '/api/v1/nodes/n2', { metadata: { labels: { a: 'b' } } }, MERGE);
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe(
      'nodes "n2" is forbidden: User "system:node:n1" cannot patch resource "nodes" in API group "" at the ' +
        "cluster scope: node 'n1' is not allowed to modify node 'n2'",
    );
    expect(await status(N1, 'PATCH', '/api/v1/nodes/n2/status', { status: {} }, MERGE)).toBe(403);
    expect(await status(N1, 'DELETE', '/api/v1/nodes/n2')).toBe(403);
    await ok(N1, 'GET', '/api/v1/nodes/n2');
  });

  it('creates only the Node named like itself', async () => {
    const reply = await call(N1, 'POST', '/api/v1/nodes', { metadata: { name: 'n3' } });
    expect(reply.status).toBe(403);
    expect(reply.body.message).toContain("node 'n1' is not allowed to modify node 'n3'");
    expect(await status(N1, 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } })).toBe(409);
  });

  it('creates and renews only its own Lease', async () => {
    await ok(N1, 'POST', LEASES, lease('n1'));
    await ok(N2, 'POST', LEASES, lease('n2'));
    expect(await status(N1, 'POST', LEASES, lease('n9'))).toBe(403);
    const own = (await ok(N1, 'GET', `${LEASES}/n1`)) as { metadata: { name: string } };
    await ok(N1, 'PUT', `${LEASES}/n1`, own);
    await ok(N1, 'PATCH', `${LEASES}/n1`, { spec: { leaseDurationSeconds: 41 } }, MERGE);
    expect(await status(N1, 'GET', `${LEASES}/n2`)).toBe(403);
    const reply = await call(N1, 'PATCH', `${LEASES}/n2`, { spec: { leaseDurationSeconds: 1 } }, MERGE);
    expect(reply.status).toBe(403);
    expect(reply.body.message).toContain(
      'User "system:node:n1" cannot patch resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease"',
    );
    expect(await status(N1, 'GET', LEASES)).toBe(403);
  });

  it('patches the status of its own pods only', async () => {
    await ok(N1, 'PATCH', `${NS}/pods/p1/status`, { status: { message: 'mine' } }, MERGE);
    const reply = await call(N1, 'PATCH', `${NS}/pods/p2/status`, { status: { message: 'x' } }, MERGE);
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe(
      'pods "p2" is forbidden: User "system:node:n1" cannot patch resource "pods/status" in API group "" in ' +
        'the namespace "default": node \'n1\' can only update status of pods with spec.nodeName set to itself',
    );
    expect(await status(N1, 'DELETE', `${NS}/pods/p2`)).toBe(403);
    expect(await status(N1, 'POST', `${NS}/pods`, pod('mirror', 'n1', 's1'))).toBe(403);
  });

  it('records events and reads services, endpoints and its namespace', async () => {
    await ok(N1, 'POST', `${NS}/events`, {
      metadata: { name: 'n1-event' },
      involvedObject: { kind: 'Node', name: 'n1' },
      reason: 'Test',
      message: 'hello',
      type: 'Normal',
    });
    await ok(N1, 'GET', '/api/v1/services');
    await ok(N1, 'GET', '/api/v1/endpoints?watch=1&timeoutSeconds=1');
    await ok(N1, 'GET', '/api/v1/namespaces/default');
    expect(await status(N1, 'GET', '/api/v1/namespaces')).toBe(403);
    expect(await status(N1, 'GET', '/apis/apps/v1/deployments')).toBe(403);
  });

  it('gets the same answers from SelfSubjectAccessReview', async () => {
    const review = async (name: string) =>
      (
        await ok(N1, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default', name } },
        })
      ).status?.allowed;
    expect(await review('p1')).toBe(true);
    expect(await review('p2')).toBe(false);
  });
});

describe('the components', () => {
  it('controller manager: informers, GC and controller writes, but no secret creation', async () => {
    await ok(CM, 'GET', '/api/v1/pods');
    await ok(CM, 'GET', '/apis/apps/v1/replicasets?watch=1&timeoutSeconds=1');
    await ok(CM, 'POST', `${NS}/pods`, pod('from-rs', undefined, 's1'));
    await ok(CM, 'PATCH', `${NS}/configmaps/c1`, { metadata: { labels: { gc: 'seen' } } }, MERGE);
    await ok(CM, 'DELETE', `${NS}/pods/from-rs`);
    await ok(
      CM,
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
      lease('kube-controller-manager'),
    );
    expect(await status(CM, 'POST', `${NS}/secrets`, { metadata: { name: 'nope' } })).toBe(403);
    expect(await status(CM, 'DELETE', `${NS}/pods`)).toBe(403);
  });

  it('scheduler: binds and marks pods, but cannot touch secrets or delete pods', async () => {
    await ok(ADMIN, 'POST', `${NS}/pods`, pod('pending', undefined, 's1'));
    await ok(SCHED, 'GET', '/api/v1/nodes');
    await ok(SCHED, 'GET', '/api/v1/pods?fieldSelector=status.phase!%3DSucceeded');
    await ok(SCHED, 'GET', '/api/v1/namespaces?watch=1&timeoutSeconds=1');
    await ok(SCHED, 'POST', `${NS}/pods/pending/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'pending' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
    });
    await ok(
      SCHED,
      'PATCH',
      `${NS}/pods/pending/status`,
      { status: { conditions: [{ type: 'PodScheduled', status: 'True' }] } },
      'application/strategic-merge-patch+json',
    );
    await ok(
      SCHED,
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
      lease('kube-scheduler'),
    );
    expect(await status(SCHED, 'POST', `${NS}/secrets`, { metadata: { name: 'nope' } })).toBe(403);
    expect(await status(SCHED, 'DELETE', `${NS}/pods/pending`)).toBe(403);
    // The pod just bound is n1's now.
    await waitFor(async () => (await status(N1, 'GET', `${NS}/pods/pending`)) === 200, {
      what: 'n1 sees the pod bound to it',
    });
  });

  it('proxy: watches services, endpoints and nodes, but cannot delete a pod', async () => {
    await ok(PROXY, 'GET', '/api/v1/services');
    await ok(PROXY, 'GET', '/api/v1/endpoints');
    await ok(PROXY, 'GET', '/api/v1/nodes?watch=1&timeoutSeconds=1');
    const reply = await call(PROXY, 'DELETE', `${NS}/pods/p1`);
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe(
      'pods "p1" is forbidden: User "system:kube-proxy" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
    expect(await status(PROXY, 'GET', `${NS}/secrets`)).toBe(403);
  });

  it('DNS: keeps its own kube-dns Endpoints, but cannot change other services', async () => {
    await ok(DNS, 'GET', '/api/v1/services?watch=1&timeoutSeconds=1');
    await ok(DNS, 'GET', '/api/v1/endpoints');
    const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kube-dns' }, subsets: [] };
    await ok(DNS, 'POST', '/api/v1/namespaces/kube-system/endpoints', endpoints);
    const current = await ok(DNS, 'GET', '/api/v1/namespaces/kube-system/endpoints/kube-dns');
    await ok(DNS, 'PUT', '/api/v1/namespaces/kube-system/endpoints/kube-dns', current);
    const kubernetes = await ok(ADMIN, 'GET', `${NS}/services/kubernetes`);
    expect(await status(DNS, 'PUT', `${NS}/services/kubernetes`, kubernetes)).toBe(403);
    expect(await status(DNS, 'DELETE', `${NS}/pods/p1`)).toBe(403);
    expect(await status(DNS, 'GET', `${NS}/pods`)).toBe(403);
  });
});
