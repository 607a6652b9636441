import { parse } from 'yaml';
import { kubeconfigToken, kubeconfigYaml } from './kubeconfig.js';

describe('kubeconfig', () => {
  it('skips TLS verification for plain-HTTP servers, which client-node requires', () => {
    const config = parse(kubeconfigYaml('http://127.0.0.1:6443'));
    expect(config['current-context']).toBe('kubicle');
    expect(config.clusters[0].cluster).toEqual({
      server: 'http://127.0.0.1:6443',
      'insecure-skip-tls-verify': true,
    });
    expect(config.users[0].user).toEqual({});
  });

  it('trusts the cluster CA and carries the token when it has them', () => {
    const caCert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const config = parse(kubeconfigYaml('https://10.0.0.1:6443', 'kubicle', { caCert, token: 't0ken' }));
    expect(config.clusters[0].cluster).toEqual({
      server: 'https://10.0.0.1:6443',
      'certificate-authority-data': Buffer.from(caCert).toString('base64'),
    });
    expect(config.users[0].user).toEqual({ token: 't0ken' });
  });

  it('does not verify an https server whose CA it was not given (an agent joining by token)', () => {
    const config = parse(kubeconfigYaml('https://10.0.0.1:6443', 'kubicle', { token: 't0ken' }));
    expect(config.clusters[0].cluster['insecure-skip-tls-verify']).toBe(true);
  });
});

describe('client certificate kubeconfigs', () => {
  it('carry the certificate and key as data, under the user name given', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
    const key = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';
    const config = parse(
      kubeconfigYaml('https://10.0.0.1:6443', 'kubicle', {
        clientCert: cert,
        clientKey: key,
        userName: 'node',
      }),
    );
    expect(config.users).toEqual([
      {
        name: 'node',
        user: {
          'client-certificate-data': Buffer.from(cert).toString('base64'),
          'client-key-data': Buffer.from(key).toString('base64'),
        },
      },
    ]);
    expect(config.contexts[0].context.user).toBe('node');
  });
});

describe('kubeconfigToken', () => {
  it.each([
    ['the current user’s token', kubeconfigYaml('https://h:1', 'kubicle', { token: 't0ken' }), 't0ken'],
    ['none without one', kubeconfigYaml('https://h:1'), undefined],
    ['none from text that is no kubeconfig', ': : :', undefined],
    ['none from an empty file', '', undefined],
  ])('%s', (_name, text, token) => {
    expect(kubeconfigToken(text)).toBe(token);
  });
});
