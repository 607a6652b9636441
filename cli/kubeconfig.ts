/**
 * The kubeconfig `kubicle up` writes: accepted as is by kubectl and by @kubernetes/client-node, which
 * refuses plain-HTTP servers unless the cluster entry says `insecure-skip-tls-verify: true`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, name = 'kubicle'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: { server, ...(server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}) },
      },
    ],
    users: [{ name: `${name}-admin`, user: {} }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, server: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, kubeconfigYaml(server), { mode: 0o600 });
}
