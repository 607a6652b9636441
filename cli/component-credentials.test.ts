import { componentCertificateName, componentIdentity } from './component-credentials.js';
import type { ComponentName } from './component-credentials.js';

describe('componentIdentity', () => {
  it.each<[ComponentName, string, string[], string]>([
    ['controllerManager', 'system:kube-controller-manager', [], 'kube-controller-manager'],
    ['scheduler', 'system:kube-scheduler', [], 'kube-scheduler'],
    ['kubelet', 'system:node:worker-1', ['system:nodes'], 'kubelet-client-worker-1'],
    ['proxy', 'system:kube-proxy', [], 'kube-proxy'],
    ['dns', 'system:kubicle-dns', [], 'cluster-dns'],
  ])('%s runs as %s', (component, commonName, organizations, fileName) => {
    expect(componentIdentity(component, 'worker-1')).toEqual({ commonName, organizations });
    expect(componentCertificateName(component, 'worker-1')).toBe(fileName);
  });

  it('gives each node its own kubelet certificate file, so a renamed node never reuses another name', () => {
    expect(componentCertificateName('kubelet', 'a')).not.toBe(componentCertificateName('kubelet', 'b'));
  });
});
