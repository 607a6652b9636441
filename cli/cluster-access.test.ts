import type https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { StaticClusterAccess, parseStaticKubeconfig } from './cluster-access.js';
import { kubeconfigYaml } from './kubeconfig.js';

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'other', cluster: { server: 'https://other:6443' } },
      { name: 'main', cluster },
    ],
    users: [
      { name: 'someone-else', user: { token: 'not-this-one' } },
      { name: 'me', user },
    ],
    contexts: [
      { name: 'wrong', context: { cluster: 'other', user: 'someone-else' } },
      { name: 'right', context: { cluster: 'main', user: 'me' } },
    ],
    'current-context': 'right',
    ...extra,
  });
}

const CA = Buffer.from('ca bytes').toString('base64');
const CERT = Buffer.from('cert bytes').toString('base64');
const KEY = Buffer.from('key bytes').toString('base64');

describe('parseStaticKubeconfig', () => {
  it('reads the current context’s cluster and user, not the others', () => {
    expect(
      parseStaticKubeconfig(
        kubeconfig({ server: 'https://10.0.0.1:6443/', 'tls-server-name': 'api' }, { token: 't0k' }),
        '/etc/kubicle',
      ),
    ).toEqual({
      server: 'https://10.0.0.1:6443',
      skipTLSVerify: false,
      tlsServerName: 'api',
      token: 't0k',
    });
  });

  it('reads the kubeconfig `kubicle up` writes', () => {
    expect(parseStaticKubeconfig(kubeconfigYaml('http://127.0.0.1:6443'), '/')).toEqual({
      server: 'http://127.0.0.1:6443',
      skipTLSVerify: true,
    });
  });

  it('resolves certificate files against the kubeconfig’s directory, and prefers them to data', () => {
    const parsed = parseStaticKubeconfig(
      kubeconfig(
        { server: 'https://h', 'certificate-authority': 'pki/ca.crt', 'certificate-authority-data': CA },
        { 'client-certificate': '/abs/me.crt', 'client-key-data': KEY },
      ),
      '/etc/kubicle',
    );
    expect(parsed).toMatchObject({
      ca: { file: '/etc/kubicle/pki/ca.crt' },
      cert: { file: '/abs/me.crt' },
      key: { data: KEY },
    });
  });

  it.each([
    ['an exec plugin', { server: 'https://h' }, { exec: { command: 'get-token' } }, {}],
    ['an auth provider', { server: 'https://h' }, { 'auth-provider': { name: 'oidc' } }, {}],
    ['a token file', { server: 'https://h' }, { 'token-file': '/var/run/token' }, {}],
    ['impersonation', { server: 'https://h' }, { token: 't', as: 'admin' }, {}],
    ['a proxy', { server: 'https://h', 'proxy-url': 'http://proxy:3128' }, {}, {}],
    ['no server', { 'insecure-skip-tls-verify': true }, {}, {}],
    ['no current context', { server: 'https://h' }, {}, { 'current-context': '' }],
    ['a current context that does not exist', { server: 'https://h' }, {}, { 'current-context': 'gone' }],
  ])('leaves a kubeconfig with %s to client-node', (_what, cluster, user, extra) => {
    expect(parseStaticKubeconfig(kubeconfig(cluster, user, extra), '/')).toBeUndefined();
  });

  it.each([['not: [valid'], ['just a string'], ['']])('leaves unparsable text %j to client-node', (text) => {
    expect(parseStaticKubeconfig(text, '/')).toBeUndefined();
  });
});

describe('StaticClusterAccess', () => {
  it.each([
    [
      'a bearer token over verified TLS',
      { server: 'https://h:6443', 'certificate-authority-data': CA },
      { token: 'abc' },
    ],
    [
      'client certificates and a server name',
      { server: 'https://h:6443', 'certificate-authority-data': CA, 'tls-server-name': 'kubernetes' },
      { 'client-certificate-data': CERT, 'client-key-data': KEY },
    ],
    [
      'basic auth without verification',
      { server: 'https://h:6443', 'insecure-skip-tls-verify': true },
      { username: 'u', password: 'p' },
    ],
    [
      'plain HTTP and no credentials',
      { server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true },
      {},
    ],
  ])('sets the same request options as client-node for %s', async (_what, cluster, user) => {
    const text = kubeconfig(cluster, user);
    const parsed = parseStaticKubeconfig(text, '/');
    expect(parsed).toBeDefined();
    const access = new StaticClusterAccess(parsed!);
    const reference = new KubeConfig();
    reference.loadFromString(text);

    const ours: https.RequestOptions = {};
    const theirs: https.RequestOptions = {};
    await access.applyToHTTPSOptions(ours);
    await reference.applyToHTTPSOptions(theirs);
    // client-node also builds an agent for its own fetch-based clients; the ApiClient builds its own.
    const { agent: _agent, ...theirOptions } = theirs;
    expect(ours).toEqual(theirOptions);
    expect(access.getCurrentCluster().server).toBe(reference.getCurrentCluster()?.server);
  });
});
