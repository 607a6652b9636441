/**
 * The agent side of joining: a host that holds only the join secret gets client certificates for its
 * own node's components, and from then on uses those and nothing else. Its keys are made here and
 * never leave the host; the server signs CSRs for the identities it decides
 * (`POST /v1-kubicle/node-credentials`, apiserver/http/node-credentials.ts).
 *
 * Contract: `ensureNodeCredentials` keeps in `<pkiDir>` (0600 files) the kubelet's certificate and
 * key (`kubelet-client.crt/.key`, `system:node:<nodeName>` in `system:nodes`), the proxy's
 * (`kube-proxy-client.crt/.key`, `system:kube-proxy`) and the cluster CA (`ca.crt`). What is there is
 * reused while both certificates name these identities, chain to the CA and have more than a day
 * left; otherwise new keys are made and the server asked again. The join secret is sent only in that
 * request. The CA is the one the join token verified; with a bare secret (no CA hash) it is the one
 * the server answered with, trusted from then on.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ApiStatusError } from '../machinery/api-status-error.js';
import type { StaticKubeconfig } from './cluster-access.js';
import { clientCertificateStillGood, newKeyAndCertificateRequest } from './pki.js';
import type { CertificateSubject } from './pki.js';

export const NODE_CREDENTIALS_PATH = '/v1-kubicle/node-credentials';

export function kubeletClientSubject(nodeName: string): CertificateSubject {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}

export const PROXY_CLIENT_SUBJECT: CertificateSubject = {
  commonName: 'system:kube-proxy',
  organizations: [],
};

export interface NodeCredentialFiles {
  kubeletCert: string;
  kubeletKey: string;
  proxyCert: string;
  proxyKey: string;
  caCert: string;
}

export function nodeCredentialFiles(pkiDir: string): NodeCredentialFiles {
  return {
    kubeletCert: path.join(pkiDir, 'kubelet-client.crt'),
    kubeletKey: path.join(pkiDir, 'kubelet-client.key'),
    proxyCert: path.join(pkiDir, 'kube-proxy-client.crt'),
    proxyKey: path.join(pkiDir, 'kube-proxy-client.key'),
    caCert: path.join(pkiDir, 'ca.crt'),
  };
}

export interface JoinTarget {
  server: string;
  secret: string;
  /** The cluster CA the join token verified; absent for a bare secret. */
  caPem?: string;
}

export interface NodeCredentials {
  kubelet: StaticKubeconfig;
  proxy: StaticKubeconfig;
  /** Whether the certificates on disk were used as they were. */
  reused: boolean;
}

/** Whether what is stored will do for `nodeName` under `caPem` at `now` (ms). Pure. */
export function storedCredentialsUsable(
  stored: { kubeletCert?: string; proxyCert?: string; caCert?: string },
  nodeName: string,
  caPem: string | undefined,
  now: number,
): boolean {
  const ca = caPem ?? stored.caCert;
  if (!ca || !stored.kubeletCert || !stored.proxyCert) return false;
  if (caPem && stored.caCert && !sameCertificate(caPem, stored.caCert)) return false;
  return (
    clientCertificateStillGood(stored.kubeletCert, ca, kubeletClientSubject(nodeName), now) &&
    clientCertificateStillGood(stored.proxyCert, ca, PROXY_CLIENT_SUBJECT, now)
  );
}

function sameCertificate(a: string, b: string): boolean {
  try {
    return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
  } catch {
    return false;
  }
}

