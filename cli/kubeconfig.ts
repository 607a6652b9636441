/**
 * The kubeconfig `kubicle up` writes: accepted as is by kubectl and by @kubernetes/client-node. It
 * trusts the cluster's CA and carries its token; without a CA it says `insecure-skip-tls-verify`,
 * which client-node also needs before it talks to a plain-HTTP server at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface ClusterCredentials {
  /** The cluster's bearer token. */
  token?: string;
  /** The CA that signed the server's certificate (PEM); without it TLS is not verified. */
  caCert?: string;
}

export function kubeconfigYaml(
  server: string,
  name = 'kubicle',
  credentials: ClusterCredentials = {},
): string {
  const trust = credentials.caCert
    ? { 'certificate-authority-data': Buffer.from(credentials.caCert).toString('base64') }
    : { 'insecure-skip-tls-verify': true };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, ...trust } }],
    users: [{ name: `${name}-admin`, user: credentials.token ? { token: credentials.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, server: string, credentials: ClusterCredentials = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, kubeconfigYaml(server, 'kubicle', credentials), { mode: 0o600 });
}
