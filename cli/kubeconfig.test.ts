import { parse } from 'yaml';
import { kubeconfigYaml } from './kubeconfig.js';

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