/** Why the server's answer to the credentials request is not usable, or undefined. Pure but for the clock. */
export function answerProblem(
  answer: unknown,
  nodeName: string,
  caPem: string | undefined,
): string | undefined {
  const a = answer as Partial<Record<'kubeletCertificate' | 'proxyCertificate' | 'caCertificate', unknown>>;
  if (typeof a?.kubeletCertificate !== 'string' || typeof a.proxyCertificate !== 'string')
    return 'the server answered without certificates';
  const ca = caPem ?? (typeof a.caCertificate === 'string' ? a.caCertificate : undefined);
  if (!ca) return 'the server answered without its CA';
  // Fresh certificates need no margin: only that they are for us, from the CA and not expired.
  const good = (pem: string, subject: CertificateSubject) =>
    clientCertificateStillGood(pem, ca, subject, Date.now(), 0);
  if (!good(a.kubeletCertificate, kubeletClientSubject(nodeName)))
    return `the kubelet certificate is not for system:node:${nodeName} from the cluster CA`;
  if (!good(a.proxyCertificate, PROXY_CLIENT_SUBJECT))
    return 'the proxy certificate is not for system:kube-proxy from the cluster CA';
  return undefined;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function access(server: string, ca: string, cert: string, key: string): StaticKubeconfig {
  return {
    server: server.replace(/\/$/, ''),
    skipTLSVerify: false,
    ca: { data: Buffer.from(ca).toString('base64') },
    cert: { file: cert },
    key: { file: key },
  };
}

export async function ensureNodeCredentials(
  target: JoinTarget,
  pkiDir: string,
  nodeName: string,
): Promise<NodeCredentials> {
  const files = nodeCredentialFiles(pkiDir);
  const stored = {
    kubeletCert: readIfExists(files.kubeletCert),
    proxyCert: readIfExists(files.proxyCert),
    caCert: readIfExists(files.caCert),
  };
  const haveKeys = fs.existsSync(files.kubeletKey) && fs.existsSync(files.proxyKey);
  let reused = false;
  if (haveKeys && storedCredentialsUsable(stored, nodeName, target.caPem, Date.now())) {
    reused = true;
  } else {
    const kubelet = newKeyAndCertificateRequest(kubeletClientSubject(nodeName));
    const proxy = newKeyAndCertificateRequest(PROXY_CLIENT_SUBJECT);
    const answer = await postJson(target, NODE_CREDENTIALS_PATH, {
      nodeName,
      kubeletCsr: kubelet.csr,
      proxyCsr: proxy.csr,
    });
    const problem = answerProblem(answer, nodeName, target.caPem);
    if (problem) throw new Error(`the node credentials from ${target.server} are not usable: ${problem}`);
    const a = answer as { kubeletCertificate: string; proxyCertificate: string; caCertificate?: string };
    fs.mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
    const write = (file: string, text: string) => {
      fs.writeFileSync(file, text, { mode: 0o600 });
      fs.chmodSync(file, 0o600);
    };
    write(files.kubeletKey, kubelet.key);
    write(files.kubeletCert, a.kubeletCertificate);
    write(files.proxyKey, proxy.key);
    write(files.proxyCert, a.proxyCertificate);
    write(files.caCert, target.caPem ?? a.caCertificate ?? '');
  }
  const ca = fs.readFileSync(files.caCert, 'utf8');
  return {
    kubelet: access(target.server, ca, files.kubeletCert, files.kubeletKey),
    proxy: access(target.server, ca, files.proxyCert, files.proxyKey),
    reused,
  };
}

/** A POST with the join secret; an answer other than 2xx becomes an ApiStatusError as the server's Status says. */
function postJson(target: JoinTarget, urlPath: string, body: unknown): Promise<unknown> {
  const url = new URL(urlPath, target.server);
  const payload = JSON.stringify(body);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        timeout: 30_000,
        headers: {
          Authorization: `Bearer ${target.secret}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(payload),
          'User-Agent': 'kubicle-agent',
        },
        ...(url.protocol === 'https:'
          ? target.caPem
            ? { ca: target.caPem }
            : { rejectUnauthorized: false }
          : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed);
          const s = (parsed ?? {}) as { reason?: string; message?: string };
          reject(new ApiStatusError(status, s.reason ?? res.statusMessage ?? '', s.message ?? text.trim()));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** What to tell the operator when the credentials request failed. Pure. */
export function describeJoinFailure(err: unknown, server: string): string {
  if (err instanceof ApiStatusError) {
    if (err.code === 401 || err.code === 403)
      return (
        `the API server refused the join token (${err.code} ${err.reason}): check --token ` +
        '(kubicle up writes it to DIR/join-token)'
      );
    if (err.code === 404)
      return (
        `${server} hands out no node credentials (404): it serves plain HTTP or is not a Kubicle ` +
        'API server; use --kubeconfig instead'
      );
    return `${server} refused the node credentials request (${err.code} ${err.reason}): ${err.message}`;
  }
  return `cannot get node credentials from ${server}: ${err instanceof Error ? err.message : String(err)}`;
}
