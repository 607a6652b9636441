/**
 * The cluster's join token: the bearer token every client of a Kubicle cluster presents, kept in
 * `<dataDir>/token` so the cluster keeps it across restarts. `up` and `server` put it in the
 * kubeconfig they write and print it for agents on other hosts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export function clusterTokenFile(dataDir: string): string {
  return path.join(dataDir, 'token');
}

/** The token stored in the data dir, created (random, 0600) when there is none. */
export function ensureClusterToken(dataDir: string): string {
  const file = clusterTokenFile(dataDir);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch {
    // No token yet.
  }
  const token = `kubicle-${randomBytes(24).toString('hex')}`;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
