/**
 * The cluster a long-running node component talks to, read from a kubeconfig without loading
 * client-node. Loading client-node costs a process about 80 MB of resident memory and 0.7 s of start-up.
 * The usual kubeconfig holds only a URL, certificates and a token, and reading those takes neither.
 *
 * Contract:
 * - `parseStaticKubeconfig` understands the current context's cluster and user:
 *   - cluster: server, certificate-authority (and -data), insecure-skip-tls-verify, tls-server-name;
 *   - user: client-certificate and client-key (and -data), token, username and password.
 * - It gives undefined for anything else: exec or auth-provider plugins, token files, impersonation,
 *   proxies, any key it does not know, or a kubeconfig without a current context, cluster or user.
 *   `loadClusterAccess` hands those kubeconfigs to client-node's `KubeConfig` as they are.
 * - `applyToHTTPSOptions` sets what client-node's `KubeConfig` sets for the same kubeconfig.
 *   Certificate files are read again on every call, as client-node does, so replaced files are used.
 * - File paths are taken relative to the kubeconfig's directory, as client-node resolves them.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClusterAccess } from '../machinery/api-client.js';
import { kubeconfigFile, loadClusterConfig } from './command-kit.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { parseJoinToken, verifyCaCertificate } from './join-token.js';
import type { JoinTarget } from './node-credentials.js';

/** A file path or base64 data, as kubeconfig fields come in pairs (`client-key`, `client-key-data`). */
export type FileOrData = { file: string } | { data: string };

export interface StaticKubeconfig {
  /** Without a trailing slash. */
  server: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  ca?: FileOrData;
  cert?: FileOrData;
  key?: FileOrData;
  token?: string;
  username?: string;
  password?: string;
}

const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);
const USER_KEYS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'username',
  'password',
]);

type Entries = Record<string, unknown>;

function isEntries(value: unknown): value is Entries {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function named(list: unknown, name: unknown, field: string): Entries | undefined {
  if (!Array.isArray(list) || typeof name !== 'string') return undefined;
  const entry: unknown = list.find((e) => isEntries(e) && e.name === name);
  if (!isEntries(entry)) return undefined;
  const value = entry[field] ?? {};
  return isEntries(value) ? value : undefined;
}

function optionalString(entries: Entries, key: string): string | undefined {
  const value = entries[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** client-node prefers the file when both forms are given. */
function fileOrData(entries: Entries, fileKey: string, baseDir: string): FileOrData | undefined {
  const file = optionalString(entries, fileKey);
  if (file) return { file: path.isAbsolute(file) ? file : path.join(baseDir, file) };
  const data = optionalString(entries, `${fileKey}-data`);
  return data ? { data } : undefined;
}

/** The current context's cluster and user, or undefined when client-node has to read this kubeconfig. */
export function parseStaticKubeconfig(text: string, baseDir: string): StaticKubeconfig | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!isEntries(doc)) return undefined;
  const context = named(doc.contexts, doc['current-context'], 'context');
  if (!context) return undefined;
  const cluster = named(doc.clusters, context.cluster, 'cluster');
  const user = named(doc.users, context.user, 'user');
  if (!cluster || !user) return undefined;
  if (Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k))) return undefined;
  if (Object.keys(user).some((k) => !USER_KEYS.has(k))) return undefined;
  const server = optionalString(cluster, 'server');
  if (!server) return undefined;
  return {
    server: server.replace(/\/$/, ''),
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: optionalString(cluster, 'tls-server-name'),
    ca: fileOrData(cluster, 'certificate-authority', baseDir),
    cert: fileOrData(user, 'client-certificate', baseDir),
    key: fileOrData(user, 'client-key', baseDir),
    token: optionalString(user, 'token'),
    username: optionalString(user, 'username'),
    password: optionalString(user, 'password'),
  };
}

function bytesOf(source: FileOrData): Buffer {
  return 'file' in source ? fs.readFileSync(source.file) : Buffer.from(source.data, 'base64');
}

export class StaticClusterAccess implements ClusterAccess {
  constructor(readonly config: StaticKubeconfig) {}

  getCurrentCluster(): { server: string } {
    return { server: this.config.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    const c = this.config;
    if (c.skipTLSVerify) options.rejectUnauthorized = false;
    if (c.tlsServerName) options.servername = c.tlsServerName;
    if (c.ca) options.ca = bytesOf(c.ca);
    if (c.cert) options.cert = bytesOf(c.cert);
    if (c.key) options.key = bytesOf(c.key);
    const headers = (options.headers ?? {}) as http.OutgoingHttpHeaders;
    if (c.token) headers.Authorization = `Bearer ${c.token}`;
    options.headers = headers;
    if (c.username) options.auth = `${c.username}:${c.password ?? ''}`;
  }
}

/**
 * As `loadClusterConfig` (`--server URL` with the cluster's token, else `--kubeconfig FILE`, else $KUBECONFIG, else the
 * kubeconfig `kubicle up` writes), without client-node for a static kubeconfig.
 */
export function loadClusterAccess(
  kubeconfig: string | undefined,
  server: string | undefined,
  token?: string,
  caCert?: string,
): ClusterAccess {
  let parsed: StaticKubeconfig | undefined;
  if (server) {
    if (/^https?:\/\//.test(server))
      parsed = parseStaticKubeconfig(kubeconfigYaml(server, 'kubicle', { token, caCert }), process.cwd());
  } else {
    const file = kubeconfigFile(kubeconfig);
    if (fs.existsSync(file)) {
      parsed = parseStaticKubeconfig(fs.readFileSync(file, 'utf8'), path.dirname(file));
    }
  }
  // client-node reads what this does not understand, and reports what is wrong the way it always did.
  return parsed ? new StaticClusterAccess(parsed) : loadClusterConfig(kubeconfig, server, token);
}

/**
 * The cluster `kubicle agent --server URL --token T` joins. A join token that names the cluster CA
 * (join-token.ts) is checked first against the CA the server hands out at `/cacerts`, fetched without
 * trusting anything yet; only that CA is trusted afterwards. A bare secret names no CA to check.
 * The secret is for node-credentials.ts alone.
 */
export async function verifyJoinToken(server: string, token: string): Promise<JoinTarget> {
  const join = parseJoinToken(token);
  if (!join.caHash) return { server, secret: join.secret };
  let fetched: string;
  try {
    fetched = await fetchUntrusted(new URL('/cacerts', server));
  } catch (err) {
    throw new Error(`cannot fetch the cluster CA from ${server}/cacerts: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const verified = verifyCaCertificate(join, fetched);
  if (!verified.ok) throw new Error(`refusing to join ${server}: ${verified.why}`);
  return { server, secret: join.secret, caPem: verified.caPem };
}

function fetchUntrusted(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode ?? 0}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
