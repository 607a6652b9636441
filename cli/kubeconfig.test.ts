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
  });

  it('does not skip verification for https servers', () => {
    const config = parse(kubeconfigYaml('https://10.0.0.1:6443'));
    expect(config.clusters[0].cluster['insecure-skip-tls-verify']).toBeUndefined();
  });
});
