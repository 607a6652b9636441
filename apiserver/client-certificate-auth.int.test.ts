/**
 * X.509 client certificates against a real HTTPS API server with a client CA: the user is the
 * subject CN and the groups every subject O, for kubectl (every version here) and client-node alike;
 * a certificate of another CA is no user; bearer tokens, also known by hash only, keep working. And
 * the node-credentials endpoint that trades a join secret's CSRs for node certificates.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  ensureClientCertificate,
  ensureServingCertificate,
  newKeyAndCertificateRequest,
  signClientCertificateRequest,
} from '../cli/pki.js';
import type { ServingCertificate } from '../cli/pki.js';
import { kubeconfigYaml, writeKubeconfig } from '../cli/kubeconfig.js';
import { sha256Hex } from '../cli/cluster-token.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { kubectl, kubectlBinaries } from '../e2e/support/kubectl.js';
import { makeTestCa } from '../e2e/support/test-pki.js';
import type { TestKeyPair } from '../e2e/support/test-pki.js';
import { waitFor } from '../e2e/support/wait-for.js';

const ADMIN_TOKEN = 'cert-test-admin-token';
const JOIN_SECRET = 'cert-test-join-secret';
const RBAC_V1 = '/apis/rbac.authorization.k8s.io/v1';

let api: TestApiServer;
let tls: ServingCertificate;
let pkiDir: string;
let admin: TestKeyPair;
let viewer: TestKeyPair;
let grouped: TestKeyPair;
let foreign: TestKeyPair;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function call(
  method: string,
  urlPath: string,
  auth: { token?: string; cert?: TestKeyPair },
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${api.url}${urlPath}`,
      {
        method,
        ca: tls.caCert,
        ...(auth.cert ? { cert: auth.cert.cert, key: auth.cert.key } : {}),
        headers: {
          ...(auth.token ? { Authorization: `Bearer ${auth.token}` } : {}),
          ...(payload !== undefined ? { 'Content-Type': contentType } : {}),
        },
        agent: false,
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
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function certificateKubeconfig(name: string, pair: TestKeyPair): { kubeconfig: string; cacheDir: string } {
  const kubeconfig = path.join(api.dir, `${name}.kubeconfig`);
  writeKubeconfig(kubeconfig, api.url, { caCert: tls.caCert, clientCert: pair.cert, clientKey: pair.key });
  return { kubeconfig, cacheDir: path.join(api.dir, `${name}-cache`) };
}

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-cert-auth-'));
  tls = ensureServingCertificate(pkiDir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  admin = ensureClientCertificate(pkiDir, 'admin', {
    commonName: 'cert-admin',
    organizations: ['system:masters'],
  });
  viewer = ensureClientCertificate(pkiDir, 'viewer', { commonName: 'viewer', organizations: [] });
  grouped = ensureClientCertificate(pkiDir, 'grouped', {
    commonName: 'dev-1',
    organizations: ['first-group', 'second-group'],
  });
  foreign = makeTestCa(path.join(pkiDir, 'foreign'), 'foreign').issueClient('cert-admin', ['system:masters']);
  api = await startTestApiServer({
    tls: { cert: tls.cert, key: tls.key },
    caCert: tls.caCert,
    clientCA: tls.caCert,
    tokens: [ADMIN_TOKEN],
    tokenHashes: [
      { sha256: sha256Hex(JOIN_SECRET), user: 'system:bootstrap:kubicle', groups: ['system:bootstrappers'] },
    ],
    signClientCertificate: (csr, subject) => signClientCertificateRequest(pkiDir, csr, subject),
  });
  const created = await call(
    'POST',
    `${RBAC_V1}/clusterrolebindings`,
    { cert: admin },
    {
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'viewer' },
        { kind: 'Group', name: 'second-group' },
      ],
    },
  );
  expect(created.status).toBe(201);
  await waitFor(
    async () => (await call('GET', '/api/v1/namespaces/default/pods', { cert: viewer })).status === 200,
    {
      what: 'the viewer binding',
    },
  );
});

afterAll(async () => {
  await api?.close();
  if (pkiDir) fs.rmSync(pkiDir, { recursive: true, force: true });
});

describe('client certificate authentication', () => {
  it('runs a request as the CN, in the O groups and system:authenticated', async () => {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
    };
    const path_ = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    expect((await call('POST', path_, { cert: grouped }, review)).body.status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "viewer-view" of ClusterRole "view" to Group "second-group"',
    });
    const denied = await call('POST', '/api/v1/namespaces/default/pods', { cert: grouped }, pod('no'));
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      'pods is forbidden: User "dev-1" cannot create resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('lets a certificate in system:masters do anything', async () => {
    expect(
      (await call('POST', '/api/v1/namespaces/default/pods', { cert: admin }, pod('by-cert'))).status,
    ).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/by-cert', { cert: admin })).status).toBe(
      200,
    );
  });

  it('makes no user of a certificate of another CA, nor of none', async () => {
    const refused = await call('GET', '/api/v1/namespaces', { cert: foreign });
    expect(refused).toEqual({
      status: 401,
      body: expect.objectContaining({ kind: 'Status', reason: 'Unauthorized', code: 401 }),
    });
    expect((await call('GET', '/api/v1/namespaces', {})).status).toBe(401);
    expect((await call('GET', '/healthz', { cert: foreign })).status).toBe(200);
  });

  it('still takes bearer tokens, with or without a certificate of another CA', async () => {
    expect((await call('GET', '/api/v1/namespaces', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces', { token: ADMIN_TOKEN, cert: foreign })).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces', { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
  });

  it('serves client-node with a certificate kubeconfig', async () => {
    const load = (pair: TestKeyPair) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(
        kubeconfigYaml(api.url, 'kubicle', {
          caCert: tls.caCert,
          clientCert: pair.cert,
          clientKey: pair.key,
        }),
      );
      return kc.makeApiClient(k8s.CoreV1Api);
    };
    const pods = await load(viewer).listNamespacedPod({ namespace: 'default' });
    expect(Array.isArray(pods.items)).toBe(true);
    await expect(
      load(viewer).createNamespacedPod({ namespace: 'default', body: pod('nope') }),
    ).rejects.toMatchObject({
      code: 403,
    });
    const created = await load(admin).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cn-cm' } },
    });
    expect(created.metadata?.name).toBe('cn-cm');
    await expect(load(foreign).listNamespace()).rejects.toMatchObject({ code: 401 });
  });

  const binaries = kubectlBinaries(['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']);
  (binaries.length ? it : it.skip)('serves every kubectl with a certificate kubeconfig', async () => {
    for (const binary of binaries) {
      const who = `${binary.name}`;
      const asViewer = certificateKubeconfig(`viewer-${who.replace(/\W/g, '')}`, viewer);
      const list = await kubectl(binary.path, ['get', 'pods', '-o', 'name'], asViewer);
      expect({ who, code: list.code, stderr: list.stderr }).toEqual({ who, code: 0, stderr: '' });
      const create = await kubectl(binary.path, ['create', 'configmap', 'from-viewer'], asViewer);
      expect({ who, code: create.code, stderr: create.stderr.trim() }).toEqual({
        who,
        code: 1,
        stderr:
          'error: failed to create configmap: configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "default"',
      });
      const asAdmin = certificateKubeconfig(`admin-${who.replace(/\W/g, '')}`, admin);
      const can = await kubectl(binary.path, ['auth', 'can-i', '*', '*'], asAdmin);
      expect({ who, out: can.stdout.trim() }).toEqual({ who, out: 'yes' });
      const asForeign = certificateKubeconfig(`foreign-${who.replace(/\W/g, '')}`, foreign);
      const refused = await kubectl(binary.path, ['get', 'pods'], asForeign);
      expect({ who, code: refused.code }).toEqual({ who, code: 1 });
      expect(refused.stderr).toMatch(/Unauthorized|provide credentials/);
      const tokenConfig = path.join(api.dir, `token-${who.replace(/\W/g, '')}.kubeconfig`);
      writeKubeconfig(tokenConfig, api.url, { token: ADMIN_TOKEN, caCert: tls.caCert });
      const byToken = await kubectl(binary.path, ['get', 'namespaces', 'default', '-o', 'name'], {
        kubeconfig: tokenConfig,
        cacheDir: path.join(api.dir, `token-cache-${who.replace(/\W/g, '')}`),
      });
      expect({ who, out: byToken.stdout }).toEqual({ who, out: 'namespace/default\n' });
    }
  });
});

describe('POST /v1-kubicle/node-credentials', () => {
  const NODE_CREDENTIALS = '/v1-kubicle/node-credentials';
  const request = (nodeName: string) => {
    const kubelet = newKeyAndCertificateRequest({
      commonName: 'asks-for-admin',
      organizations: ['system:masters'],
    });
    const proxy = newKeyAndCertificateRequest({ commonName: 'me', organizations: [] });
    return { nodeName, kubeletCsr: kubelet.csr, proxyCsr: proxy.csr };
  };

  it('gives the join secret certificates for the node identities the server decides', async () => {
    const reply = await call('POST', NODE_CREDENTIALS, { token: JOIN_SECRET }, request('worker-1'));
    expect(reply.status).toBe(201);
    const kubelet = new X509Certificate(reply.body.kubeletCertificate as string);
    const proxy = new X509Certificate(reply.body.proxyCertificate as string);
    expect(kubelet.subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(proxy.subject).toBe('CN=system:kube-proxy');
    expect(reply.body.caCertificate).toBe(tls.caCert);
    const ca = new X509Certificate(tls.caCert);
    expect(kubelet.verify(ca.publicKey) && proxy.verify(ca.publicKey)).toBe(true);
  });

  it('lets the join secret do nothing else', async () => {
    const listed = await call('GET', '/api/v1/namespaces/default/pods', { token: JOIN_SECRET });
    expect(listed.status).toBe(403);
    expect(listed.body.message).toContain('User "system:bootstrap:kubicle" cannot list resource "pods"');
    expect((await call('GET', NODE_CREDENTIALS, { token: JOIN_SECRET })).status).toBe(403);
  });

  it('is decided by RBAC alone: an admin may, a viewer may not', async () => {
    expect((await call('POST', NODE_CREDENTIALS, { cert: admin }, request('worker-2'))).status).toBe(201);
    const denied = await call('POST', NODE_CREDENTIALS, { cert: viewer }, request('worker-2'));
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      'forbidden: User "viewer" cannot post path "/v1-kubicle/node-credentials"',
    );
  });

  it('refuses a wrong secret with 401', async () => {
    expect((await call('POST', NODE_CREDENTIALS, { token: 'wrong' }, request('worker-1'))).status).toBe(401);
  });

  it.each([
    ['a name that is no DNS subdomain', { ...request('x'), nodeName: 'Bad_Name' }, /nodeName "Bad_Name"/],
    [
      'a missing CSR',
      { ...request('x'), proxyCsr: undefined },
      /proxyCsr must be one PEM certificate request/,
    ],
    [
      'a CSR that is not one',
      {
        ...request('x'),
        kubeletCsr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      },
      /kubeletCsr could not be signed/,
    ],
    ['no object', 'null', /JSON object/],
    ['no JSON', '{nodeName', /.+/],
  ])('answers 400 to %s', async (_name, body, message) => {
    const reply = await call('POST', NODE_CREDENTIALS, { token: JOIN_SECRET }, body);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(reply.body.message).toMatch(message);
  });
});

describe('without a signer', () => {
  it('does not serve node credentials', async () => {
    const plain = await startTestApiServer({ tokens: [ADMIN_TOKEN] });
    try {
      const reply = await fetch(`${plain.url}/v1-kubicle/node-credentials`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(reply.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
