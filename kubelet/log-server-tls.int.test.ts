/**
 * The kubelet's endpoint over TLS with real certificates (a throwaway CA made with openssl): only a
 * client certificate of the cluster CA gets through the handshake, and only the API server's gets an
 * answer; and the API server's pods/log reaches it with its kubelet client certificate. The runtime
 * is a fake one, so no Docker is involved.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { clientFor } from '../machinery/api-client.js';
import { postNodeStatus } from './node-registration.js';
import { makeTestCa } from '../e2e/support/test-pki.js';
import type { TestCa, TestKeyPair } from '../e2e/support/test-pki.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import type { Pod } from './api-types.js';
import { API_SERVER_KUBELET_CLIENT, createLogServer, listen } from './log-server.js';
import type { LogServer } from './log-server.js';
import { FakeRuntime } from './runtime/fake-runtime.js';
import { ensureKubeletServingCertificate } from './serving-certificate.js';
import type { KubeletServingCertificate } from './serving-certificate.js';

const NODE = `tls-node-${crypto.randomBytes(3).toString('hex')}`;
const NS = 'default';

let dir: string;
let ca: TestCa;
let serving: KubeletServingCertificate;
let server: LogServer;
let port: number;
const runtime = new FakeRuntime();
const pods = new Map<string, Pod>();

/** Resolves with the status and body, or rejects when the connection or handshake fails. */
function get(urlPath: string, client?: TestKeyPair): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: urlPath, ca: serving.cert, ...client, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve([res.statusCode ?? 0, text]));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

async function addPod(name: string, uid: string, logs: string): Promise<void> {
  pods.set(`${NS}/${name}`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, uid },
    spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }] },
  });
  const sandbox = { pod: { uid, name, namespace: NS }, attempt: 0, hostname: name };
  const sandboxId = await runtime.createSandbox(sandbox);
  const id = await runtime.createContainer(
    sandboxId,
    { name: 'app', image: 'busybox', restartCount: 0 },
    sandbox,
  );
  runtime.setLogs(id, logs);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-kubelet-tls-'));
  ca = makeTestCa(dir, 'cluster-ca');
  serving = ensureKubeletServingCertificate(path.join(dir, 'pki'), {
    nodeName: NODE,
    addresses: ['127.0.0.1'],
  });
  await addPod('web', 'uid-web', 'hello\nworld\n');
  server = createLogServer({
    runtime,
    findPod: (namespace, name) => pods.get(`${namespace}/${name}`),
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
  });
  port = await listen(server, '127.0.0.1', 0);
});

afterAll(async () => {
  const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
  server?.closeAllConnections();
  await closed;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the kubelet serving certificate', () => {
  it('is self-signed for the node name and addresses, with a private key', () => {
    const cert = new crypto.X509Certificate(serving.cert);
    expect(cert.subjectAltName?.split(', ').sort()).toEqual([`DNS:${NODE}`, 'IP Address:127.0.0.1']);
    expect(cert.subject).toContain(`CN=${NODE}@`);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(serving.key))).toBe(true);
    expect(fs.statSync(path.join(dir, 'pki', 'kubelet.key')).mode & 0o777).toBe(0o600);
  });

  it('is reused while the names stay, and made anew when they change', () => {
    const pki = path.join(dir, 'pki-reuse');
    const first = ensureKubeletServingCertificate(pki, { nodeName: NODE, addresses: ['10.1.2.3'] });
    expect(ensureKubeletServingCertificate(pki, { nodeName: NODE, addresses: ['10.1.2.3'] })).toEqual(first);
    const moved = ensureKubeletServingCertificate(pki, { nodeName: NODE, addresses: ['10.1.2.4'] });
    expect(moved.cert).not.toEqual(first.cert);
    expect(moved.key).not.toEqual(first.key);
    expect(new crypto.X509Certificate(moved.cert).subjectAltName).toContain('IP Address:10.1.2.4');
  });
});

describe('the log endpoint over TLS', () => {
  it("serves the API server's client certificate", async () => {
    const client = ca.issueClient(API_SERVER_KUBELET_CLIENT, ['system:masters']);
    expect(await get('/containerLogs/default/web/app', client)).toEqual([200, 'hello\nworld\n']);
    expect(await get('/healthz', client)).toEqual([200, 'ok']);
  });

  it('forbids other users of the cluster CA', async () => {
    const client = ca.issueClient('system:node:elsewhere', ['system:nodes']);
    expect(await get('/containerLogs/default/web/app', client)).toEqual([
      403,
      'Forbidden (user=system:node:elsewhere, verb=get, resource=nodes, subresource=proxy)',
    ]);
    expect((await get('/healthz', client))[0]).toBe(403);
  });

  it('fails the handshake without a client certificate', async () => {
    await expect(get('/containerLogs/default/web/app')).rejects.toThrow();
    await expect(get('/healthz')).rejects.toThrow();
  });

  it('fails the handshake for a certificate of another CA, whatever its name', async () => {
    const other = makeTestCa(dir, 'other-ca');
    const client = other.issueClient(API_SERVER_KUBELET_CLIENT, ['system:masters']);
    await expect(get('/containerLogs/default/web/app', client)).rejects.toThrow();
  });
});

describe("the API server's pods/log against a TLS kubelet", () => {
  let api: TestApiServer | undefined;
  let plain: TestApiServer | undefined;
  let wrongName: TestApiServer | undefined;

  beforeAll(async () => {
    api = await startTestApiServer({
      kubeletClient: ca.issueClient(API_SERVER_KUBELET_CLIENT, ['system:masters']),
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.kubeconfig);
    const client = clientFor(kubeConfig);
    const status = {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    };
    await client.create('v1', 'Node', undefined, { metadata: { name: NODE }, status });
    await postNodeStatus(client, NODE, status);
    const created = (await client.create('v1', 'Pod', NS, {
      metadata: { name: 'api-web' },
      spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }] },
    })) as Pod;
    await addPod('api-web', created.metadata?.uid ?? '', 'through the API server\n');
    // Two more API servers on the same etcd data: one without a kubelet client certificate, one
    // whose certificate names someone the kubelet does not let in.
    plain = await startTestApiServer({ etcdPrefix: api.prefix });
    wrongName = await startTestApiServer({
      etcdPrefix: api.prefix,
      kubeletClient: ca.issueClient('kube-apiserver', ['system:masters']),
    });
  }, 60_000);

  afterAll(async () => {
    // Their own (unused) prefixes and temp dirs go; the shared data goes with `api`.
    await plain?.close();
    await wrongName?.close();
    await api?.close();
  });

  const logOf = async (server: TestApiServer) => {
    const res = await fetch(`${server.url}/api/v1/namespaces/${NS}/pods/api-web/log`);
    return [res.status, await res.text()] as const;
  };

  it('streams the log with the kubelet client certificate', async () => {
    expect(await logOf(api!)).toEqual([200, 'through the API server\n']);
  });

  it('cannot reach the kubelet over plain HTTP', async () => {
    const [status, body] = await logOf(plain!);
    expect(status).toBe(503);
    expect(JSON.parse(body)).toMatchObject({ reason: 'ServiceUnavailable' });
  });

  it("passes on the kubelet's refusal of a client it does not let in", async () => {
    const [status, body] = await logOf(wrongName!);
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({
      reason: 'Forbidden',
      message: 'Forbidden (user=kube-apiserver, verb=get, resource=nodes, subresource=proxy)',
    });
  });
});
