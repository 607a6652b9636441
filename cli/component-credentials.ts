/**
 * The identities `up` gives the components it runs in-process: each its own client certificate from
 * the cluster CA, so the API server authorizes each for only what it does (the Node authorizer for
 * the kubelet, a bootstrap ClusterRole for the others), as kubeadm's and k3s's components each have
 * their own kubeconfig. Plus the certificate the API server presents to kubelets.
 *
 * Contract: certificates live in the cluster's pki dir as `<baseName>.crt/.key` (0600) and are
 * reused while their subject is the same and they stay valid (see `ensureClientCertificate`).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFromYaml } from './command-kit.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { ensureClientCertificate } from './pki.js';
import type { CertificateSubject } from './pki.js';

export type ComponentName = 'controllerManager' | 'scheduler' | 'kubelet' | 'proxy' | 'dns';

/** Who each component is to the API server; the kubelet's name depends on its node. Pure. */
export function componentIdentity(component: ComponentName, nodeName: string): CertificateSubject {
  switch (component) {
    case 'controllerManager':
      return { commonName: 'system:kube-controller-manager', organizations: [] };
    case 'scheduler':
      return { commonName: 'system:kube-scheduler', organizations: [] };
    case 'kubelet':
      return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
    case 'proxy':
      return { commonName: 'system:kube-proxy', organizations: [] };
    case 'dns':
      return { commonName: 'system:kubicle-dns', organizations: [] };
  }
}

/** The certificate files of a component; the kubelet's carry the node's name, as it may change. */
export function componentCertificateName(component: ComponentName, nodeName: string): string {
  const base = {
    controllerManager: 'kube-controller-manager',
    scheduler: 'kube-scheduler',
    kubelet: 'kubelet-client',
    proxy: 'kube-proxy',
    dns: 'cluster-dns',
  }[component];
  return component === 'kubelet' ? `${base}-${nodeName}` : base;
}

export interface ComponentAccess {
  /** A client-node KubeConfig for `component`, with its own certificate. */
  kubeConfigFor(component: ComponentName): KubeConfig;
}

/** A kubeconfig (text) for `component` with its own certificate, issued into `pkiDir` when missing. */
export function componentKubeconfig(
  pkiDir: string,
  server: string,
  caCert: string,
  component: ComponentName,
  nodeName = '',
): string {
  const subject = componentIdentity(component, nodeName);
  const { cert, key } = ensureClientCertificate(
    pkiDir,
    componentCertificateName(component, nodeName),
    subject,
  );
  return kubeconfigYaml(server, 'kubicle', {
    caCert,
    clientCert: cert,
    clientKey: key,
    userName: subject.commonName,
  });
}

export function componentAccess(
  pkiDir: string,
  server: string,
  caCert: string,
  nodeName: string,
): ComponentAccess {
  return {
    kubeConfigFor: (component) =>
      kubeConfigFromYaml(componentKubeconfig(pkiDir, server, caCert, component, nodeName)),
  };
}

/** The client certificate the API server presents to kubelets, which accept no other. */
export function apiServerKubeletClient(pkiDir: string): { cert: string; key: string } {
  return ensureClientCertificate(pkiDir, 'apiserver-kubelet-client', {
    commonName: 'kube-apiserver-kubelet-client',
    organizations: ['system:masters'],
  });
}
