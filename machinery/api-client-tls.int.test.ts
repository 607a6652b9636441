/**
 * ApiClient over TLS with a bearer token, as against a secured Kubernetes API server: the CA and
 * token come from the kubeconfig. A stand-in HTTPS server with a self-signed certificate checks both.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { clientFor } from './api-client.js';
import { ApiStatusError } from './api-status-error.js';

let server: https.Server;
let url: string;
let certPem: string;
const seen: { path?: string; authorization?: string }[] = [];

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certPem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const keyPem = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
    server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
      seen.push({ path: req.url, authorization: req.headers.authorization });
      res.setHeader('Content-Type', 'application/json');
      if (req.headers.authorization !== 'Bearer s3cret') {
        res.statusCode = 401;
        res.end(
          JSON.stringify({
            kind: 'Status',
            status: 'Failure',
            reason: 'Unauthorized',
            code: 401,
            message: 'Unauthorized',
          }),
        );
        return;
      }
      if (req.url === '/api/v1') {
        res.end(
          JSON.stringify({
            kind: 'APIResourceList',
            resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }],
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cm', namespace: 'default' },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function kubeConfig(options: { ca?: boolean; token?: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    {
      name: 'secure',
      server: url,
      skipTLSVerify: false,
      ...(options.ca ? { caData: Buffer.from(certPem).toString('base64') } : {}),
    },
    { name: 'user', ...(options.token ? { token: options.token } : {}) },
  );
  return kc;
}

describe('ApiClient over TLS', () => {
  it('trusts the kubeconfig CA and sends its bearer token', async () => {
    const cm = await clientFor(kubeConfig({ ca: true, token: 's3cret' })).get(
      'v1',
      'ConfigMap',
      'default',
      'cm',
    );
    expect(cm.metadata.name).toBe('cm');
    expect(seen.at(-1)).toEqual({
      path: '/api/v1/namespaces/default/configmaps/cm',
      authorization: 'Bearer s3cret',
    });
  });

  it('refuses a server whose certificate the kubeconfig does not vouch for', async () => {
    const err = await clientFor(kubeConfig({ token: 's3cret' }))
      .get('v1', 'ConfigMap', 'default', 'cm')
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiStatusError);
    expect((err as { code?: string }).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('reports a rejected token as a 401 ApiStatusError', async () => {
    const err = await clientFor(kubeConfig({ ca: true, token: 'wrong' }))
      .get('v1', 'ConfigMap', 'default', 'cm')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiStatusError);
    expect(err).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });
});
