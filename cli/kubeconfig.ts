/**
 * The kubeconfigs Kubicle writes, accepted as is by kubectl and by @kubernetes/client-node. One
 * trusts the cluster's CA and carries a bearer token or a client certificate and key; without a CA
 * it says `insecure-skip-tls-verify`, which client-node also needs before it talks to a plain-HTTP
 * server at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export interface ClusterCredentials {
  /** A bearer token (the admin's, in the kubeconfig `up` writes). */
  token?: string;
  /** The CA that signed the server's certificate (PEM); without it TLS is not verified. */
  caCert?: string;
  /** A client certificate (PEM) and its key, written as `client-certificate-data`/`client-key-data`. */
  clientCert?: string;
  clientKey?: string;
  /** The kubeconfig's user entry; default `<name>-admin`. */
  userName?: string;
}

const base64 = (pem: string) => Buffer.from(pem).toString('base64');

export function kubeconfigYaml(
  server: string,
  name = 'kubicle',
  credentials: ClusterCredentials = {},
): string {
  const trust = credentials.caCert
    ? { 'certificate-authority-data': base64(credentials.caCert) }
    : { 'insecure-skip-tls-verify': true };
  const user = {
    ...(credentials.clientCert ? { 'client-certificate-data': base64(credentials.clientCert) } : {}),
    ...(credentials.clientKey ? { 'client-key-data': base64(credentials.clientKey) } : {}),
    ...(credentials.token ? { token: credentials.token } : {}),
  };
  const userName = credentials.userName ?? `${name}-admin`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, ...trust } }],
    users: [{ name: userName, user }],
    contexts: [{ name, context: { cluster: name, user: userName, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, server: string, credentials: ClusterCredentials = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, kubeconfigYaml(server, 'kubicle', credentials), { mode: 0o600 });
  // An existing file keeps its mode through writeFileSync; a kubeconfig with a secret must not.
  fs.chmodSync(file, 0o600);
}

/** The bearer token of the current context's user in kubeconfig text, if it has one. Pure. */
export function kubeconfigToken(text: string): string | undefined {
  try {
    const doc = parse(text) as {
      'current-context'?: string;
      contexts?: { name?: string; context?: { user?: string } }[];
      users?: { name?: string; user?: { token?: unknown } }[];
    } | null;
    const userName = doc?.contexts?.find((c) => c.name === doc['current-context'])?.context?.user;
    const token = doc?.users?.find((u) => u.name === userName)?.user?.token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}
